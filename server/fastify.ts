import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import type { Config } from '../core/config.ts';
import { AppError, isAppError } from '../core/errors.ts';

/** Maps every error to the AppError JSON shape: `{ error: { code, message, details? } }`. */
function toAppError(err: FastifyError, bodyLimit: number): AppError {
  if (isAppError(err)) return err;
  if (err.validation) return new AppError('VALIDATION_FAILED', `Invalid request: ${err.message}.`);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'PAYLOAD_TOO_LARGE',
        `The request body exceeds the ${bodyLimit}-byte limit (CREST_BODY_LIMIT).`,
        {
          limit: bodyLimit,
        },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('BAD_REQUEST', err.message);
  }
  if (err instanceof SyntaxError || err.statusCode === 400)
    return new AppError('BAD_REQUEST', `Malformed body: ${err.message}`);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const e = new AppError('BAD_REQUEST', err.message);
    Object.defineProperty(e, 'status', { value: err.statusCode });
    return e;
  }
  return new AppError('INTERNAL');
}

/**
 * A fastify instance with Crest's conventions: request ids, AppError JSON for every error, a JSON 404.
 * Both listeners (API and content) are built with it.
 */
export function createFastify(
  config: Pick<Config, 'bodyLimit' | 'logLevel'>,
  logger: FastifyServerOptions['logger'] | undefined,
  onRoute?: (route: RouteOptions) => void,
): FastifyInstance {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // __proto__ / constructor.prototype keys in JSON bodies are refused rather than silently stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Unknown fields are an error a client should hear about (a typo'd option), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });

  if (onRoute) app.addHook('onRoute', onRoute);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appErr = toAppError(err, config.bodyLimit);
    if (appErr.status >= 500) request.log.error({ err }, 'request failed');
    reply.status(appErr.status).send(appErr.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`).toJSON(),
      );
  });

  return app;
}
