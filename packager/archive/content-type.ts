import mime from 'mime';
import { DEFAULT_CONTENT_TYPE } from '../../storage/blob-store.ts';

// Pinned so an upgrade of the MIME table can't change what players and hls.js receive. `.ts` is an HLS
// MPEG-2 transport segment here, never TypeScript source. No charset parameter: it would override a
// course's own <meta charset>, and old SCORM content is often Windows-1252.
const PINNED: Record<string, string> = {
  html: 'text/html',
  htm: 'text/html',
  js: 'text/javascript',
  mjs: 'text/javascript',
  css: 'text/css',
  json: 'application/json',
  xml: 'application/xml',
  xsd: 'application/xml',
  svg: 'image/svg+xml',
  mp4: 'video/mp4',
  m4s: 'video/iso.segment',
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  vtt: 'text/vtt',
  woff: 'font/woff',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
};

/** Content-Type for a course file, from its extension; `application/octet-stream` when unknown. */
export function contentTypeFor(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  const extension = base.slice(dot + 1).toLowerCase();
  return PINNED[extension] ?? mime.getType(extension) ?? DEFAULT_CONTENT_TYPE;
}
