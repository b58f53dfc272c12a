import { randomBytes, randomUUID } from 'node:crypto';
import test from 'ava';
import { validateStatements } from '../../lrs/input/validate-statement.ts';
import {
  loadVideoTracking,
  type TrackerOptions,
  VIDEO_TRACKING_JS,
  type XapiStatement,
} from './video-statements.ts';

const V = loadVideoTracking();
const EXT = 'https://w3id.org/xapi/video/extensions/';
const ACTOR = { objectType: 'Agent', name: 'Ada', mbox: 'mailto:ada@example.com' };
const REGISTRATION = '6f0c2a8e-4f3b-4b8e-9a51-1d3f2c6b7a90';

function tracker(over: Partial<TrackerOptions> = {}) {
  let clock = Date.parse('2026-01-05T10:00:00Z');
  return V.createVideoTracker({
    activityId: 'https://crest.example/content/acme/course/v1/index.html',
    title: 'Fire safety',
    actor: ACTOR,
    registration: REGISTRATION,
    length: 100,
    completionThreshold: 0.95,
    now: () => {
      clock += 10;
      return new Date(clock);
    },
    uuid: () => randomUUID(),
    userAgent: 'ava',
    ...over,
  });
}

const verbs = (stmts: XapiStatement[]) => stmts.map((s) => s.verb.id.split('/').pop());
const resultExt = (s: XapiStatement) => (s.result as { extensions: Record<string, unknown> }).extensions;
const contextExt = (s: XapiStatement) => (s.context as { extensions: Record<string, unknown> }).extensions;

/** Plays from `from` to `to` with timeupdates every 0.25 s, collecting what the tracker emits. */
function watch(tr: ReturnType<typeof tracker>, from: number, to: number): XapiStatement[] {
  const out = [...tr.played(from)];
  for (let t = from + 0.25; t < to; t += 0.25) out.push(...tr.timeupdate(t));
  out.push(...tr.paused(to));
  return out;
}

test('the page script is plain ES2017 that can sit inside a <script> element', (t) => {
  t.false(VIDEO_TRACKING_JS.includes('</script'));
  t.false(VIDEO_TRACKING_JS.includes('`'));
  t.false(VIDEO_TRACKING_JS.includes('${'));
  t.notThrows(() => new Function(VIDEO_TRACKING_JS));
});

test('progress is the union of played segments over the length (VP §2.5.4.4)', (t) => {
  t.is(V.unionSeconds([]), 0);
  t.is(
    V.unionSeconds([
      [0, 12],
      [14, 21],
      [18, 30],
    ]),
    28,
  );
  t.is(
    V.unionSeconds([
      [10, 20],
      [0, 5],
      [5, 10],
    ]),
    20,
  );
  t.is(
    V.progressOf(
      [
        [0, 12],
        [14, 21],
        [18, 30],
      ],
      40,
    ),
    0.7,
  );
  t.is(V.progressOf([[0, 50]], 0), 0, 'unknown length: no progress rather than Infinity');
  t.is(V.progressOf([[0, 120]], 100), 1, 'never above 1');
  t.is(V.progressOf([[0, 1]], 3), 0.333, '3 decimals');
});

test('played-segments uses the profile notation and reads back (VP §2.5.4.5)', (t) => {
  const segments: [number, number][] = [
    [0, 12],
    [14, 21.5],
    [18, 30],
  ];
  const text = V.formatSegments(segments);
  t.is(text, '0.000[.]12.000[,]14.000[.]21.500[,]18.000[.]30.000');
  t.deepEqual(V.parseSegments(text), segments);
  t.deepEqual(V.parseSegments(''), []);
});

