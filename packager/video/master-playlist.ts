/** One `#EXT-X-STREAM-INF` entry of a multivariant (master) playlist. */
export interface Variant {
  uri: string;
  bandwidth: number;
  width: number | null;
  height: number | null;
  codecs: string | null;
}

// RFC 8216 §4.2: attribute lists are comma-separated NAME=VALUE pairs; a quoted-string value may itself
// hold commas (CODECS="avc1…,mp4a…").
const ATTRIBUTE = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;

function attributes(list: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of list.matchAll(ATTRIBUTE)) out.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
  return out;
}

/**
 * Reads the variants of a master playlist (RFC 8216 §4.3.4.2: each EXT-X-STREAM-INF applies to the next
 * URI line). Throws when the text is not a playlist (§4.3.1.1: the first line is #EXTM3U).
 */
export function parseMasterPlaylist(text: string): Variant[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('Not an HLS playlist: the first line is not #EXTM3U.');
  const variants: Variant[] = [];
  let pending: Map<string, string> | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      pending = attributes(line.slice('#EXT-X-STREAM-INF:'.length));
    } else if (!line.startsWith('#') && pending) {
      const [w, h] = (pending.get('RESOLUTION') ?? '').split('x').map(Number);
      variants.push({
        uri: line,
        bandwidth: Number(pending.get('BANDWIDTH') ?? 0),
        width: w || null,
        height: h || null,
        codecs: pending.get('CODECS') ?? null,
      });
      pending = undefined;
    }
  }
  return variants;
}
