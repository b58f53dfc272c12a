import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';

/**
 * The baseline for the content GET scenario: node:http serving one static file, in one of two ways
 * (argument 2): `fs` stats and streams the file from disk on every request, as a static file server
 * does (and as Crest's content listener reads from its folder store); `cached` holds the bytes in memory,
 * the most a server can do. It stops by itself after `maxSeconds` (argument 3), on SIGINT/SIGTERM, or
 * when its parent closes stdin.
 */
const [file, mode = 'fs', max = '120'] = process.argv.slice(2);
if (!file || (mode !== 'fs' && mode !== 'cached')) {
  console.error('usage: tsx bench/static-server.ts <file> fs|cached [maxSeconds]');
  process.exit(2);
}
const type = file.endsWith('.html') ? 'text/html' : 'text/javascript';
const cached = mode === 'cached' ? readFileSync(file) : undefined;

const server = http.createServer((req, res) => {
  if (cached) {
    res.writeHead(200, { 'content-type': type, 'content-length': cached.length });
    res.end(cached);
    return;
  }
  stat(file).then(
    (s) => {
      res.writeHead(200, { 'content-type': type, 'content-length': s.size });
      createReadStream(file).pipe(res);
    },
    () => {
      res.writeHead(404);
      res.end();
    },
  );
  req.resume();
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening ${address.port}`);
});
const stop = () => process.exit(0);
setTimeout(stop, Number(max) * 1000).unref();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