test('a session: initialized first, then played, paused with progress and segments', (t) => {
  const tr = tracker();
  const init = tr.initialized();
  t.deepEqual(verbs(init), ['initialized']);
  t.is(init[0]!.verb.id, 'http://adlnet.gov/expapi/verbs/initialized');
  // VP §2.6.2.1: session-id is the initialized statement's id, on every statement.
  const sessionId = init[0]!.id;
  t.is(contextExt(init[0]!)[`${EXT}session-id`], sessionId);
  t.is(contextExt(init[0]!)[`${EXT}length`], 100);
  t.is(contextExt(init[0]!)[`${EXT}completion-threshold`], 0.95);
  t.deepEqual(tr.initialized(), [], 'VP §2.3.1: only one initialized a session');

  const played = tr.played(0);
  t.deepEqual(verbs(played), ['played']);
  t.is(resultExt(played[0]!)[`${EXT}time`], 0);
  t.deepEqual(tr.played(0.1), [], 'already playing');
  for (let s = 0.25; s < 10; s += 0.25) t.deepEqual(tr.timeupdate(s), []);
  const paused = tr.paused(10);
  t.deepEqual(verbs(paused), ['paused']);
  const ext = resultExt(paused[0]!);
  t.is(ext[`${EXT}time`], 10);
  t.is(ext[`${EXT}progress`], 0.1);
  t.is(ext[`${EXT}played-segments`], '0.000[.]10.000');
  t.is((paused[0]!.result as Record<string, unknown>).completion, undefined, 'VP §2.5.2');
  for (const s of [...played, ...paused]) {
    t.is(contextExt(s)[`${EXT}session-id`], sessionId);
    t.is((s.context as { registration: string }).registration, REGISTRATION);
    t.deepEqual(
      (s.context as { contextActivities: { category: { id: string }[] } }).contextActivities.category[0]!.id,
      'https://w3id.org/xapi/video',
    );
    t.is(
      (s.object as { definition: { type: string } }).definition.type,
      'https://w3id.org/xapi/video/activity-type/video',
    );
  }
});

test('any first event initializes the session before its own statement', (t) => {
  const tr = tracker();
  t.deepEqual(verbs(tr.played(3)), ['initialized', 'played']);
  const tr2 = tracker();
  t.deepEqual(verbs(tr2.seeked(0, 30)), ['initialized', 'seeked']);
});

test('seeking while playing closes the segment at time-from and opens one at time-to', (t) => {
  const tr = tracker();
  tr.initialized();
  tr.played(0);
  for (let s = 0.25; s <= 10; s += 0.25) tr.timeupdate(s);
  const seeked = tr.seeked(10, 50);
  t.deepEqual(verbs(seeked), ['seeked']);
  const ext = resultExt(seeked[0]!);
  t.is(ext[`${EXT}time-from`], 10);
  t.is(ext[`${EXT}time-to`], 50);
  t.is(ext[`${EXT}progress`], 0.1, 'the skipped part is not watched');
  t.is(ext[`${EXT}played-segments`], '0.000[.]10.000');
  for (let s = 50.25; s <= 60; s += 0.25) tr.timeupdate(s);
  const paused = tr.paused(60);
  t.is(resultExt(paused[0]!)[`${EXT}played-segments`], '0.000[.]10.000[,]50.000[.]60.000');
  t.is(resultExt(paused[0]!)[`${EXT}progress`], 0.2);
  t.deepEqual(tr.seeked(60, 60), [], 'a seek to the same place is no seek');
  t.deepEqual(tr.seeked(60, 60.4), [], 'nor is a player nudging the playhead past a gap');
});

test('seeking while paused moves the position without counting anything as watched', (t) => {
  const tr = tracker();
  watch(tr, 0, 5);
  tr.seeked(5, 80);
  const again = watch(tr, 80, 85);
  t.is(resultExt(again.at(-1)!)[`${EXT}played-segments`], '0.000[.]5.000[,]80.000[.]85.000');
  t.is(tr.snapshot().progress, 0.1);
});

test('a jump between timeupdates the page did not report as a seek is not counted as watched', (t) => {
  const tr = tracker();
  tr.played(0);
  tr.timeupdate(0.25);
  tr.timeupdate(0.5);
  tr.timeupdate(40); // e.g. a seek whose events the browser coalesced
  tr.timeupdate(40.25);
  const paused = tr.paused(41);
  t.is(resultExt(paused[0]!)[`${EXT}played-segments`], '0.000[.]0.500[,]40.000[.]41.000');
});

