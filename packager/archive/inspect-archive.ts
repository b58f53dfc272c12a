import { open } from 'node:fs/promises';
import yauzl from 'yauzl';
import { isSystemError, notAZip, refuseArchive, refuseEntry, showName } from './archive-error.ts';
import { checkEntryName, foldPath } from './entry-path.ts';
import { FileReader } from './file-reader.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ArchiveLimits {
  /** Entries in the central directory, directories included. Checked before any entry is read. */
  maxEntries?: number;
  /** Sum of the declared uncompressed sizes of all files. */
  maxTotalBytes?: number;
  /** Declared uncompressed size of one file. */
  maxEntryBytes?: number;
  /** Largest uncompressed/compressed ratio for one file of at least `ratioMinBytes`. */
  maxRatio?: number;
  /** Files smaller than this skip the ratio check: small text files compress very well and are harmless. */
  ratioMinBytes?: number;
}

export type ResolvedArchiveLimits = Readonly<Required<ArchiveLimits>>;

// Deflate tops out near 1032:1; real course content (HTML, JS, XML, media) sits well under 20:1, so 100:1
// on files of 1 MiB or more only trips on padding built to inflate. Total and per-file caps are what
// actually bound the damage; the ratio catches a bomb before its first byte is inflated.
export const DEFAULT_ARCHIVE_LIMITS: ResolvedArchiveLimits = Object.freeze({
  maxEntries: 20_000,
  maxTotalBytes: 4 * GiB,
  maxEntryBytes: 2 * GiB,
  maxRatio: 100,
  ratioMinBytes: MiB,
});

export interface ArchiveEntry {
  /** Normalized relative path: forward slashes, no leading slash, never a directory. */
  path: string;
  /** Declared uncompressed size, which extraction enforces byte for byte. */
  size: number;
  compressedSize: number;
}

export interface ArchiveListing {
  /** Files only, in central-directory order; directory entries are validated and then left out. */
  entries: ArchiveEntry[];
  totalSize: number;
  /** The limits the listing was checked against; `extractToStore` checks the archive again with them. */
  limits: ResolvedArchiveLimits;
}

/** One file entry of the central directory, with what extraction needs and nothing it doesn't. */
export interface CentralFile extends ArchiveEntry {
  /** The name as stored (decoded, backslashes kept), for error messages. */
  name: string;
  crc32: number;
  compressionMethod: number;
  generalPurposeBitFlag: number;
  relativeOffsetOfLocalHeader: number;
}

export interface CentralDirectory {
  /** Open (autoClose off): the caller must close() it. */
  zip: yauzl.ZipFile;
  files: CentralFile[];
  totalSize: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
// MS-DOS attribute byte, bit 4: "directory". Windows tools mark folders this way, sometimes without the '/'.
const DOS_DIRECTORY = 0x10;
const FLAG_ENCRYPTED = 0x1;
const STORED = 0;
const DEFLATED = 8;
// The fixed part of a local file header (APPNOTE 4.3.7): a lower bound on the space each entry takes.
const LOCAL_HEADER_BYTES = 30;

export function resolveArchiveLimits(limits: ArchiveLimits = {}): ResolvedArchiveLimits {
  const resolved = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    const ok =
      name === 'maxRatio' ? Number.isFinite(value) && value >= 1 : Number.isSafeInteger(value) && value >= 0;
    if (!ok)
      throw new RangeError(
        `Archive limit ${name} must be a ${name === 'maxRatio' ? 'number ≥ 1' : 'whole number ≥ 0'}, not ${value}.`,
      );
  }
  return Object.freeze(resolved);
}

/**
 * Reads the central directory of the ZIP at `path` (never the file data) and checks every entry before
 * anything is extracted. Throws AppError VALIDATION_FAILED naming the entry and the rule
 * (`details: { entry, rule }`), or `not a valid ZIP archive: …` (`rule: 'not-a-zip'`) when the file
 * is not a zip, is truncated or its directory is damaged. I/O errors (ENOENT, EIO…) pass through.
 */
export async function inspectArchive(path: string, limits?: ArchiveLimits): Promise<ArchiveListing> {
  const resolved = resolveArchiveLimits(limits);
  const directory = await readCentralDirectory(path, resolved);
  directory.zip.close();
  return {
    entries: directory.files.map(({ path, size, compressedSize }) => ({ path, size, compressedSize })),
    totalSize: directory.totalSize,
    limits: resolved,
  };
}

