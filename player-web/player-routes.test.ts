import vm from 'node:vm';
import test from 'ava';
import Fastify from 'fastify';
import { registerPlayerRoutes } from './player-routes.ts';

const app = Fastify();
registerPlayerRoutes(app, { frameAncestors: "'self' https://lms.example.com" });
test.after.always(() => app.close());

test('the launch page: HTML, revalidated, frameable by the configured ancestors, never X-Frame-Options', async (t) => {
  const res = await app.inject('/player/launch.html');
  t.is(res.statusCode, 200);
  t.is(res.headers['content-type'], 'text/html; charset=utf-8');
  t.is(res.headers['cache-control'], 'no-cache');
  t.is(res.headers['content-security-policy'], "frame-ancestors 'self' https://lms.example.com");
  t.is(res.headers['x-frame-options'], undefined);
  t.regex(res.body, /<script src="\/player\/player\.js\?v=[\w-]{12}" defer>/);
  t.regex(res.body, /\/player\/vendor\/scorm2004\.min\.js\?v=/);
  const again = await app.inject({
    url: '/player/launch.html',
    headers: { 'if-none-match': res.headers.etag },
  });
  t.is(again.statusCode, 304);
});

test("the launch page preloads the scorm-again build its link's ?sv= names, and none without a valid one", async (t) => {
  const preloads = async (query: string) =>
    [
      ...(await app.inject(`/player/launch.html${query}`)).body.matchAll(
        /<link rel="preload" href="([^"]+)" as="script">/g,
      ),
    ].map((m) => m[1]!.replace(/\?v=.*/, ''));
  t.deepEqual(await preloads('?sv=scorm2004&api=x'), ['/player/vendor/scorm2004.min.js']);
  t.deepEqual(await preloads('?sv=scorm12'), ['/player/vendor/scorm12.min.js']);
  t.deepEqual(await preloads(''), []);
  t.deepEqual(await preloads('?sv=cmi5'), []);
  t.deepEqual(await preloads('?sv=scorm12&sv=scorm2004'), []);
  // The preloaded URL is the one the inline script inserts, so the fetch is not made twice.
  const page = (await app.inject('/player/launch.html?sv=scorm2004')).body;
  const href = /<link rel="preload" href="([^"]+)"/.exec(page)![1]!;
  t.true(page.includes(`scorm2004: '${href}'`));
  const plain = await app.inject('/player/launch.html');
  const hinted = await app.inject('/player/launch.html?sv=scorm2004');
  t.not(plain.headers.etag, hinted.headers.etag);
});

test('the bundle and scorm-again: JavaScript, immutable when versioned, gzip when asked, 304 on ETag', async (t) => {
  const page = await app.inject('/player/launch.html');
  for (const m of page.body.matchAll(/"(\/player\/[^"]+\?v=[^"]+)"/g)) {
    const url = m[1]!;
    const res = await app.inject(url);
    t.is(res.statusCode, 200, url);
    t.is(res.headers['content-type'], 'application/javascript; charset=utf-8');
    t.is(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    t.truthy(res.headers.etag);
    t.notRegex(res.body, /sourceMappingURL/);
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip, br' } });
    t.is(gz.headers['content-encoding'], 'gzip');
    t.true(gz.rawPayload.length < res.rawPayload.length);
    const cached = await app.inject({ url, headers: { 'if-none-match': res.headers.etag } });
    t.is(cached.statusCode, 304);
  }
  const scorm12 = await app.inject('/player/vendor/scorm12.min.js');
  t.regex(scorm12.body, /Scorm12API/);
  t.is(scorm12.headers['cache-control'], 'no-cache');
  t.is((await app.inject('/player/nope.js')).statusCode, 404);
});

test('scorm-again is served as a classic script of native classes that defines the API constructors', async (t) => {
  for (const [file, name, getter] of [
    ['scorm12.min.js', 'Scorm12API', 'LMSGetValue'],
    ['scorm2004.min.js', 'Scorm2004API', 'GetValue'],
  ] as const) {
    const res = await app.inject(`/player/vendor/${file}`);
    // Built from scorm-again's ES2020 module build, not its ES5 one, whose Babel class helpers throw this.
    t.notRegex(res.body, /Cannot call a class as a function/, file);
    t.notRegex(res.body, /\bexport\s*\{/, file);
    // Run as the browser runs it: a classic script whose global object is the window.
    const window = vm.createContext({ console });
    window.window = window;
    vm.runInContext(res.body, window, { filename: file });
    const Ctor = window[name] as new (settings: object) => Record<string, (...args: unknown[]) => string>;
    t.is(typeof Ctor, 'function', `${file} defines window.${name}`);
    const api = new Ctor({ logLevel: 5 });
    t.is(api.getLastError!(), '0');
    t.is(typeof api[getter], 'function');
  }
});
