import vm from 'node:vm';

/*
 * xAPI Video Profile statements for the built-in video lesson.
 *
 * The logic is browser JavaScript kept as ONE string (`VIDEO_TRACKING_JS`): the lesson page inlines it
 * verbatim, and `loadVideoTracking()` evaluates the very same string in a node:vm context for the unit
 * tests and for server-side use. There is no build step and no second copy to drift. (Stringifying a
 * TypeScript function instead would ship whatever tsx/esbuild made of it, helpers such as `__name`
 * included, which the browser doesn't have.)
 *
 * Sections cited as "VP §x" are the xAPI Video Profile 1.0 "xAPI Statement Data Model"
 * (https://liveaspankaj.gitbooks.io/xapi-video-profile/content/statement_data_model.html); "VP template
 * #x" is a Statement Template of the machine-readable profile, https://w3id.org/xapi/video
 * (adlnet/xapi-authored-profiles video/v1.0.3/video.jsonld), whose rules say which properties each
 * verb's statement must include.
 *
 * The source is ES2017 with no template literals (it lives inside one), no DOM, no `</script`.
 */
export const VIDEO_TRACKING_JS = String.raw`var CrestVideo = (function () {
  'use strict';
  var PROFILE = 'https://w3id.org/xapi/video';
  var EXT = PROFILE + '/extensions/';
  // VP §2.3; the profile reuses ADL's verbs for initialized, completed and terminated.
  var VERBS = {
    initialized: 'http://adlnet.gov/expapi/verbs/initialized',
    played: PROFILE + '/verbs/played',
    paused: PROFILE + '/verbs/paused',
    seeked: PROFILE + '/verbs/seeked',
    completed: 'http://adlnet.gov/expapi/verbs/completed',
    terminated: 'http://adlnet.gov/expapi/verbs/terminated'
  };
  // A jump this big between two timeupdate events is a seek the page did not see (a timeupdate fires
  // every 15-250 ms while playing, HTML "timeupdate" event rules), so it must not count as watched.
  var MAX_GAP_SECONDS = 2.5;
  // Players move the playhead by fractions of a second on their own (hls.js jumps buffer gaps and
  // nudges past stalls); a learner's seek from the controls is seconds. Smaller moves are not seeks.
  var MIN_SEEK_SECONDS = 1;
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  // VP §2.5.4.1-2.5.4.5, §2.6.2.13: times, progress and length are floats with at most 3 decimals.
  function round3(n) {
    return Math.round(n * 1000) / 1000;
  }

  function clampTime(t, length) {
    if (typeof t !== 'number' || !(t >= 0)) return 0;
    if (length > 0 && t > length) t = length;
    return round3(t);
  }

  // Seconds covered by the union of [start, end] pairs: watching a part twice counts once.
  function unionSeconds(segments) {
    var sorted = segments
      .filter(function (s) { return s[1] > s[0]; })
      .map(function (s) { return [s[0], s[1]]; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var total = 0;
    var cur = null;
    for (var i = 0; i < sorted.length; i++) {
      var s = sorted[i];
      if (cur && s[0] <= cur[1]) {
        if (s[1] > cur[1]) cur[1] = s[1];
      } else {
        if (cur) total += cur[1] - cur[0];
        cur = s;
      }
    }
    if (cur) total += cur[1] - cur[0];
    return round3(total);
  }

  // VP §2.5.4.4: "progress" is the share of the media consumed, 0..1 with 3 decimals, computed from
  // the played segments.
  function progressOf(segments, length) {
    if (!(length > 0)) return 0;
    return Math.min(1, round3(unionSeconds(segments) / length));
  }

  // VP §2.5.4.5: chronological "start[.]end" parts joined by "[,]", e.g. 0.000[.]12.000[,]14.000[.]21.000
  function formatSegments(segments) {
    return segments
      .map(function (s) { return s[0].toFixed(3) + '[.]' + s[1].toFixed(3); })
      .join('[,]');
  }

  function parseSegments(text) {
    if (!text) return [];
    return String(text).split('[,]').map(function (part) {
      var ends = part.split('[.]');
      return [Number(ends[0]), Number(ends[1])];
    }).filter(function (s) { return isFinite(s[0]) && isFinite(s[1]) && s[1] >= s[0]; });
  }

  // VP §2.5.3: ISO 8601 duration, e.g. PT218S (fractions allowed, ISO 8601 §4.4.3.2).
  function isoDuration(seconds) {
    return 'PT' + round3(Math.max(0, seconds || 0)) + 'S';
  }

  // RFC 4122 §4.4 version 4. The session-id extension's schema demands v4 (VP jsonld, session-id).
  // crypto.randomUUID needs a secure context; getRandomValues does not, and content may be plain http.
  function uuidV4(randomBytes) {
    var b = randomBytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = '';
    for (var i = 0; i < 16; i++) h += (b[i] + 0x100).toString(16).slice(1);
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function first(v) {
    return Array.isArray(v) ? v[0] : v;
  }

  // The launch "actor" is an Agent; Tin Can launch (0.95 era) wraps every value in an array and
  // spells account as accountServiceHomePage/accountName. xAPI 1.0.3 §2.4.2.1: exactly one IFI.
  function normalizeActor(a) {
    if (!a || typeof a !== 'object' || Array.isArray(a)) return null;
    var out = { objectType: 'Agent' };
    var name = first(a.name);
    if (typeof name === 'string' && name) out.name = name;
    var mbox = first(a.mbox);
    var sha1 = first(a.mbox_sha1sum);
    var openid = first(a.openid);
    var acc = first(a.account);
    if (typeof mbox === 'string' && mbox) {
      // xAPI 1.0.3 §2.4.2.3: the scheme is lower-case "mailto:".
      out.mbox = 'mailto:' + mbox.replace(/^mailto:/i, '');
    } else if (typeof sha1 === 'string' && sha1) {
      out.mbox_sha1sum = sha1;
    } else if (typeof openid === 'string' && openid) {
      out.openid = openid;
    } else if (acc && typeof acc === 'object') {
      var homePage = acc.homePage || acc.accountServiceHomePage;
      var accName = acc.name || acc.accountName;
      if (typeof homePage !== 'string' || typeof accName !== 'string' || !homePage || !accName) return null;
      out.account = { homePage: homePage, name: accName };
    } else {
      return null;
    }
    return out;
  }

  // Tin Can / xAPI launch: ?endpoint=…&auth=Basic%20…&actor={…}&registration=…&activity_id=…
  // Returns null when the page was opened without an LRS to report to.
  function parseLaunch(search, SearchParams) {
    var p = new SearchParams(search || '');
    var endpoint = p.get('endpoint');
    var auth = p.get('auth');
    var actorText = p.get('actor');
    if (!endpoint || !auth || !actorText || !/^https?:\/\//i.test(endpoint)) return null;
    var actor;
    try {
      actor = normalizeActor(JSON.parse(actorText));
    } catch (e) {
      return null;
    }
    if (!actor) return null;
    var registration = p.get('registration');
    return {
      endpoint: endpoint.replace(/\/*$/, '/'),
      auth: /\s/.test(auth.trim()) ? auth.trim() : 'Basic ' + auth.trim(),
      actor: actor,
      // xAPI 1.0.3 §2.4.6: registration is a UUID; anything else would get every statement refused.
      registration: registration && UUID.test(registration) ? registration.toLowerCase() : null,
      activityId: p.get('activity_id') || null
    };
  }

  /*
   * One video session as a state machine: feed it what the player did, get back the statements to
   * send, in order. It keeps the played segments (VP §2.5.4.5) and derives progress from their union.
   * o: { activityId, title, language, actor, registration, length, completionThreshold,
   *      now(): Date, uuid(): string, userAgent }
   */
  function createVideoTracker(o) {
    var threshold = typeof o.completionThreshold === 'number' ? round3(o.completionThreshold) : 1;
    var st = {
      sessionId: null,
      length: round3(o.length > 0 ? o.length : 0),
      playing: false,
      segStart: null,
      position: 0,
      segments: [],
      watched: 0,
      completed: false,
      terminated: false
    };

    function openSegments() {
      var all = st.segments.slice();
      if (st.playing && st.segStart !== null && st.position > st.segStart) all.push([st.segStart, st.position]);
      return all;
    }

    function watchedSeconds() {
      var open = st.playing && st.segStart !== null ? Math.max(0, st.position - st.segStart) : 0;
      return st.watched + open;
    }

    function closeSegment(t) {
      if (st.segStart !== null && t > st.segStart) {
        st.segments.push([st.segStart, t]);
        st.watched += t - st.segStart;
      }
      st.segStart = null;
    }

    function progress() {
      return progressOf(openSegments(), st.length);
    }

    function statement(verb, result) {
      var ext = {};
      // VP §2.6.2.1: every statement of a session carries its id, which is the initialized statement's id.
      ext[EXT + 'session-id'] = st.sessionId;
      // VP templates #initialized, #paused, #completed, #terminated include length; it costs nothing
      // to send it always.
      ext[EXT + 'length'] = st.length;
      // VP jsonld, completion-threshold: when not 1 it MUST be in initialized, paused, completed and
      // terminated statements; sent on all of them so every statement reads the same.
      ext[EXT + 'completion-threshold'] = threshold;
      if (verb === 'initialized' && o.userAgent) ext[EXT + 'user-agent'] = String(o.userAgent);
      var name = {};
      name[o.language || 'und'] = o.title || 'Video';
      var s = {
        // VP §2.1: the LRP assigns the statement id; VP §2.6.2.1: initialized's id is the session id.
        id: verb === 'initialized' ? st.sessionId : o.uuid(),
        timestamp: o.now().toISOString(),
        actor: o.actor,
        verb: { id: VERBS[verb], display: { 'en-US': verb } },
        // VP §2.4.1: the object's definition type is the video activity type.
        object: {
          objectType: 'Activity',
          id: o.activityId,
          definition: { type: PROFILE + '/activity-type/video', name: name }
        },
        context: {
          // VP §2.6.3 (context activities, "category"): the profile IRI marks the statement as one of
          // the profile's; xAPI Profiles Part Two §"Using Profiles in Statements" types it as a profile.
          contextActivities: {
            category: [
              { objectType: 'Activity', id: PROFILE, definition: { type: 'http://adlnet.gov/expapi/activities/profile' } }
            ]
          },
          extensions: ext
        }
      };
      if (o.registration) s.context.registration = o.registration;
      if (result) s.result = result;
      return s;
    }

    // VP §2.5.4.4-2.5.4.5: paused, completed and terminated MUST carry progress and played-segments.
    function stateExtensions(t) {
      var r = {};
      r[EXT + 'time'] = t;
      r[EXT + 'progress'] = progress();
      r[EXT + 'played-segments'] = formatSegments(openSegments());
      return r;
    }

    // VP §2.3.1: initialized is the first statement of a session, and only one is sent.
    function ensureInitialized(out) {
      if (st.sessionId) return out;
      st.sessionId = o.uuid();
      out.push(statement('initialized'));
      return out;
    }

    // VP §2.3.6 / §2.5.2: completed once, when progress reaches the threshold, with completion true
    // and the time spent as duration (§2.5.3); no other statement carries "completion".
    function maybeCompleted(out, t) {
      if (st.completed || !(st.length > 0) || progress() < threshold) return out;
      st.completed = true;
      var result = { completion: true, duration: isoDuration(watchedSeconds()), extensions: stateExtensions(t) };
      out.push(statement('completed', result));
      return out;
    }

    var api = {
      setLength: function (length) {
        if (length > 0 && isFinite(length)) st.length = round3(length);
      },
      initialized: function () {
        if (st.terminated) return [];
        return ensureInitialized([]);
      },
      // VP §2.3.2: "played" when the actor starts (or resumes) experiencing the media.
      played: function (time) {
        if (st.terminated || st.playing) return [];
        var out = ensureInitialized([]);
        var t = clampTime(time, st.length);
        st.playing = true;
        st.position = t;
        st.segStart = t;
        var r = {};
        r[EXT + 'time'] = t;
        out.push(statement('played', { extensions: r }));
        return out;
      },
      // No statement of its own: extends the open segment, and may complete.
      timeupdate: function (time) {
        if (st.terminated || !st.playing) return [];
        var t = clampTime(time, st.length);
        if (t < st.position || t - st.position > MAX_GAP_SECONDS) {
          closeSegment(st.position);
          st.segStart = t;
        }
        st.position = t;
        return maybeCompleted([], t);
      },
      // VP §2.3.3 and template #paused: time, progress, played-segments.
      paused: function (time) {
        if (st.terminated || !st.playing) return [];
        var t = clampTime(time, st.length);
        if (t < st.segStart || t - st.position > MAX_GAP_SECONDS) t = st.position;
        st.position = t;
        closeSegment(t);
        st.playing = false;
        return maybeCompleted([statement('paused', { extensions: stateExtensions(t) })], t);
      },
      // VP §2.3.4 and template #seeked: time-from and time-to (§2.5.4.2-3); progress and
      // played-segments are recommended there, and sent.
      seeked: function (from, to) {
        if (st.terminated) return [];
        var a = clampTime(from, st.length);
        var b = clampTime(to, st.length);
        if (Math.abs(b - a) < MIN_SEEK_SECONDS) {
          st.position = b;
          return [];
        }
        var out = ensureInitialized([]);
        if (st.playing) {
          closeSegment(a);
          st.segStart = b;
        }
        st.position = b;
        var r = {};
        r[EXT + 'time-from'] = a;
        r[EXT + 'time-to'] = b;
        r[EXT + 'progress'] = progress();
        r[EXT + 'played-segments'] = formatSegments(openSegments());
        out.push(statement('seeked', { extensions: r }));
        return out;
      },
      // Browsers fire "pause" before "ended"; this covers the ones that don't.
      ended: function (time) {
        return api.paused(time);
      },
      // VP §2.3.7: a paused statement first if not already sent, then terminated; nothing after it.
      terminated: function (time) {
        if (st.terminated || !st.sessionId) return [];
        var t = st.playing ? clampTime(time, st.length) : st.position;
        var out = st.playing ? api.paused(t) : [];
        t = st.position;
        out.push(statement('terminated', { extensions: stateExtensions(t) }));
        st.terminated = true;
        return out;
      },
      snapshot: function () {
        return {
          sessionId: st.sessionId,
          length: st.length,
          playing: st.playing,
          position: st.position,
          segments: openSegments(),
          progress: progress(),
          completed: st.completed,
          terminated: st.terminated
        };
      }
    };
    return api;
  }

  /*
   * Posts statements to the LRS in order: one request at a time, the ones produced meanwhile batched
   * into the next. keepalive lets a request outlive the page (the Fetch standard caps keepalive bodies
   * at 64 KiB in flight); flushNow() is for pagehide, when a queued promise would never run.
   * sendBeacon can't be used: it can't send the Authorization header an LRS needs.
   */
  function createStatementSender(launch, fetchFn, onResult) {
    var url = launch.endpoint + 'statements';
    var pending = [];
    var busy = false;
    function post(batch) {
      var body = JSON.stringify(batch);
      return fetchFn(url, {
        method: 'POST',
        headers: {
          Authorization: launch.auth,
          'Content-Type': 'application/json',
          'X-Experience-API-Version': '2.0.0'
        },
        body: body,
        keepalive: body.length < 60000
      }).then(function (res) {
        if (onResult) onResult(batch, res.status);
      }, function (err) {
        if (onResult) onResult(batch, 0, err);
      });
    }
    function pump() {
      if (busy || pending.length === 0) return;
      busy = true;
      var batch = pending;
      pending = [];
      post(batch).then(function () {
        busy = false;
        pump();
      });
    }
    return {
      send: function (statements) {
        if (!statements || statements.length === 0) return;
        pending = pending.concat(statements);
        pump();
      },
      flushNow: function (statements) {
        var batch = pending.concat(statements || []);
        pending = [];
        if (batch.length > 0) post(batch);
      }
    };
  }

  return {
    VERBS: VERBS,
    createVideoTracker: createVideoTracker,
    createStatementSender: createStatementSender,
    parseLaunch: parseLaunch,
    normalizeActor: normalizeActor,
    unionSeconds: unionSeconds,
    progressOf: progressOf,
    formatSegments: formatSegments,
    parseSegments: parseSegments,
    isoDuration: isoDuration,
    uuidV4: uuidV4
  };
})();
`;

