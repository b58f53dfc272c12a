import type { FastifyInstance, FastifyServerOptions, RouteOptions } from 'fastify';
import type { Config } from '../core/config.ts';
import { registerContentRoutes } from '../packager/delivery/content-routes.ts';
import { registerPlayerRoutes } from '../player-web/player-routes.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { createFastify } from './fastify.ts';

/**
 * The content listener: course files (and, with the runtime, the player shell) on an origin of their
 * own, apart from the API and admin origin. In production a CDN sits in front of it
 * (CREST_CONTENT_BASE_URL).
 */
export function buildContentApp(
  deps: {
    config: Pick<Config, 'bodyLimit' | 'logLevel'> & Partial<Pick<Config, 'contentSigning'>>;
    blobs: BlobStore;
  },
  options: Pick<FastifyServerOptions, 'logger'> = {},
  onRoute?: (route: RouteOptions) => void,
): FastifyInstance {
  const app = createFastify(deps.config, options.logger, onRoute);
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerContentRoutes(app, { blobs: deps.blobs, signingKey: deps.config.contentSigning?.key });
  registerPlayerRoutes(app);
  return app;
}
