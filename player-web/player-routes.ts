import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { StdinOptions } from 'esbuild';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/*
 * The player shell on the content listener: /player/launch.html, its bundle and scorm-again's API scripts.
 * It must be same-origin with /content/… so a SCO's walk up window.parent finds window.API (API.md,
 * "Origins"). This is the only Node code in player-web; everything under src/ runs in the browser.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Asset {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  type: string;
}

function asset(body: Buffer, type: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, gzip: gzipSync(body), etag, type };
}

export interface PlayerRoutesOptions {
  /**
   * CSP frame-ancestors sources allowed to embed the player, e.g. "https://lms.example.com". Default `*`:
   * the player is made to be embedded in any integrator's page, and its only secret is the launch token
   * in the URL fragment, which the embedding page already had.
   */
  frameAncestors?: string;
}

/**
 * One minified classic script (an IIFE, for the browsers the player supports) built by esbuild in memory.
 * The player's own bundle and scorm-again's are built once (registerPlayerRoutes says when) and kept for the
 * life of the process.
 */
async function buildScript(entry: { entryPoints: string[] } | { stdin: StdinOptions }): Promise<Buffer> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    ...entry,
    bundle: true,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0]!.contents);
}

/**
 * A classic script defining window.Scorm12API or window.Scorm2004API, built from scorm-again's ES2020 module
 * build (`scorm-again/scorm2004` under the import condition). Its own browser builds are ES5: Babel's class
 * helpers make the 2004 build 565 KB, and in Chromium on a cold cache parsing and running them was most of
 * the launch page's time before the SCO frame could start (bench G: ~80 ms parsing off the main thread,
 * ~30 ms running it, ~50 ms constructing the API). This one is ~365 KB of native classes.
 */
function buildVendor(name: 'Scorm12API' | 'Scorm2004API', specifier: string): Promise<Buffer> {
  return buildScript({
    stdin: {
      contents: `import { ${name} } from '${specifier}';\nwindow.${name} = ${name};\n`,
      resolveDir: HERE,
      loader: 'js',
    },
  });
}

async function loadAssets(frameAncestors: string) {
  const [bundle, html, scorm12, scorm2004] = await Promise.all([
    buildScript({ entryPoints: [path.join(HERE, 'src', 'main.ts')] }),
    readFile(path.join(HERE, 'src', 'launch.html'), 'utf8'),
    buildVendor('Scorm12API', 'scorm-again/scorm12'),
    buildVendor('Scorm2004API', 'scorm-again/scorm2004'),
  ]);
  const js = 'application/javascript; charset=utf-8';
  const files = {
    'player.js': asset(bundle, js),
    'vendor/scorm12.min.js': asset(scorm12, js),
    'vendor/scorm2004.min.js': asset(scorm2004, js),
  };
  // Versioned URLs: the page is revalidated on every load (no-cache + ETag), the scripts are immutable.
  const v = (name: keyof typeof files) => `/player/${name}?v=${files[name].etag.slice(1, 13)}`;
  const page = html
    .replace('%PLAYER_JS%', v('player.js'))
    .replace('%SCORM12_JS%', v('vendor/scorm12.min.js'))
    .replace('%SCORM2004_JS%', v('vendor/scorm2004.min.js'));
  // One page per standard the launch link names (?sv=): its scorm-again goes in a preload link, which
  // Chromium's preload scanner fetches with player.js, as the first bytes arrive; the inline script that
  // inserts it runs only once the head is parsed (~30 ms later on a 2-core machine, bench G). The script
  // it inserts then takes the preloaded response. A link without a valid hint gets the page without one.
  const variant = (vendor: string | undefined) =>
    asset(
      Buffer.from(
        page.replace('%VENDOR_PRELOAD%', vendor ? `<link rel="preload" href="${vendor}" as="script">\n` : ''),
      ),
      'text/html; charset=utf-8',
    );
  const pages = {
    none: variant(undefined),
    scorm12: variant(v('vendor/scorm12.min.js')),
    scorm2004: variant(v('vendor/scorm2004.min.js')),
  };
  return { files, pages, frameAncestors };
}

function send(request: FastifyRequest, reply: FastifyReply, a: Asset, cacheControl: string) {
  reply.header('content-type', a.type);
  reply.header('etag', a.etag);
  reply.header('cache-control', cacheControl);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === a.etag) return reply.status(304).send();
  const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? a.gzip : a.body);
}

export function registerPlayerRoutes(app: FastifyInstance, options: PlayerRoutesOptions = {}): void {
  const frameAncestors = options.frameAncestors ?? '*';
  let assets: ReturnType<typeof loadAssets> | undefined;
  const get = () => {
    assets ??= loadAssets(frameAncestors);
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  };
  // Built once the server listens, in the background, so the first launch after a start does not wait for
  // esbuild (~0.3 s more in bench G's cold-server case); a failure is retried by the first request. Not at
  // registration: apps that never listen (app.inject) build on their first request.
  app.addHook('onListen', async () => {
    void get();
  });

  app.get('/player/launch.html', async (request, reply) => {
    const { pages } = await get();
    const sv = (request.query as { sv?: unknown }).sv;
    const page = sv === 'scorm12' || sv === 'scorm2004' ? pages[sv] : pages.none;
    // frame-ancestors instead of X-Frame-Options: XFO can only say DENY/SAMEORIGIN, and the player is
    // meant to be framed by integrators' pages on other origins.
    reply.header('content-security-policy', `frame-ancestors ${frameAncestors}`);
    // The launch token travels in the fragment, which is never sent; no-referrer keeps ?api= private too.
    reply.header('referrer-policy', 'no-referrer');
    return send(request, reply, page, 'no-cache');
  });

  app.get('/player/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const { files } = await get();
    const a = (files as Record<string, Asset>)[name];
    if (!a)
      return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No player file ${name}.` } });
    const versioned = typeof (request.query as { v?: string }).v === 'string';
    return send(request, reply, a, versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
}