// ---- Typed access to the same code, for tests and server-side use --------------------------------

export type Segment = [number, number];
export type XapiStatement = Record<string, unknown> & { id: string; verb: { id: string } };

export interface Launch {
  endpoint: string;
  auth: string;
  actor: Record<string, unknown>;
  registration: string | null;
  activityId: string | null;
}

export interface TrackerOptions {
  activityId: string;
  title: string;
  language?: string;
  actor: Record<string, unknown>;
  registration?: string | null;
  /** Seconds. */
  length: number;
  /** 0..1; the profile's default is 1. */
  completionThreshold?: number;
  now(): Date;
  uuid(): string;
  userAgent?: string;
}

export interface VideoTracker {
  setLength(length: number): void;
  initialized(): XapiStatement[];
  played(time: number): XapiStatement[];
  timeupdate(time: number): XapiStatement[];
  paused(time: number): XapiStatement[];
  seeked(from: number, to: number): XapiStatement[];
  ended(time: number): XapiStatement[];
  terminated(time: number): XapiStatement[];
  snapshot(): {
    sessionId: string | null;
    length: number;
    playing: boolean;
    position: number;
    segments: Segment[];
    progress: number;
    completed: boolean;
    terminated: boolean;
  };
}

export interface StatementSender {
  send(statements: XapiStatement[]): void;
  flushNow(statements?: XapiStatement[]): void;
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; keepalive: boolean },
) => Promise<{ status: number }>;

