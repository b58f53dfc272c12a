import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { scorm12Manifest } from '../test/packages.ts';
import { writeZipFile, type ZipFileSpec } from '../test/zip-builder.ts';

/**
 * The shape of the synthetic course for the import bench: a valid SCORM 1.2 package of about 1 GB, made
 * of one large video (stored: video does not compress, and zip tools store or barely shrink it), many
 * small HTML/JS/CSS files (deflated, text compresses ~4:1) and many images (stored, already compressed).
 */
export interface PackageSpec {
  scos: number;
  videoBytes: number;
  textFiles: number;
  textBytesEach: number;
  images: number;
  imageBytesEach: number;
}

export function packageSpec(scale: number): PackageSpec {
  const s = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    scos: 20,
    videoBytes: s(768 * 2 ** 20),
    textFiles: s(5_000),
    textBytesEach: 48 * 1024,
    images: s(1_000),
    imageBytesEach: 160 * 1024,
  };
}

export function describeSpec(p: PackageSpec): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  return (
    `one ${mib(p.videoBytes)} video (stored, random bytes), ${p.textFiles.toLocaleString('en')} HTML/JS/CSS files of ` +
    `~${p.textBytesEach / 1024} KiB (deflated), ${p.images.toLocaleString('en')} images of ${p.imageBytesEach / 1024} KiB ` +
    `(stored, random bytes), ${p.scos} SCO pages and the manifest`
  );
}

/** sfc32: a fast seeded generator, so the package is the same on every run. */
function generator(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** Incompressible bytes, fast: 32-bit words from the generator. */
function randomBuffer(next: () => number, bytes: number): Buffer {
  const words = new Uint32Array(Math.ceil(bytes / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return Buffer.from(words.buffer, 0, bytes);
}

const WORDS =
  'var function return course lesson learner score status complete passed failed slide quiz answer question interaction objective progress navigate next previous menu audio video caption transcript button click hover focus element window document frame player launch suspend resume commit value'.split(
    ' ',
  );

/** Text that deflates like real course code and markup (about 4:1). */
function textFile(next: () => number, bytes: number, kind: string): Buffer {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const w1 = WORDS[next() % WORDS.length]!;
    const w2 = WORDS[next() % WORDS.length]!;
    const line =
      kind === 'css'
        ? `.${w1}-${next() % 1000} { margin: ${next() % 40}px; color: #${(next() % 0xffffff).toString(16)}; }\n`
        : kind === 'html'
          ? `<div class="${w1} ${w2}" data-id="${next() % 100000}">${w2} ${w1} ${next() % 997}</div>\n`
          : `function ${w1}_${next() % 10000}(${w2}) { return ${w2}.${w1} + ${next() % 1000}; }\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('').slice(0, bytes));
}

/** A stream of `bytes` incompressible bytes, generated as yazl asks for them (never held whole). */
function randomStream(seed: number, bytes: number): Readable {
  const next = generator(seed);
  let left = bytes;
  return new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, 1024 * 1024);
      left -= n;
      this.push(randomBuffer(next, n));
    },
  });
}

function entries(p: PackageSpec): ZipFileSpec[] {
  const next = generator(42);
  const scos = Array.from({ length: p.scos }, (_, i) => `Lesson ${i + 1}`);
  const files: ZipFileSpec[] = [{ path: 'imsmanifest.xml', data: scorm12Manifest(scos, 'Bench course') }];
  for (const [i, title] of scos.entries())
    files.push({ path: `sco${i}/index.html`, data: `<!doctype html><title>${title}</title>` });
  const kinds = ['html', 'js', 'css'];
  for (let i = 0; i < p.textFiles; i++) {
    const kind = kinds[i % 3]!;
    const size = Math.round(p.textBytesEach * (0.5 + (next() % 1000) / 1000));
    // Lazy: yazl opens each stream in turn, so contents are made as the zip is written, never all at once.
    files.push({
      path: `sco${i % p.scos}/assets/${kind}/file-${i}.${kind}`,
      stream: () => Readable.from([textFile(next, size, kind)]),
      size,
    });
  }
  for (let i = 0; i < p.images; i++) {
    files.push({
      path: `sco${i % p.scos}/images/photo-${i}.jpg`,
      stream: () => Readable.from([randomBuffer(next, p.imageBytesEach)]),
      size: p.imageBytesEach,
      compress: false,
    });
  }
  files.push({
    path: 'media/lecture.mp4',
    stream: () => randomStream(7, p.videoBytes),
    size: p.videoBytes,
    compress: false,
  });
  return files;
}

export interface SyntheticPackage {
  file: string;
  bytes: number;
  files: number;
  uncompressedBytes: number;
  /** Seconds spent generating it, or 0 when an identical one from an earlier run was reused. */
  generatedIn: number;
}

/**
 * Writes the package to `dir` (under .tmp/, never committed). A package of the same spec from an
 * earlier run is reused: it is deterministic, and generating 1 GB takes a while.
 */
export async function syntheticPackage(dir: string, p: PackageSpec): Promise<SyntheticPackage> {
  await mkdir(dir, { recursive: true });
  const name = `course-${p.videoBytes}-${p.textFiles}-${p.images}`;
  const file = path.join(dir, `${name}.zip`);
  const sidecar = path.join(dir, `${name}.json`);
  const known = await readFile(sidecar, 'utf8')
    .then((t) => JSON.parse(t) as SyntheticPackage)
    .catch(() => undefined);
  if (known && (await stat(file).catch(() => undefined))?.size === known.bytes)
    return { ...known, generatedIn: 0 };

  const t0 = Date.now();
  const list = entries(p);
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  await writeZipFile(list, partial);
  await rename(partial, file);
  const made: SyntheticPackage = {
    file,
    bytes: (await stat(file)).size,
    files: list.length,
    uncompressedBytes: list.reduce(
      (sum, e) =>
        sum + (e.size ?? (typeof e.data === 'string' ? Buffer.byteLength(e.data) : (e.data?.length ?? 0))),
      0,
    ),
    generatedIn: (Date.now() - t0) / 1000,
  };
  await writeFile(sidecar, JSON.stringify(made));
  return made;
}