test('watching a part twice counts once; completed exactly once when progress reaches the threshold', (t) => {
  const tr = tracker();
  const all: XapiStatement[] = [...tr.initialized()];
  all.push(...watch(tr, 0, 50));
  all.push(...tr.seeked(50, 0));
  all.push(...watch(tr, 0, 50));
  t.is(tr.snapshot().progress, 0.5, 'rewatching adds nothing');
  t.false(tr.snapshot().completed);
  all.push(...watch(tr, 50, 96));
  const completed = all.filter((s) => s.verb.id === 'http://adlnet.gov/expapi/verbs/completed');
  t.is(completed.length, 1);
  const c = completed[0]!;
  const result = c.result as { completion: boolean; duration: string; extensions: Record<string, unknown> };
  t.true(result.completion);
  // VP §2.5.3: time spent, rewatching included: 50 + 50 + 46 seconds minus the part not yet reached.
  t.regex(result.duration, /^PT\d+(\.\d+)?S$/);
  t.true(Number(result.extensions[`${EXT}progress`]) >= 0.95);
  t.is(result.extensions[`${EXT}time`], 95);
  // More watching and another pass never completes again.
  all.push(...tr.seeked(96, 0));
  all.push(...watch(tr, 0, 100));
  t.is(all.filter((s) => s.verb.id.endsWith('/completed')).length, 1);
  t.is(tr.snapshot().progress, 1);
  t.is(new Set(all.map((s) => s.id)).size, all.length, 'every statement has its own id');
});

test('the completed statement follows the pause that crossed the threshold', (t) => {
  const tr = tracker({ completionThreshold: 0.5, length: 10 });
  tr.played(0);
  for (let s = 0.25; s < 5; s += 0.25) t.deepEqual(tr.timeupdate(s), []);
  const out = tr.paused(5); // the last timeupdate said 4.75: the pause itself reaches 50 %
  t.deepEqual(verbs(out), ['paused', 'completed']);
  t.is((out[1]!.result as { duration: string }).duration, 'PT5S');
  t.is(resultExt(out[1]!)[`${EXT}played-segments`], '0.000[.]5.000');
});

test('terminated sends a paused first when playing, then nothing more is sent (VP §2.3.7)', (t) => {
  const tr = tracker();
  tr.played(0);
  tr.timeupdate(0.25);
  tr.timeupdate(0.5);
  const out = tr.terminated(0.75);
  t.deepEqual(verbs(out), ['paused', 'terminated']);
  const ext = resultExt(out[1]!);
  t.is(ext[`${EXT}time`], 0.75);
  t.is(ext[`${EXT}played-segments`], '0.000[.]0.750');
  t.deepEqual(tr.played(1), []);
  t.deepEqual(tr.terminated(1), []);

  const idle = tracker();
  t.deepEqual(idle.terminated(0), [], 'a session that never started has nothing to terminate');
  idle.initialized();
  t.deepEqual(verbs(idle.terminated(0)), ['terminated'], 'not playing: no paused needed');
});

test('times are clamped to the media and rounded to 3 decimals', (t) => {
  const tr = tracker({ length: 10 });
  const played = tr.played(-3);
  t.is(resultExt(played.at(-1)!)[`${EXT}time`], 0);
  tr.timeupdate(0.1234567);
  const paused = tr.paused(12);
  t.is(
    resultExt(paused[0]!)[`${EXT}time`],
    0.123,
    'a pause far past the last timeupdate is taken at the last known time',
  );
  const tr2 = tracker({ length: 10 });
  tr2.played(9);
  for (let s = 9.25; s < 10; s += 0.25) tr2.timeupdate(s);
  const out = tr2.paused(10.4);
  t.is(resultExt(out[0]!)[`${EXT}time`], 10);
});

test('every statement of a session is valid xAPI 2.0 for the project validator', (t) => {
  const tr = tracker({ completionThreshold: 0.5, length: 20 });
  const all = [
    ...tr.initialized(),
    ...watch(tr, 0, 6),
    ...tr.seeked(6, 2),
    ...watch(tr, 2, 12),
    ...tr.played(12),
    ...tr.terminated(13),
  ];
  t.deepEqual(verbs(all), [
    'initialized',
    'played',
    'paused',
    'seeked',
    'played',
    'completed', // at the timeupdate that reached 50 %, while playing
    'paused',
    'played',
    'paused',
    'terminated',
  ]);
  t.notThrows(() => validateStatements(all, '2.0.0'));
  t.notThrows(() => validateStatements(all, '1.0.3'));
});

test('a tracker without registration omits it and still validates', (t) => {
  const tr = tracker({ registration: null, language: 'en-GB' });
  const s = tr.played(0);
  t.false('registration' in (s[0]!.context as object));
  t.deepEqual((s[0]!.object as { definition: { name: object } }).definition.name, { 'en-GB': 'Fire safety' });
  t.notThrows(() => validateStatements(s, '2.0.0'));
});

