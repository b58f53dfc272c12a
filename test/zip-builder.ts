import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import yazl from 'yazl';

/*
 * Zips for tests, built in code. `buildZip`/`writeZipFile` make well-formed archives with yazl (which
 * always sets the UTF-8 flag). `rawZip` writes the structures by hand (local headers, central directory,
 * end record; APPNOTE 4.3) so a test can say exactly which field lies: hostile names, symlink modes,
 * encryption flags, CP437 names, false sizes.
 */

export interface ZipFileSpec {
  /** Path inside the archive; yazl refuses `..`, absolute paths and backslashes (use rawZip for those). */
  path: string;
  /** In-memory content. */
  data?: Buffer | string;
  /** Streamed content, opened when yazl gets to it; `size` is required with it. */
  stream?: () => Readable;
  size?: number;
  /** An explicit directory entry (`path/`). */
  directory?: boolean;
  /** Deflate (default) or store. */
  compress?: boolean;
  /** ZIP64 records for this entry even though it is small. */
  zip64?: boolean;
  /** Unix mode including the file type bits (default 0o100664). */
  mode?: number;
}

export interface BuildZipOptions {
  /** ZIP64 end-of-central-directory records, and ZIP64 fields for every entry. */
  zip64?: boolean;
}

export function zipStream(entries: ZipFileSpec[], opts: BuildZipOptions = {}): Readable {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const entry of entries) {
    if (entry.directory) {
      zip.addEmptyDirectory(entry.path, { mtime });
      continue;
    }
    const options = {
      mtime,
      compress: entry.compress ?? true,
      forceZip64Format: entry.zip64 ?? opts.zip64 ?? false,
      ...(entry.mode === undefined ? {} : { mode: entry.mode }),
    };
    if (entry.stream) {
      if (entry.size === undefined) throw new Error(`zip-builder: ${entry.path} has a stream but no size`);
      const open = entry.stream;
      zip.addReadStreamLazy(entry.path, { ...options, size: entry.size }, (cb) => cb(null, open()));
    } else {
      const data = entry.data ?? '';
      zip.addBuffer(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, entry.path, options);
    }
  }
  zip.end({ forceZip64Format: opts.zip64 ?? false, comment: '' });
  return Readable.from(zip.outputStream as AsyncIterable<Buffer>);
}

/** A well-formed zip in memory (small archives only). */
export async function buildZip(entries: ZipFileSpec[], opts: BuildZipOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of zipStream(entries, opts)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A well-formed zip streamed to `file`: for archives too large to hold in memory. */
export async function writeZipFile(
  entries: ZipFileSpec[],
  file: string,
  opts: BuildZipOptions = {},
): Promise<void> {
  await pipeline(zipStream(entries, opts), createWriteStream(file));
}

/** A path `archive.zip` in a fresh temporary folder; remove it with removeTempZip. */
export async function tempZipPath(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'crest-zip-'));
  return path.join(dir, 'archive.zip');
}

export async function writeTempZip(buffer: Buffer): Promise<string> {
  const file = await tempZipPath();
  await writeFile(file, buffer);
  return file;
}

/** Removes the temporary folder a tempZipPath/writeTempZip path lives in. */
export async function removeTempZip(file: string): Promise<void> {
  await rm(path.dirname(file), { recursive: true, force: true });
}

/* ---------- raw archives ---------- */

export const UNIX_FILE = 0o100644;
export const UNIX_DIRECTORY = 0o040755;
export const UNIX_SYMLINK = 0o120777;
const MADE_BY_UNIX = (3 << 8) | 30; // APPNOTE 4.4.2: host 3 (Unix), spec 3.0
const FLAG_UTF8 = 0x800;
const DOS_DATE_2024_01_01 = ((2024 - 1980) << 9) | (1 << 5) | 1;

export interface RawEntry {
  /** A string is written as UTF-8; a Buffer as is (e.g. CP437 bytes with `utf8: false`). */
  name: string | Buffer;
  /** General-purpose bit 11. Default: on for a string name with non-ASCII characters. */
  utf8?: boolean;
  data?: Buffer | string;
  /** 0 stores `data`, 8 deflates it. Default 0. */
  method?: number;
  /** Already-compressed bytes to write as the entry's data (with method 8), e.g. from deflateZeros. */
  compressedData?: Buffer;
  /** Extra general-purpose bits, OR-ed in (0x1 encrypted, 0x40 strong encryption). */
  flags?: number;
  versionMadeBy?: number;
  /** External attributes; default a regular Unix file (0o100644 << 16). See unixAttributes. */
  externalAttributes?: number;
  /** Uncompressed size written to both headers instead of the true one. */
  declaredSize?: number;
  /** CRC-32 written instead of the true one. */
  crc32?: number;
  /**
   * Index of an earlier entry whose local header and data this one points at, writing none of its own:
   * overlapping entries, the trick behind Fifield's "better zip bomb".
   */
  reuseDataOf?: number;
}

