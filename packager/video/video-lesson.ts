import { createRequire } from 'node:module';
import { VIDEO_TRACKING_JS } from './video-statements.ts';

export interface VideoLessonOptions {
  title: string;
  /** Relative to the lesson page. */
  hlsSrc?: string;
  mp4Src?: string;
  /** Share of the video (0 < t ≤ 1, 3 decimals) that must be watched for "completed". */
  completionThreshold?: number;
  /** From the probe; the player's own reading replaces it when the metadata loads. */
  durationSeconds?: number;
  /** RFC 5646 tag of the title's language, for the activity name; `und` when unknown. */
  language?: string;
}

/** The file hls.js ships as a classic script; the lesson loads it as `./hls.min.js`. */
export function hlsJsPath(): string {
  return createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
}

/** The file name the lesson loads hls.js from, next to index.html. */
export const HLS_JS_FILE = 'hls.min.js';

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function relativePath(value: string, what: string): string {
  if (!/^[A-Za-z0-9._~/-]+$/.test(value) || value.startsWith('/') || value.split('/').includes('..')) {
    throw new Error(
      `${what} must be a relative path inside the course version, not ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

// Runs in the page after VIDEO_TRACKING_JS: wires the <video> element to hls.js (or native HLS, or the
// MP4) and the tracker to the LRS. Same dialect as VIDEO_TRACKING_JS: ES2017, no template literals.
const PAGE_JS = `(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('crest-video-config').textContent);
  var video = document.getElementById('video');
  var statusEl = document.getElementById('status');
  // For tests and support: which engine plays, why a fallback happened, what the LRS answered.
  var state = { engine: null, fallbackReason: null, level: null, results: [], tracking: false };
  window.crestVideo = state;

  function randomBytes(n) {
    var b = new Uint8Array(n);
    crypto.getRandomValues(b);
    return b;
  }

  var launch = CrestVideo.parseLaunch(location.search, URLSearchParams);
  var tracker = null;
  var sender = null;
  function newSession() {
    tracker = CrestVideo.createVideoTracker({
      activityId: launch.activityId || location.origin + location.pathname,
      title: cfg.title,
      language: cfg.language,
      actor: launch.actor,
      registration: launch.registration,
      length: cfg.durationSeconds || (isFinite(video.duration) ? video.duration : 0),
      completionThreshold: cfg.completionThreshold,
      now: function () { return new Date(); },
      uuid: function () { return CrestVideo.uuidV4(randomBytes); },
      userAgent: navigator.userAgent
    });
    state.tracker = tracker;
  }
  if (launch) {
    state.tracking = true;
    newSession();
    sender = CrestVideo.createStatementSender(launch, window.fetch.bind(window), function (batch, status, err) {
      state.results.push({ verbs: batch.map(function (s) { return s.verb.id; }), status: status });
      if (!(status >= 200 && status < 300)) console.warn('xAPI statements not stored', status, err || '');
    });
  }

  function emit(statements) {
    if (sender && statements.length) sender.send(statements);
  }

  var switching = false;
  var seekFrom = null;
  video.addEventListener('loadedmetadata', function () {
    if (!tracker) return;
    if (!cfg.durationSeconds && isFinite(video.duration)) tracker.setLength(video.duration);
    emit(tracker.initialized());
  });
  video.addEventListener('play', function () {
    if (tracker && !switching) emit(tracker.played(video.currentTime));
  });
  video.addEventListener('pause', function () {
    if (tracker && !switching) emit(tracker.paused(video.currentTime));
  });
  video.addEventListener('timeupdate', function () {
    if (tracker && !switching && !video.seeking && seekFrom === null) emit(tracker.timeupdate(video.currentTime));
  });
  // Scrubbing fires many "seeking" events and one "seeked": report one seek, from where playback was.
  video.addEventListener('seeking', function () {
    if (tracker && !switching && seekFrom === null) seekFrom = tracker.snapshot().position;
  });
  video.addEventListener('seeked', function () {
    if (!tracker || seekFrom === null) return;
    var from = seekFrom;
    seekFrom = null;
    emit(tracker.seeked(from, video.currentTime));
  });
  video.addEventListener('ended', function () {
    if (tracker) emit(tracker.ended(video.currentTime));
  });
  window.addEventListener('pagehide', function () {
    if (tracker && sender) sender.flushNow(tracker.terminated(video.currentTime));
  });
  // Back from the back/forward cache: the old session was terminated on pagehide, so start another
  // (VP §2.3.7: nothing may follow terminated within a session).
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted || !launch) return;
    newSession();
    emit(tracker.initialized());
  });

  function say(text) {
    statusEl.textContent = text;
    statusEl.hidden = !text;
  }

  var hls = null;
  var mp4Tried = false;
  function useMp4(reason) {
    if (mp4Tried) {
      say('The video cannot be played in this browser.');
      return;
    }
    mp4Tried = true;
    state.fallbackReason = reason;
    console.warn('Falling back to the MP4:', reason);
    var resumeAt = video.currentTime || 0;
    var wasPlaying = !video.paused;
    switching = true;
    if (hls) {
      hls.destroy();
      hls = null;
    }
    state.engine = 'mp4';
    video.addEventListener('loadedmetadata', function restore() {
      video.removeEventListener('loadedmetadata', restore);
      if (resumeAt > 0) {
        video.addEventListener('seeked', function done() {
          video.removeEventListener('seeked', done);
          switching = false;
        });
        video.currentTime = resumeAt;
      } else {
        switching = false;
      }
      if (wasPlaying) video.play().catch(function () {});
    });
    video.src = cfg.mp4Src;
  }

  video.addEventListener('error', function () {
    if (state.engine === 'native') useMp4('native HLS error ' + (video.error ? video.error.code : ''));
    else if (state.engine === 'mp4') say('The video cannot be played in this browser.');
  });

  if (window.Hls && window.Hls.isSupported()) {
    var Hls = window.Hls;
    state.engine = 'hls.js';
    hls = new Hls({ capLevelToPlayerSize: true });
    var recovered = false;
    hls.on(Hls.Events.ERROR, function (event, data) {
      if (!data.fatal) return;
      // hls.js has already retried loads by now; one decoder recovery is worth a try before the MP4.
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
        return;
      }
      useMp4('hls.js ' + data.type + ': ' + data.details);
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, function (event, data) {
      var level = hls.levels[data.level];
      state.level = level ? level.height : null;
    });
    hls.loadSource(cfg.hlsSrc);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    state.engine = 'native';
    video.src = cfg.hlsSrc;
  } else {
    useMp4('no HLS support (neither Media Source Extensions nor native HLS)');
  }
})();
`;

/**
 * The built-in video lesson: one self-contained HTML page (plus `./hls.min.js` beside it) that plays
 * the HLS ladder with hls.js, natively where the browser plays HLS itself (Safari), or the original
 * MP4 when neither works or playback fails for good. Launched with xAPI launch parameters it reports
 * xAPI Video Profile statements (see video-statements.ts); without them it just plays.
 */
export function buildVideoLessonHtml(opts: VideoLessonOptions): string {
  const threshold = opts.completionThreshold ?? 0.95;
  // VP jsonld, completion-threshold: between 0 and 1 with at most 3 decimals.
  if (!(threshold > 0 && threshold <= 1)) {
    throw new Error(`completionThreshold must be above 0 and at most 1, not ${threshold}.`);
  }
  const config = {
    title: opts.title || 'Video',
    language: opts.language ?? 'und',
    hlsSrc: relativePath(opts.hlsSrc ?? 'hls/master.m3u8', 'hlsSrc'),
    mp4Src: relativePath(opts.mp4Src ?? 'original.mp4', 'mp4Src'),
    completionThreshold: Math.round(threshold * 1000) / 1000,
    durationSeconds:
      opts.durationSeconds && opts.durationSeconds > 0
        ? Math.round(opts.durationSeconds * 1000) / 1000
        : null,
  };
  // `<` can't end the script element from inside JSON once escaped; JSON.parse reads \u003c back.
  const configJson = JSON.stringify(config).replace(/</g, '\\u003c');
  const title = escapeHtml(config.title);
  return `<!doctype html>
<html lang="${escapeHtml(config.language === 'und' ? '' : config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  html, body { margin: 0; height: 100%; background: #111; color: #eee; font: 16px/1.4 system-ui, sans-serif; }
  main { display: flex; flex-direction: column; height: 100%; }
  h1 { font-size: 1.1rem; font-weight: 600; margin: 0; padding: .6rem 1rem; }
  .stage { flex: 1; min-height: 0; display: flex; align-items: center; justify-content: center; }
  video { width: 100%; height: 100%; max-height: 100%; background: #000; }
  #status { padding: .6rem 1rem; background: #5a1d1d; }
</style>
</head>
<body>
<main>
<h1>${title}</h1>
<div class="stage">
<video id="video" controls playsinline preload="metadata">
<a href="${escapeHtml(config.mp4Src)}">Download the video</a>
</video>
</div>
<p id="status" role="status" hidden></p>
</main>
<script type="application/json" id="crest-video-config">${configJson}</script>
<script src="./${HLS_JS_FILE}"></script>
<script>
${VIDEO_TRACKING_JS}
${PAGE_JS}</script>
</body>
</html>
`;
}
