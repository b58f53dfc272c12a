import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';

// Reads of file data are at most this big; the streams' own highWaterMark bounds what is buffered.
const CHUNK_BYTES = 64 * 1024;

/*
 * Why not yauzl.open(): its fd-slicer queues each read behind the others (one at a time) and, if a
 * stream is destroyed while its read is still queued, the queued read dereferences the stream's
 * cleared context and throws an uncaught TypeError ("Cannot read properties of null (reading 'fd')"),
 * which takes the process down. Destroying streams mid-flight is exactly what an aborted extraction
 * does, with several entries streaming at once. This reader's streams finish their in-flight read
 * before they report closed, and the file is only closed once every stream has.
 */
export class FileReader extends yauzl.RandomAccessReader {
  private readonly open = new Set<Readable>();
  private onIdle: (() => void) | undefined;

  constructor(private readonly handle: FileHandle) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const stream = new RangeStream(this.handle, start, end);
    this.open.add(stream);
    stream.once('close', () => {
      this.open.delete(stream);
      if (this.open.size === 0) this.onIdle?.();
    });
    return stream;
  }

  // yauzl reads the central directory in small pieces through this; no stream needed for those.
  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    this.handle.read(buffer, offset, length, position).then(
      ({ bytesRead }) => callback(bytesRead < length ? new Error('unexpected EOF') : null),
      (err: Error) => callback(err),
    );
  }

  // yauzl calls this once its own reference count drops to zero (ZipFile.close() and every stream done).
  override close(callback: (err: Error | null) => void): void {
    const closeHandle = () => {
      this.onIdle = undefined;
      this.handle.close().then(
        () => callback(null),
        (err: Error) => callback(err),
      );
    };
    if (this.open.size === 0) closeHandle();
    else this.onIdle = closeHandle;
  }
}

/** Bytes [start, end) of the file; destroy() waits for a read in flight before it completes. */
class RangeStream extends Readable {
  private position: number;
  private reading = false;
  private afterRead: (() => void) | undefined;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: CHUNK_BYTES });
    this.position = start;
  }

  override _read(size: number): void {
    const length = Math.min(size, CHUNK_BYTES, this.end - this.position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    this.reading = true;
    const buffer = Buffer.allocUnsafe(length);
    this.handle.read(buffer, 0, length, this.position).then(
      ({ bytesRead }) =>
        this.settle(() => {
          if (bytesRead === 0) {
            this.destroy(new Error(`unexpected EOF at byte ${this.position}`));
            return;
          }
          this.position += bytesRead;
          this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
        }),
      (err: Error) => this.settle(() => this.destroy(err)),
    );
  }

  private settle(then: () => void): void {
    this.reading = false;
    const waiting = this.afterRead;
    this.afterRead = undefined;
    if (waiting) waiting();
    else if (!this.destroyed) then();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.reading) this.afterRead = () => callback(err);
    else callback(err);
  }
}
