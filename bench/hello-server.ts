import http from 'node:http';

/**
 * The baseline for scenario B: node:http's hello world, answering `{"ok":true}`. It reads the request
 * body (the bench posts the same statements to it as to Crest) and stops by itself after the number of
 * seconds given as its argument, on SIGINT/SIGTERM, or when its parent closes stdin.
 */
const maxSeconds = Number(process.argv[2] ?? 120);
const body = Buffer.from('{"ok":true}');
const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening ${address.port}`);
});
const stop = () => process.exit(0);
setTimeout(stop, maxSeconds * 1000).unref();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
