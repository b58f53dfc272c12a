import { AppError } from '../../core/errors.ts';

/**
 * Stable names for each reason an archive or entry is refused; they are `details.rule` in the error,
 * so callers and the UI can switch on them without parsing messages.
 */
export type ArchiveRule =
  | 'not-a-zip'
  | 'entry-count'
  | 'empty-name'
  | 'control-character'
  | 'invalid-utf8'
  | 'absolute-path'
  | 'drive-letter'
  | 'path-traversal'
  | 'bad-segment'
  | 'name-too-long'
  | 'symlink'
  | 'special-file'
  | 'directory-with-data'
  | 'encrypted'
  | 'compression-method'
  | 'entry-size'
  | 'total-size'
  | 'compression-ratio'
  | 'duplicate-entry'
  | 'case-collision'
  | 'path-conflict'
  | 'overlapping-entries'
  | 'corrupt-entry'
  | 'size-exceeded'
  | 'size-mismatch'
  | 'crc-mismatch'
  | 'archive-changed'
  | 'key-invalid';

// Names come from the uploader: quote them (control characters escaped) and keep messages bounded.
export function showName(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

export function refuseEntry(
  entry: string,
  rule: ArchiveRule,
  why: string,
  extra: Record<string, unknown> = {},
): AppError {
  return new AppError('VALIDATION_FAILED', `Archive entry ${showName(entry)} is refused (${rule}): ${why}.`, {
    entry,
    rule,
    ...extra,
  });
}

export function refuseArchive(rule: ArchiveRule, why: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_FAILED', `The archive is refused (${rule}): ${why}.`, { rule, ...extra });
}

/** The file is not a readable ZIP at all: not a zip, truncated, or its central directory is damaged. */
export function notAZip(reason: string, entry?: string): AppError {
  const message = `not a valid ZIP archive: ${reason.replace(/\.$/, '')}`;
  return entry === undefined
    ? new AppError('VALIDATION_FAILED', `The file is ${message}.`, { rule: 'not-a-zip', reason })
    : refuseEntry(entry, 'corrupt-entry', message, { reason });
}

/**
 * Node system errors (EIO, EMFILE, ENOSPC…) are the server's problem, not the uploader's: they pass through
 * unchanged. Everything else yauzl or zlib says is about the bytes of the archive.
 */
export function isSystemError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