/** Shared by inspectArchive and extractToStore (which reads the directory again rather than trust a listing). */
export async function readCentralDirectory(
  path: string,
  limits: ResolvedArchiveLimits,
): Promise<CentralDirectory> {
  const handle = await open(path, 'r');
  let zip: yauzl.ZipFile;
  try {
    const { size } = await handle.stat();
    // decodeStrings off: yauzl would otherwise refuse bad names itself, with messages that name no rule.
    // We decode with its own getFileNameLowLevel below, so the UTF-8/CP437 choice is still yauzl's.
    // validateEntrySizes off: extraction counts the bytes itself, and says which entry lied.
    zip = await yauzl.fromRandomAccessReaderPromise(new FileReader(handle), size, {
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (err) {
    // No ZipFile, so nothing will ever close the reader: close the file here.
    await handle.close();
    if (isSystemError(err)) throw err;
    throw notAZip((err as Error).message);
  }
  // The reader reports a failure to close the file through the ZipFile; unheard, that would crash the
  // process, and there is nothing left to do about it by then.
  zip.on('error', () => {});
  try {
    return await readEntries(zip, limits);
  } catch (err) {
    zip.close();
    throw err;
  }
}

async function readEntries(zip: yauzl.ZipFile, limits: ResolvedArchiveLimits): Promise<CentralDirectory> {
  if (zip.entryCount > limits.maxEntries) {
    throw refuseArchive(
      'entry-count',
      `it has ${zip.entryCount} entries, over the limit of ${limits.maxEntries}`,
      {
        entries: zip.entryCount,
        limit: limits.maxEntries,
      },
    );
  }
  const files: CentralFile[] = [];
  const exact = new Map<string, string>(); // path → entry name
  const folded = new Map<string, string>(); // folded path → entry name
  const folders = new Map<string, string>(); // folded folder path → name of an entry that needs it
  const spans: { name: string; start: number; end: number }[] = [];
  let totalSize = 0;
  let index = 0;

  const iterator = zip.eachEntry();
  for (;;) {
    let step: IteratorResult<yauzl.Entry>;
    try {
      step = await iterator.next();
    } catch (err) {
      if (isSystemError(err)) throw err;
      const message = (err as Error).message;
      // yauzl stops at the fixed header, before the name, so the entry can only be named by position.
      if (/strong encryption/i.test(message)) {
        throw refuseArchive(
          'encrypted',
          `entry #${index + 1} uses strong encryption; upload an archive without a password`,
          {
            index,
          },
        );
      }
      throw notAZip(message);
    }
    if (step.done) break;
    index++;
    const entry = step.value;

    // Bit 11 set: UTF-8, else CP437 (APPNOTE 4.4.4, appendix D), or an Info-ZIP Unicode Path field
    // whose CRC matches the stored name. strictFileNames keeps backslashes, so errors show the name as stored.
    const name = yauzl.getFileNameLowLevel(
      entry.generalPurposeBitFlag,
      entry.fileNameRaw,
      entry.extraFields,
      true,
    );
    const { path, directory: slash } = checkEntryName(name, entry.fileNameRaw);

    const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
    if (fileType === S_IFLNK) {
      throw refuseEntry(name, 'symlink', 'it is a symbolic link, which could point outside the course');
    }
    if (fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
      throw refuseEntry(
        name,
        'special-file',
        `it is not a regular file (Unix file type 0o${fileType.toString(8)})`,
      );
    }
    if (entry.generalPurposeBitFlag & FLAG_ENCRYPTED) {
      throw refuseEntry(name, 'encrypted', 'it is encrypted; upload an archive without a password');
    }
    const start = entry.relativeOffsetOfLocalHeader;
    const end = start + LOCAL_HEADER_BYTES + entry.compressedSize;
    if (end > zip.fileSize) {
      throw notAZip(`its data would end at byte ${end}, past the end of the ${zip.fileSize}-byte file`, name);
    }
    spans.push({ name, start, end });

    const dosDirectory = (entry.externalFileAttributes & DOS_DIRECTORY) !== 0 && entry.uncompressedSize === 0;
    if (slash || fileType === S_IFDIR || dosDirectory) {
      if (entry.uncompressedSize > 0) {
        throw refuseEntry(
          name,
          'directory-with-data',
          `it is a directory, yet declares ${entry.uncompressedSize} bytes of data`,
        );
      }
      needFolder(folders, path, name, true);
      continue;
    }

    const size = entry.uncompressedSize;
    const compressedSize = entry.compressedSize;
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
      throw refuseEntry(
        name,
        'compression-method',
        `it uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported`,
        {
          compressionMethod: entry.compressionMethod,
        },
      );
    }
    if (entry.compressionMethod === STORED && compressedSize !== size) {
      throw refuseEntry(
        name,
        'size-mismatch',
        `it is stored without compression, yet declares ${compressedSize} bytes stored for ${size} bytes of content`,
      );
    }
    if (size > limits.maxEntryBytes) {
      throw refuseEntry(
        name,
        'entry-size',
        `it declares ${size} bytes, over the per-file limit of ${limits.maxEntryBytes}`,
        {
          size,
          limit: limits.maxEntryBytes,
        },
      );
    }
    if (size >= limits.ratioMinBytes && size > compressedSize * limits.maxRatio) {
      const ratio = compressedSize === 0 ? 'unbounded' : `${Math.round(size / compressedSize)}:1`;
      throw refuseEntry(
        name,
        'compression-ratio',
        `it inflates ${compressedSize} bytes to ${size} (${ratio}), over the limit of ${limits.maxRatio}:1 — a zip-bomb sign`,
        {
          size,
          compressedSize,
          limit: limits.maxRatio,
        },
      );
    }
    totalSize += size;
    if (totalSize > limits.maxTotalBytes) {
      throw refuseEntry(
        name,
        'total-size',
        `it brings the archive's uncompressed size to ${totalSize} bytes, over the limit of ${limits.maxTotalBytes}`,
        {
          totalSize,
          limit: limits.maxTotalBytes,
        },
      );
    }
    const same = exact.get(path);
    if (same !== undefined) {
      throw refuseEntry(
        name,
        'duplicate-entry',
        `the archive holds ${showName(same)} twice; which copy wins depends on the tool`,
      );
    }
    const fold = foldPath(path);
    const alike = folded.get(fold);
    if (alike !== undefined) {
      throw refuseEntry(
        name,
        'case-collision',
        `it differs from ${showName(alike)} only in letter case or Unicode form; a case-insensitive filesystem or CDN would serve one for the other`,
        {
          other: alike,
        },
      );
    }
    exact.set(path, name);
    folded.set(fold, name);
    needFolder(folders, path, name, false);
    files.push({
      path,
      name,
      size,
      compressedSize,
      crc32: entry.crc32,
      compressionMethod: entry.compressionMethod,
      generalPurposeBitFlag: entry.generalPurposeBitFlag,
      relativeOffsetOfLocalHeader: entry.relativeOffsetOfLocalHeader,
    });
  }

  // `a` as a file and `a/b` cannot both exist on a filesystem (or in a zip download of the course).
  for (const file of files) {
    const other = folders.get(foldPath(file.path));
    if (other !== undefined) {
      throw refuseEntry(
        file.name,
        'path-conflict',
        `it is a file, but ${showName(other)} needs a folder of the same name`,
        {
          other,
        },
      );
    }
  }

  // Entries whose data overlap let a small file declare many large entries (Fifield's overlapping bomb).
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const previous = spans[i - 1]!;
    const current = spans[i]!;
    if (current.start < previous.end) {
      throw refuseEntry(
        current.name,
        'overlapping-entries',
        `its data overlaps that of ${showName(previous.name)}, a zip-bomb technique`,
        {
          other: previous.name,
        },
      );
    }
  }

  return { zip, files, totalSize };
}

// Records the folders a path needs (all its parents, and itself for a directory entry).
function needFolder(folders: Map<string, string>, path: string, name: string, itself: boolean): void {
  const segments = path.split('/');
  for (let n = itself ? segments.length : segments.length - 1; n > 0; n--) {
    const folder = foldPath(segments.slice(0, n).join('/'));
    if (folders.has(folder)) return; // its parents are in already
    folders.set(folder, name);
  }
}