export interface VideoTracking {
  VERBS: Record<'initialized' | 'played' | 'paused' | 'seeked' | 'completed' | 'terminated', string>;
  createVideoTracker(o: TrackerOptions): VideoTracker;
  createStatementSender(
    launch: Launch,
    fetchFn: FetchLike,
    onResult?: (batch: XapiStatement[], status: number, err?: unknown) => void,
  ): StatementSender;
  parseLaunch(search: string, SearchParams: typeof URLSearchParams): Launch | null;
  normalizeActor(value: unknown): Record<string, unknown> | null;
  unionSeconds(segments: Segment[]): number;
  progressOf(segments: Segment[], length: number): number;
  formatSegments(segments: Segment[]): string;
  parseSegments(text: string): Segment[];
  isoDuration(seconds: number): string;
  uuidV4(randomBytes: (n: number) => Uint8Array): string;
}

/**
 * Evaluates `VIDEO_TRACKING_JS` (the exact text the lesson page inlines) in a fresh node:vm context.
 * Results cross back as plain data: objects and arrays are re-created in this realm, so they compare
 * equal to literals here.
 */
export function loadVideoTracking(): VideoTracking {
  const raw = vm.runInNewContext(`${VIDEO_TRACKING_JS}\nCrestVideo;`, {}, { filename: 'video-tracking.js' });
  const plain = (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
  const wrapObject = <T extends object>(obj: T): T => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      out[k] = typeof v === 'function' ? (...args: unknown[]) => plain(v(...args)) : v;
    }
    return out as T;
  };
  const api = wrapObject(raw) as VideoTracking;
  api.VERBS = plain(raw.VERBS);
  api.createVideoTracker = (o) => wrapObject(raw.createVideoTracker(o));
  api.createStatementSender = (launch, fetchFn, onResult) =>
    raw.createStatementSender(
      plain(launch),
      fetchFn,
      onResult && ((b: unknown, s: number, e?: unknown) => onResult(plain(b), s, e)),
    );
  api.parseLaunch = (search, SearchParams) => plain(raw.parseLaunch(search, SearchParams));
  return api;
}