test('launch parameters: Tin Can style query, with its array-wrapped actor', (t) => {
  const q = new URLSearchParams({
    endpoint: 'https://lrs.example/xapi',
    auth: 'Basic a2V5OnNlY3JldA==',
    actor: JSON.stringify({ name: ['Ada'], mbox: ['MAILTO:ada@example.com'] }),
    registration: REGISTRATION.toUpperCase(),
    activity_id: 'https://crest.example/activities/fire-safety',
  });
  t.deepEqual(V.parseLaunch(`?${q}`, URLSearchParams), {
    endpoint: 'https://lrs.example/xapi/',
    auth: 'Basic a2V5OnNlY3JldA==',
    actor: { objectType: 'Agent', name: 'Ada', mbox: 'mailto:ada@example.com' },
    registration: REGISTRATION,
    activityId: 'https://crest.example/activities/fire-safety',
  });
  t.is(V.parseLaunch('', URLSearchParams), null, 'no launch: just play');
  t.is(V.parseLaunch('?endpoint=javascript:alert(1)&auth=x&actor={}', URLSearchParams), null);
  t.is(
    V.parseLaunch(
      `?endpoint=https://l/&auth=x&actor=${encodeURIComponent('{"name":"no ifi"}')}`,
      URLSearchParams,
    ),
    null,
  );
  const bad = V.parseLaunch(
    `?endpoint=https://l/xapi/&auth=tok&registration=nope&actor=${encodeURIComponent(JSON.stringify({ account: [{ accountServiceHomePage: 'https://lms', accountName: '42' }] }))}`,
    URLSearchParams,
  );
  t.deepEqual(bad, {
    endpoint: 'https://l/xapi/',
    auth: 'Basic tok',
    actor: { objectType: 'Agent', account: { homePage: 'https://lms', name: '42' } },
    registration: null,
    activityId: null,
  });
});

test('the sender posts in order, one request at a time, with the xAPI headers', async (t) => {
  const launch = V.parseLaunch(
    `?endpoint=https://lrs.example/xapi/&auth=Basic%20abc&actor=${encodeURIComponent(JSON.stringify(ACTOR))}`,
    URLSearchParams,
  )!;
  const calls: {
    url: string;
    init: { headers: Record<string, string>; body: string; keepalive: boolean };
  }[] = [];
  const releases: (() => void)[] = [];
  const results: number[] = [];
  const sender = V.createStatementSender(
    launch,
    (url, init) => {
      calls.push({ url, init });
      return new Promise((resolve) => releases.push(() => resolve({ status: 200 })));
    },
    (_batch, status) => results.push(status),
  );
  const tr = tracker();
  sender.send(tr.played(0));
  sender.send(tr.paused(1));
  sender.send(tr.played(1));
  t.is(calls.length, 1, 'the second batch waits for the first');
  t.is(calls[0]!.url, 'https://lrs.example/xapi/statements');
  t.is(calls[0]!.init.headers['X-Experience-API-Version'], '2.0.0');
  t.is(calls[0]!.init.headers.Authorization, 'Basic abc');
  t.true(calls[0]!.init.keepalive);
  t.deepEqual(verbs(JSON.parse(calls[0]!.init.body)), ['initialized', 'played']);
  releases[0]!();
  await new Promise((r) => setTimeout(r, 0));
  t.is(calls.length, 2);
  t.deepEqual(verbs(JSON.parse(calls[1]!.init.body)), ['paused', 'played'], 'batched while waiting');
  sender.flushNow(tr.terminated(2));
  t.is(calls.length, 3, 'pagehide does not wait for the request in flight');
  t.deepEqual(verbs(JSON.parse(calls[2]!.init.body)), ['paused', 'terminated']);
  releases[1]!();
  releases[2]!();
  await new Promise((r) => setTimeout(r, 0));
  t.deepEqual(results, [200, 200, 200]);
});

test('uuidV4 makes RFC 4122 version 4 ids (the session-id schema requires v4)', (t) => {
  for (let i = 0; i < 50; i++) {
    t.regex(
      V.uuidV4((n) => new Uint8Array(randomBytes(n))),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  }
});
