import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../core/errors.ts';
import { assertBlobPrefix, type BlobStore } from '../../storage/blob-store.ts';
import { contentTypeFor } from '../archive/content-type.ts';
import { isMp4, probeVideo, readHead } from './detect-video.ts';
import { type Rendition, type Rung, transcodeToHls } from './transcode-hls.ts';
import { buildVideoLessonHtml, HLS_JS_FILE, hlsJsPath } from './video-lesson.ts';

export interface VideoImportProgress {
  phase: 'probing' | 'transcoding' | 'uploading';
  /** 0..1 within the phase. */
  ratio: number;
  /** While uploading. */
  files?: number;
  totalFiles?: number;
  bytes?: number;
}

export interface ImportVideoInput {
  /** The uploaded MP4 on local disk. */
  file: string;
  store: BlobStore;
  /** Empty version prefix ending with '/', e.g. `tenants/<t>/courses/<course>/v<n>/`. */
  prefix: string;
  title: string;
  onProgress?(p: VideoImportProgress): void;
  signal?: AbortSignal;
  /** Share watched for "completed"; 0.95 unless set. */
  completionThreshold?: number;
  ladder?: Rung[];
  /** Parallel uploads. */
  concurrency?: number;
  /** Folder that holds the transcoding work folder; os.tmpdir() unless set. */
  workRoot?: string;
}

/** What `course_versions.model` holds for a video course. */
export interface VideoCourseModel {
  standard: 'video';
  title: string;
  durationSeconds: number;
  width: number;
  height: number;
  videoCodec: string;
  audioCodec: string | null;
  completionThreshold: number;
  /** Paths relative to the version prefix. */
  hls: string;
  original: string;
  renditions: Rendition[];
}

export interface ImportVideoResult {
  files: number;
  bytes: number;
  /** Every path written, relative to the prefix. */
  paths: string[];
  launchPath: 'index.html';
  model: VideoCourseModel;
}

export const ORIGINAL_FILE = 'original.mp4';
export const HLS_DIR = 'hls';
export const LESSON_FILE = 'index.html';

/** Per-version files never change: the same caching the delivery routes announce. */
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

interface Upload {
  key: string;
  size: number;
  put(): Promise<unknown>;
}

/**
 * Turns an uploaded MP4 into a video course version under `prefix`: `original.mp4` (kept as the
 * fallback), `hls/master.m3u8` with a 720p/480p/360p ladder, `hls.min.js` and `index.html` (the
 * lesson, see video-lesson.ts). Refuses a file that is not an MP4 or not playable with
 * AppError('VALIDATION_FAILED'). On any failure or abort, whatever was written under `prefix` is
 * deleted and the first error is rethrown; the local work folder is always removed.
 */
