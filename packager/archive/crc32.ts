import zlib from 'node:zlib';

let table: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, the ZIP one, APPNOTE 4.4.7) by table, for Node versions without zlib.crc32. */
export function tableCrc32(data: Uint8Array, value = 0): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = ~value;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

// zlib.crc32 (native, fast) arrived in Node 20.15; package.json allows 20.11.
export const crc32: (data: Uint8Array, value?: number) => number = zlib.crc32 ?? tableCrc32;
