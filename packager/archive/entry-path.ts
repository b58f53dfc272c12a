import { refuseEntry } from './archive-error.ts';

// The blob store's own limits (storage/blob-store.ts): a key is at most 1024 bytes, a segment at most 254.
// Checking them here refuses the archive before anything is written, with the entry named.
export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 254;

// C0 and C1 controls (NUL, CR, LF, ESC, DEL…) in a name break logs, headers and filesystems, and no
// legitimate course needs them. U+FFFD is what a bad UTF-8 byte sequence decodes to: two different
// invalid names could decode to the same string, so such names are refused rather than guessed at.
const CONTROL = /\p{Cc}/u;
const REPLACEMENT = '\uFFFD';

export interface EntryPath {
  /** Normalized relative path: forward slashes, no leading or trailing slash. */
  path: string;
  /** The name ended with '/', the ZIP way of marking a directory entry (APPNOTE 4.4.17.1). */
  directory: boolean;
}

/**
 * Validates one entry name and returns its normalized path, or throws AppError VALIDATION_FAILED
 * naming the entry and the rule.
 *
 * `name` is the decoded name (UTF-8 when general-purpose bit 11 is set, else CP437), with backslashes
 * kept; `raw` is the name's bytes as stored. Backslashes are read as separators: the spec forbids them
 * (APPNOTE 4.4.17.1), but .NET Framework 4.5–4.6.1's ZipFile wrote them, and courses built with it
 * exist. Every check below runs on the normalized path, so `..\x` and `C:\x` are refused all the same.
 */
export function checkEntryName(name: string, raw: Buffer): EntryPath {
  if (raw.length === 0 || name === '') throw refuseEntry(name, 'empty-name', 'it has an empty name');
  // Raw bytes too: CP437 decodes 0x01–0x1F to symbols (☺, ♥…), which would hide them from the regex.
  if (raw.some((byte) => byte < 0x20 || byte === 0x7f) || CONTROL.test(name)) {
    throw refuseEntry(name, 'control-character', 'its name contains a control character');
  }
  if (name.includes(REPLACEMENT)) {
    throw refuseEntry(name, 'invalid-utf8', 'its name is not valid UTF-8');
  }
  let path = name.replaceAll('\\', '/');
  if (path.startsWith('/')) {
    throw refuseEntry(name, 'absolute-path', 'it has an absolute path; entries must be relative');
  }
  if (/^[A-Za-z]:/.test(path)) {
    throw refuseEntry(name, 'drive-letter', 'it starts with a drive letter; entries must be relative');
  }
  const directory = path.endsWith('/');
  if (directory) path = path.slice(0, -1);
  const segments = path.split('/');
  if (segments.includes('..')) {
    throw refuseEntry(name, 'path-traversal', 'its path has a ".." segment, which could escape the folder');
  }
  if (segments.some((s) => s === '' || s === '.')) {
    throw refuseEntry(name, 'bad-segment', 'its path has an empty ("//") or "." segment');
  }
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) {
    throw refuseEntry(name, 'name-too-long', `its path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (segments.some((s) => Buffer.byteLength(s, 'utf8') > MAX_SEGMENT_BYTES)) {
    throw refuseEntry(
      name,
      'name-too-long',
      `a segment of its path is longer than ${MAX_SEGMENT_BYTES} bytes`,
    );
  }
  return { path, directory };
}

/**
 * The form two paths share when a case-insensitive, normalization-insensitive filesystem (Windows,
 * macOS) or a case-folding CDN/proxy would treat them as one file. Canonical composition (NFC) then
 * lower case: `Index.html` and `index.HTML` collide, and so do `café` precomposed and `cafe\u0301`.
 */
export function foldPath(path: string): string {
  return path.normalize('NFC').toLowerCase();
}
