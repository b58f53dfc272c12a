import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { scoFramePaint } from '../player-web/test/e2e/player-page.ts';

// The launch page's shape without the player: a top document that frames one SCO-like document. Both are
// answered from memory, so what is left is the browser's own work: a renderer for a new context, two
// documents parsed, a frame laid out and painted.
const TOP = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Course</title>
<link rel="icon" href="data:,"><style>html, body { margin: 0; height: 100%; }
iframe { width: 100%; height: 100%; border: 0; }</style></head>
<body><iframe id="sco" title="Course content" src="/sco.html"></iframe></body></html>`;
const SCO = `<!doctype html><html><head><meta charset="utf-8"><title>Only SCO</title></head>
<body><h1>Only SCO</h1><p id="out"></p></body></html>`;

/** A node:http server for the floor pages; `url` is the top page. */
export async function startFloorServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const body = req.url === '/sco.html' ? SCO : TOP;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * One cold-cache load of the floor page in a new context of `browser`: ms from the top page's navigation
 * start to the framed document's first-contentful-paint, measured as bench G measures the player
 * (player-web/test/e2e/player-page.ts scoFramePaint).
 */
export async function floorPaint(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    return await scoFramePaint(page);
  } finally {
    await context.close();
  }
}