export function unixAttributes(mode: number): number {
  return (mode << 16) >>> 0;
}

interface Laid {
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  madeBy: number;
  external: number;
  offset: number;
}

/** A zip written field by field, for archives yazl (rightly) refuses to make. */
export function rawZip(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const laid: Laid[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : entry.name;
    if (entry.reuseDataOf !== undefined) {
      const shared = laid[entry.reuseDataOf];
      if (!shared) throw new Error(`zip-builder: reuseDataOf ${entry.reuseDataOf} names no earlier entry`);
      laid.push({ ...shared, name });
      continue;
    }
    const utf8 =
      entry.utf8 ??
      (typeof entry.name === 'string' && Buffer.byteLength(entry.name, 'utf8') !== entry.name.length);
    const content = Buffer.from(entry.data ?? '');
    const method = entry.compressedData ? 8 : (entry.method ?? 0);
    const stored = entry.compressedData ?? (method === 8 ? zlib.deflateRawSync(content) : content);
    const item: Laid = {
      name,
      flags: (utf8 ? FLAG_UTF8 : 0) | (entry.flags ?? 0),
      method,
      crc: entry.crc32 ?? zlib.crc32(content),
      compressedSize: stored.length,
      size: entry.declaredSize ?? content.length,
      madeBy: entry.versionMadeBy ?? MADE_BY_UNIX,
      external: entry.externalAttributes ?? unixAttributes(UNIX_FILE),
      offset,
    };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(item.flags, 6);
    header.writeUInt16LE(item.method, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(DOS_DATE_2024_01_01, 12);
    header.writeUInt32LE(item.crc >>> 0, 14);
    header.writeUInt32LE(item.compressedSize, 18);
    header.writeUInt32LE(item.size, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    parts.push(header, name, stored);
    offset += header.length + name.length + stored.length;
    laid.push(item);
  }
  const centralStart = offset;
  for (const item of laid) {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(item.madeBy, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(item.flags, 8);
    header.writeUInt16LE(item.method, 10);
    header.writeUInt16LE(0, 12);
    header.writeUInt16LE(DOS_DATE_2024_01_01, 14);
    header.writeUInt32LE(item.crc >>> 0, 16);
    header.writeUInt32LE(item.compressedSize, 20);
    header.writeUInt32LE(item.size, 24);
    header.writeUInt16LE(item.name.length, 28);
    header.writeUInt16LE(0, 30); // extra field length
    header.writeUInt16LE(0, 32); // comment length
    header.writeUInt16LE(0, 34); // disk number
    header.writeUInt16LE(0, 36); // internal attributes
    header.writeUInt32LE(item.external >>> 0, 38);
    header.writeUInt32LE(item.offset, 42);
    parts.push(header, item.name);
    offset += header.length + item.name.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(laid.length, 8);
  end.writeUInt16LE(laid.length, 10);
  end.writeUInt32LE(offset - centralStart, 12);
  end.writeUInt32LE(centralStart, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

/**
 * `bytes` zeros, raw-deflated without ever holding them in memory (about 1 KB out per MB in), with the
 * CRC-32 of the zeros.
 */
export async function deflateZeros(bytes: number): Promise<{ compressed: Buffer; crc32: number }> {
  const block = Buffer.alloc(Math.min(bytes, 1024 * 1024));
  let crc = 0;
  async function* zeros() {
    for (let left = bytes; left > 0; left -= block.length) {
      const chunk = left >= block.length ? block : block.subarray(0, left);
      crc = zlib.crc32(chunk, crc);
      yield chunk;
    }
  }
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(zeros()),
    zlib.createDeflateRaw({ level: 9 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    },
  );
  return { compressed: Buffer.concat(chunks), crc32: crc };
}

/** A deflate bomb: `bytes` zeros (default 50 MiB) that compress to about 50 KB, with honest headers. */
export async function zipBomb(name = 'bomb.bin', bytes = 50 * 1024 * 1024): Promise<Buffer> {
  const { compressed, crc32 } = await deflateZeros(bytes);
  return rawZip([{ name, compressedData: compressed, declaredSize: bytes, crc32 }]);
}

/**
 * An entry whose headers declare `declaredSize` bytes (default 10) while its data inflates to
 * `actualBytes` zeros (default 10 MiB): the lie only shows while streaming.
 */
export async function lyingEntry(
  name = 'liar.txt',
  declaredSize = 10,
  actualBytes = 10 * 1024 * 1024,
): Promise<RawEntry> {
  const { compressed, crc32 } = await deflateZeros(actualBytes);
  return { name, compressedData: compressed, declaredSize, crc32 };
}