export async function importVideo(input: ImportVideoInput): Promise<ImportVideoResult> {
  const { store, prefix, signal } = input;
  if (!prefix.endsWith('/')) throw new Error(`The version prefix must end with '/': ${prefix}`);
  assertBlobPrefix(prefix);
  for await (const existing of store.list(prefix)) {
    throw new AppError('CONFLICT', `The version prefix ${prefix} is not empty (it holds ${existing.key}).`, {
      prefix,
    });
  }
  const report = (p: VideoImportProgress) => {
    try {
      input.onProgress?.(p);
    } catch {
      // A listener's bug must not fail the import.
    }
  };

  report({ phase: 'probing', ratio: 0 });
  if (!isMp4(await readHead(input.file))) {
    throw new AppError(
      'VALIDATION_FAILED',
      'The file is not an MP4 video: it does not start with an ISO BMFF "ftyp" box naming an MP4 brand. Upload an .mp4 (H.264/AAC plays everywhere) or a .zip course package.',
      { rule: 'not-mp4' },
    );
  }
  const probe = await probeVideo(input.file, { signal });
  report({ phase: 'probing', ratio: 1 });

  const work = await mkdtemp(path.join(input.workRoot ?? os.tmpdir(), 'crest-video-'));
  let wrote = false;
  try {
    const hlsDir = path.join(work, HLS_DIR);
    report({ phase: 'transcoding', ratio: 0 });
    const hls = await transcodeToHls(input.file, hlsDir, {
      probe,
      signal,
      ladder: input.ladder,
      onProgress: (ratio) => report({ phase: 'transcoding', ratio }),
    });
    const completionThreshold = input.completionThreshold ?? 0.95;
    const html = Buffer.from(
      buildVideoLessonHtml({
        title: input.title,
        hlsSrc: `${HLS_DIR}/master.m3u8`,
        mp4Src: ORIGINAL_FILE,
        completionThreshold,
        durationSeconds: probe.durationSeconds,
      }),
    );

    const fileUpload = async (rel: string, local: string, contentType: string): Promise<Upload> => ({
      key: `${prefix}${rel}`,
      size: (await stat(local)).size,
      put: () =>
        store.put(`${prefix}${rel}`, createReadStream(local), { contentType, cacheControl: CACHE_CONTROL }),
    });
    const uploads: Upload[] = [
      await fileUpload(ORIGINAL_FILE, input.file, 'video/mp4'),
      ...(await Promise.all(
        hls.files.map((f) => fileUpload(`${HLS_DIR}/${f}`, path.join(hlsDir, f), contentTypeFor(f))),
      )),
      await fileUpload(HLS_JS_FILE, hlsJsPath(), contentTypeFor(HLS_JS_FILE)),
      {
        key: `${prefix}${LESSON_FILE}`,
        size: html.length,
        put: () =>
          store.put(`${prefix}${LESSON_FILE}`, html, {
            contentType: contentTypeFor(LESSON_FILE),
            cacheControl: CACHE_CONTROL,
          }),
      },
    ];
    const totalBytes = uploads.reduce((n, u) => n + u.size, 0);
    let files = 0;
    let bytes = 0;
    report({ phase: 'uploading', ratio: 0, files, totalFiles: uploads.length, bytes });
    wrote = true;
    // The lesson goes last, so a half-written version never has a launch file.
    const lesson = uploads.pop()!;
    await uploadAll(uploads, input.concurrency ?? 4, signal, (u) => {
      files++;
      bytes += u.size;
      report({ phase: 'uploading', ratio: bytes / totalBytes, files, totalFiles: uploads.length + 1, bytes });
    });
    signal?.throwIfAborted();
    await lesson.put();
    report({
      phase: 'uploading',
      ratio: 1,
      files: files + 1,
      totalFiles: uploads.length + 1,
      bytes: totalBytes,
    });

    return {
      files: uploads.length + 1,
      bytes: totalBytes,
      paths: [...uploads, lesson].map((u) => u.key.slice(prefix.length)),
      launchPath: LESSON_FILE,
      model: {
        standard: 'video',
        title: input.title,
        durationSeconds: probe.durationSeconds,
        width: probe.width,
        height: probe.height,
        videoCodec: probe.videoCodec,
        audioCodec: probe.audioCodec,
        completionThreshold,
        hls: `${HLS_DIR}/master.m3u8`,
        original: ORIGINAL_FILE,
        renditions: hls.renditions.map((r) => ({ ...r, playlist: `${HLS_DIR}/${r.playlist}` })),
      },
    };
  } catch (err) {
    if (wrote) {
      try {
        await store.deletePrefix(prefix);
      } catch (cleanupErr) {
        throw new AggregateError(
          [err, cleanupErr],
          `The video import failed and its files could not be removed: delete ${prefix} by hand.`,
        );
      }
    }
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs the puts `concurrency` at a time. On the first failure (or an abort) no new put starts, and the
 * ones in flight are waited for before rejecting, so a late commit can't land after the clean-up.
 */
async function uploadAll(
  uploads: Upload[],
  concurrency: number,
  signal: AbortSignal | undefined,
  onDone: (u: Upload) => void,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < uploads.length) {
      if (signal?.aborted) {
        failure ??= { err: signal.reason };
        return;
      }
      const u = uploads[next++]!;
      try {
        await u.put();
        onDone(u);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, uploads.length)) }, worker));
  if (failure) throw failure.err;
}
