import { CommitQueue } from './commit-queue.ts';
import type { CommitAnswer, CommitBody, Launch, TocItem } from './contract.ts';
import { prerequisitesMet } from './prerequisites.ts';
import { type NavButton, shell } from './shell.ts';
import { launchables, resolveLaunchUrl } from './toc.ts';

/*
 * The SCORM player shell. The API objects live here, in the parent of the content frame, because a SCO
 * finds them by walking window.parent (SCORM 1.2 RTE §3.3.6.1, SCORM 2004 RTE §3.1.2.1).
 *
 * Commits: scorm-again is given our own IHttpService (its `httpService` setting) rather than a commit URL
 * it would fetch itself. Its built-in services either block the SCO on a synchronous XHR (default) or
 * fire-and-forget (useAsynchronousCommits), and neither keeps a commit across a dead network or a closed
 * tab. Ours writes the commit to localStorage synchronously, answers the SCO "true" at once, and a queue
 * sends it with backoff until the runtime acknowledges it; Terminate/LMSFinish commits also go at once by
 * navigator.sendBeacon (text/plain), the one request a closing page is sure to get out.
 */

// biome-ignore lint/suspicious/noExplicitAny: scorm-again's CMI objects are untyped trees here.
type Any = any;

interface ScormApi {
  on(event: string, cb: (...args: Any[]) => void): void;
  loadFromJSON(json: Record<string, unknown>, element?: string): void;
  renderCommitCMI(terminate: boolean, includeTotalTime?: boolean): Any;
  isInitialized(): boolean;
  isTerminated(): boolean;
  reset(settings?: Record<string, unknown>, options?: { preserveListeners?: boolean }): void;
  cmi: Any;
  adl?: Any;
  LMSFinish?(p: string): string;
  LMSSetValue?(element: string, value: string): string;
  Terminate?(p: string): string;
  SetValue?(element: string, value: string): string;
  processNavigationRequest?(request: string, target?: string): boolean;
  setSequencingEventListeners?(listeners: Record<string, unknown>): void;
  serializeSequencingState?(): string;
  deserializeSequencingState?(state: string): boolean;
}
type ApiCtor = new (settings: Record<string, unknown>) => ScormApi;

declare global {
  interface Window {
    API?: ScormApi;
    API_1484_11?: ScormApi;
    Scorm12API?: ApiCtor;
    Scorm2004API?: ApiCtor;
    __crestPlayer: {
      scorm12: string;
      scorm2004: string;
      /** The first launch request, started by launch.html before this bundle loads. */
      launch?: Promise<Response | null>;
      /** For tests and embedding pages: what the player is doing. */
      state?: Record<string, unknown>;
    };
  }
}

const boot = window.__crestPlayer;
const state: Record<string, unknown> = { phase: 'booting', launched: [] as string[], answers: 0 };
boot.state = state;

let launch: Launch;
let items: TocItem[] = [];
let queue: CommitQueue;
let api: ScormApi | undefined;
let currentId: string | null = null;
/** A request the shell (not the SCO) started: the SCO's own Terminate must not trigger another one. */
let shellNavigation = false;
let pendingNav: string | null = null;
let sequenced = false;
let sequencingState: unknown;
let sessionEnded = false;
/** Exit or Suspend and exit: the learner left; only a new launch goes on. */
let courseLeft = false;
const seqs = new Map<string, number>();
/** The CMI this page last committed per SCO: what a relaunch in the same page resumes from. */
const committed = new Map<string, unknown>();
const statuses = new Map<string, string>();
let validity: {
  continue?: boolean;
  previous?: boolean;
  choice?: Record<string, string>;
  hideLmsUi?: string[];
} = {};

function fail(message: string): never {
  state.phase = 'error';
  state.error = message;
  shell.setTitle('Cannot open this course');
  shell.message(message);
  throw new Error(message);
}

async function main(): Promise<void> {
  const apiBase = new URLSearchParams(location.search).get('api');
  const token = decodeURIComponent(location.hash.replace(/^#/, ''));
  if (!apiBase || !token) fail('This launch link is incomplete: it needs ?api=… and a #token.');

  queue = new CommitQueue({
    storage: safeStorage(),
    fetch: (url, init) => fetch(url, init),
    beacon: (url, body) => navigator.sendBeacon(url, body),
    onState: (s, detail) => shell.saveState(s, detail),
    onAnswer: onCommitAnswer,
    onRejected: (body, status, error) => {
      state.rejected = { sco: body.sco, seq: body.seq, status, error };
    },
  });
  window.addEventListener('online', () => queue.kick());
  window.addEventListener('pagehide', onPageHide);

  launch = await fetchLaunch(apiBase.replace(/\/+$/, ''), token);
  // SCOs find the API only from this origin (API.md, "Origins"); and a launch link naming some other
  // ?api= must not turn this trusted page into a frame around someone else's site.
  if (new URL(launch.contentBase, location.href).origin !== location.origin)
    fail('This course is not served from the player’s origin, so it cannot be played here.');
  state.phase = 'launched';
  shell.setTitle(launch.course.title);
  items = launchables(launch.toc);
  for (const item of items) {
    const saved = launch.scos[item.id];
    seqs.set(item.id, Math.max(saved?.seq ?? 0, queue.highestSeq(launch.attemptId, item.id)));
    const cmi = savedCmi(item.id);
    statuses.set(item.id, statusOf(cmi));
  }
  shell.showToc(items.length > 1);
  shell.renderToc(launch.toc, (id) => navigate(`choice:${id}`));
  for (const b of ['previous', 'continue', 'suspendAll', 'exitAll'] as NavButton[]) {
    shell.button(b, { hidden: b !== 'exitAll' && b !== 'suspendAll' && items.length < 2 });
    shell.onButton(b, () => navigate(b));
  }
  if (items.length === 0) fail('This course has nothing to launch.');

  await loadScript(launch.course.standard === 'scorm12' ? boot.scorm12 : boot.scorm2004);
  sequenced = launch.course.standard === 'scorm2004' && !!launch.sequencing?.activityTree;
  if (sequenced) startSequencing();
  else launchItem(pickFirst());
}

function safeStorage(): Storage | null {
  try {
    const s = window.localStorage;
    s.getItem('x');
    return s;
  } catch {
    return null;
  }
}

async function fetchLaunch(apiBase: string, token: string): Promise<Launch> {
  const url = `${apiBase}/runtime/v1/launch/${encodeURIComponent(token)}`;
  for (let failures = 1; ; failures++) {
    try {
      const early = failures === 1 ? await boot.launch : null;
      const res = early ?? (await fetch(url, { credentials: 'omit', cache: 'no-store' }));
      const body = await res.json().catch(() => ({}));
      if (res.ok) return body as Launch;
      if (res.status < 500)
        fail(
          res.status === 401
            ? 'This launch link has expired or is not valid. Open the course again from where you started it.'
            : `The course could not be opened (${body.error ?? res.status}: ${body.message ?? ''}).`,
        );
    } catch (err) {
      if ((err as Error).message && state.phase === 'error') throw err;
    }
    shell.message('Connecting…');
    await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** failures)));
  }
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`Could not load ${src}`));
    document.head.append(s);
  });
}

/* ---------- saved data ---------- */

function unwrap(cmi: unknown): Record<string, Any> | undefined {
  if (!cmi || typeof cmi !== 'object') return undefined;
  const c = cmi as Record<string, Any>;
  return c.cmi && typeof c.cmi === 'object' ? c.cmi : c;
}

/** The newest CMI for an item: an unacknowledged local commit beats the runtime's copy. */
function savedCmi(id: string): Record<string, Any> | undefined {
  const mine = committed.get(id);
  if (mine) return unwrap(mine);
  const server = launch.scos[id];
  const local = queue.latest(launch.attemptId, id);
  if (local && local.seq > (server?.seq ?? 0)) return unwrap(local.cmi);
  return unwrap(server?.cmi);
}

function statusOf(cmi: Record<string, Any> | undefined): string {
  if (!cmi) return 'not attempted';
  if (launch.course.standard === 'scorm12') return String(cmi.core?.lesson_status ?? 'not attempted');
  if (cmi.success_status === 'passed' || cmi.success_status === 'failed') return cmi.success_status;
  return String(cmi.completion_status ?? 'not attempted');
}

/** Per-session elements: a new session starts without the last one's (the runtime drops them too). */
const PER_SESSION = ['session_time', 'exit', 'entry'];

/**
 * cmi.core.entry / cmi.entry (SCORM 1.2 RTE §3.4.4, 2004 RTE §4.2.9): the runtime's value while its copy is
 * the newest, else "ab-initio" for a first launch and "resume" after a suspended exit.
 */
function entry(id: string, lastExit: unknown): string {
  const server = launch.scos[id];
  const fromServer = !!server?.cmi && savedCmi(id) === unwrap(server.cmi);
  if (fromServer && server?.entry !== undefined) return server.entry;
  if (!server?.cmi && !committed.has(id) && !queue.latest(launch.attemptId, id)) return 'ab-initio';
  return lastExit === 'suspend' ? 'resume' : '';
}

/** What a new session of the item starts from: saved data minus per-session elements, plus LMS data. */
function launchData(item: TocItem): Record<string, Any> {
  const saved = structuredClone(savedCmi(item.id) ?? {}) as Record<string, Any>;
  if (launch.course.standard === 'scorm12') {
    saved.core ??= {};
    const core = saved.core;
    const lastExit = core.exit;
    for (const k of PER_SESSION) delete core[k];
    core.student_id = launch.learner.id;
    core.student_name = launch.learner.name;
    // SCORM 1.2 RTE §3.4.4 cmi.core.entry: "resume" after a suspend, "ab-initio" the first time.
    core.entry = entry(item.id, lastExit);
    core.credit = 'credit';
    core.lesson_mode = 'normal';
    if (!core.lesson_status) core.lesson_status = 'not attempted';
    saved.student_data ??= {};
    const sd = saved.student_data;
    if (item.masteryScore !== undefined && item.masteryScore !== null)
      sd.mastery_score = String(item.masteryScore);
    if (item.maxTimeAllowed) sd.max_time_allowed = item.maxTimeAllowed;
    if (item.timeLimitAction) sd.time_limit_action = item.timeLimitAction;
    if (item.dataFromLms) saved.launch_data = item.dataFromLms;
    return saved;
  }
  const lastExit = saved.exit;
  for (const k of PER_SESSION) delete saved[k];
  saved.learner_id = launch.learner.id;
  saved.learner_name = launch.learner.name;
  saved.entry = entry(item.id, lastExit);
  saved.credit = 'credit';
  saved.mode = 'normal';
  return saved;
}

/* ---------- the API for one SCO ---------- */

function settings(): Record<string, unknown> {
  return {
    lmsCommitUrl: launch.commitUrl,
    autocommit: true,
    autocommitSeconds: 30,
    logLevel: 5,
    // SCORM 1.2 RTE §3.4.4 cmi.core.lesson_status: with a mastery score and a raw score, the LMS may set
    // passed/failed. This is what learners and LMSs expect, so the player does.
    mastery_override: true,
    httpService: {
      processHttpRequest: (_url: string, params: unknown, immediate: boolean) => {
        commit(params, immediate);
        return { result: 'true', errorCode: 0 };
      },
      updateSettings: () => {},
    },
  };
}

function nextSeq(id: string): number {
  const n = (seqs.get(id) ?? 0) + 1;
  seqs.set(id, n);
  return n;
}

function commit(params: unknown, terminated: boolean): void {
  if (!currentId) return;
  const body: CommitBody = {
    attemptId: launch.attemptId,
    sco: currentId,
    seq: nextSeq(currentId),
    cmi: unwrap(params) ?? params,
    terminated,
    navRequest: terminated ? pendingNav : null,
  };
  if (sequenced) {
    const s = api?.serializeSequencingState?.();
    if (s) sequencingState = JSON.parse(s);
    if (sequencingState) body.sequencingState = sequencingState;
  }
  committed.set(currentId, body.cmi);
  statuses.set(currentId, statusOf(body.cmi as Record<string, Any>));
  refreshNav();
  queue.add(launch.commitUrl, body);
  if (terminated) queue.beaconAll((e) => e.body === body);
}

function onCommitAnswer(_body: CommitBody, answer: CommitAnswer): void {
  state.answers = (state.answers as number) + 1;
  state.lastAnswer = answer;
  if (answer.course?.complete) {
    state.complete = true;
    shell.complete(true);
  }
}

function attachListeners(a: ScormApi, item: TocItem): void {
  const v12 = launch.course.standard === 'scorm12';
  a.on(v12 ? 'LMSInitialize' : 'Initialize', () => {
    state.initialized = item.id;
  });
  if (!v12) {
    a.on('SetValue.adl.nav.request', (_el: string, value: string) => {
      pendingNav = toNavRequest(value);
    });
  }
  a.on(v12 ? 'LMSFinish' : 'Terminate', () => {
    state.terminated = item.id;
    // Sequenced courses: scorm-again ends the attempt and delivers the next activity itself.
    if (sequenced) return;
    setTimeout(() => afterTerminate(item.id), 0);
  });
}

/** adl.nav.request ("{target=x}choice", "continue", …) → the commit's navRequest form. */
function toNavRequest(value: string): string | null {
  if (!value || value === '_none_') return null;
  const m = /^\{target=([^}]+)\}(choice|jump)$/.exec(value);
  if (m) return `${m[2]}:${m[1]}`;
  return value.replace(/^_/, '');
}

function exposeApi(a: ScormApi): void {
  if (launch.course.standard === 'scorm12') window.API = a;
  else window.API_1484_11 = a;
}

/** One fresh scorm-again instance per SCO launch (unsequenced courses), loaded with the saved CMI. */
function launchItem(item: TocItem | undefined): void {
  if (!item) {
    endSession('There is nothing more to open in this course.');
    return;
  }
  const Ctor = launch.course.standard === 'scorm12' ? window.Scorm12API : window.Scorm2004API;
  if (!Ctor) fail('The SCORM runtime did not load.');
  const a = new Ctor(settings());
  a.loadFromJSON(launchData(item), 'cmi');
  if (launch.course.standard === 'scorm2004') presetRequestValid(a, item);
  attachListeners(a, item);
  api = a;
  show(item);
}

function show(item: TocItem): void {
  apiUsed = true;
  currentId = item.id;
  pendingNav = null;
  shellNavigation = false;
  exposeApi(api!);
  (state.launched as string[]).push(item.id);
  state.current = item.id;
  shell.message(null);
  const frame = shell.frame();
  frame.addEventListener(
    'load',
    () => {
      // Since the launch page's navigation started: what a learner waits for the first SCO.
      state.firstFrameMs ??= Math.round(performance.now());
    },
    { once: true },
  );
  frame.src = resolveLaunchUrl(launch.contentBase, item.launchUrl!);
  refreshNav();
}

/** Unsequenced SCORM 2004: the LMS decides flow, so adl.nav.request_valid says what the shell allows. */
function presetRequestValid(a: ScormApi, item: TocItem): void {
  try {
    const rv = a.adl?.nav?.request_valid;
    if (!rv) return;
    rv.continue = neighbour(item.id, 1) ? 'true' : 'false';
    rv.previous = neighbour(item.id, -1) ? 'true' : 'false';
  } catch {
    // Read-only in some states; the shell still refuses what is not possible.
  }
}

/* ---------- navigation ---------- */

function available(item: TocItem): boolean {
  if (launch.course.standard !== 'scorm12') return true;
  return prerequisitesMet(item.prerequisites, (id) =>
    items.some((i) => i.id === id) ? statuses.get(id) : undefined,
  );
}

function neighbour(id: string | null, step: 1 | -1): TocItem | undefined {
  let i = items.findIndex((x) => x.id === id);
  for (i += step; i >= 0 && i < items.length; i += step) if (available(items[i]!)) return items[i];
  return undefined;
}

function pickFirst(): TocItem | undefined {
  const current = items.find((i) => i.id === launch.current);
  if (current && available(current)) return current;
  return items.find(available);
}

function refreshNav(): void {
  if (sequenced) {
    const hide = new Set(validity.hideLmsUi ?? []);
    shell.button('continue', {
      hidden: hide.has('continue') || items.length < 2,
      disabled: validity.continue === false,
    });
    shell.button('previous', {
      hidden: hide.has('previous') || items.length < 2,
      disabled: validity.previous === false,
    });
    shell.button('exitAll', { hidden: hide.has('exitAll') });
    shell.button('suspendAll', { hidden: hide.has('suspendAll') });
  } else {
    shell.button('continue', { disabled: sessionEnded || !neighbour(currentId, 1) });
    shell.button('previous', { disabled: sessionEnded || !neighbour(currentId, -1) });
  }
  if (courseLeft)
    for (const b of ['continue', 'previous', 'exitAll', 'suspendAll'] as const)
      shell.button(b, { disabled: true });
  for (const item of items) {
    const choice = validity.choice?.[item.id];
    shell.tocItem(item.id, {
      current: item.id === currentId && !sessionEnded,
      disabled: courseLeft || (sequenced ? choice === 'false' : !available(item)),
      status: statuses.get(item.id) ?? '',
    });
  }
}

/** A navigation request from the shell: continue, previous, choice:<id>, exitAll, suspendAll. */
function navigate(request: string): void {
  // One request at a time: a double click must not unload the SCO that the first click launched.
  if (shellNavigation || courseLeft) return;
  state.lastShellRequest = request;
  if (sequenced) {
    navigateSequenced(request);
    return;
  }
  const target =
    request === 'continue'
      ? neighbour(currentId, 1)
      : request === 'previous'
        ? neighbour(currentId, -1)
        : request.startsWith('choice:')
          ? items.find((i) => i.id === request.slice(7) && available(i))
          : undefined;
  if (request.startsWith('choice:') || request === 'continue' || request === 'previous') {
    if (!target) return;
  }
  pendingNav = request;
  shellNavigation = true;
  if (request === 'suspendAll' && api) suspendForLearner(api);
  endCurrent(() => {
    if (target) launchItem(target);
    else endSession(request === 'suspendAll' ? SUSPENDED : LEFT, true);
  });
}

/**
 * "Suspend and exit" from the shell: unless the SCO chose its own cmi.exit, the session ends suspended, so
 * the next launch resumes it with its data (SCORM 2004 RTE §4.2.8; 1.2 RTE §3.4.4 cmi.core.exit).
 */
function suspendForLearner(a: ScormApi): void {
  if (!a.isInitialized() || a.isTerminated()) return;
  const v12 = launch.course.standard === 'scorm12';
  let exit = '';
  try {
    // cmi.exit is write-only: its public getter throws while the SCO runs, so read scorm-again's own.
    exit = String((v12 ? a.cmi?.core?._exit : a.cmi?.getExitValueInternal?.()) ?? '');
  } catch {
    exit = '';
  }
  if (exit) return;
  if (v12) a.LMSSetValue?.('cmi.core.exit', 'suspend');
  else a.SetValue?.('cmi.exit', 'suspend');
}

/**
 * Lets the SCO end its own session (its unload handler calls Terminate/LMSFinish), then ends it for the
 * SCO if it did not, so every launch produces its terminated commit.
 */
function endCurrent(then: () => void): void {
  const a = api;
  const frame = shell.frame();
  const done = () => {
    if (a?.isInitialized() && !a.isTerminated()) {
      if (launch.course.standard === 'scorm12') a.LMSFinish?.('');
      else a.Terminate?.('');
    }
    then();
  };
  if (!a || !frame.src || frame.src === 'about:blank') {
    done();
    return;
  }
  frame.addEventListener('load', () => setTimeout(done, 0), { once: true });
  frame.src = 'about:blank';
}

/** The SCO ended its session (unsequenced): follow its adl.nav.request, or the LMS's flow for 1.2. */
function afterTerminate(id: string): void {
  if (shellNavigation || id !== currentId) return;
  const request = pendingNav;
  if (request === null) {
    // SCORM 1.2 has no navigation requests; a SCO that finishes on its own hands control back to the
    // LMS, which moves on to the next available SCO (or ends the course).
    if (launch.course.standard === 'scorm12') {
      const next = neighbour(id, 1);
      if (next) {
        navigate('continue');
        return;
      }
    }
    endSession(LESSON_ENDED);
    return;
  }
  if (request === 'exit' || request === 'abandon') endSession(LESSON_ENDED);
  else navigate(request === 'exitAll' || request === 'abandonAll' ? 'exitAll' : request);
}

const LEFT = 'You have left the course.';
const SUSPENDED = 'Your progress is saved. You can close this window.';
const LESSON_ENDED = 'This lesson has ended. Choose another from the list, or close this window.';

/** No SCO is running any more; after exit or suspend of the whole course, go to exitUrl if there is one. */
function endSession(message: string, leaveCourse = false): void {
  sessionEnded = true;
  courseLeft ||= leaveCourse;
  state.phase = 'ended';
  state.ended = message;
  shell.message(message);
  shell.frame().src = 'about:blank';
  refreshNav();
  if (leaveCourse && launch.exitUrl) {
    const exitUrl = launch.exitUrl;
    void queue.drain(3000).then(() => {
      location.href = exitUrl;
    });
  }
}

/* ---------- SCORM 2004 sequencing (scorm-again's engine) ---------- */

let deliveries = 0;
/** Whether the API in `api` has served a SCO yet (the first one can serve the first SCO as it is). */
let apiUsed = false;

/**
 * A Scorm2004API with the course's activity tree, optionally restored from a serialized tracking state.
 * Each delivered SCO gets a fresh one: the sequencing state moves over by scorm-again's own
 * serializeSequencingState/deserializeSequencingState, the same path a resume takes, so nothing of the
 * previous SCO's runtime state (CMI, listeners, scheduled commits, error state) can leak into the next.
 */
function sequencingApi(restore?: string): ScormApi {
  const Ctor = window.Scorm2004API;
  if (!Ctor) fail('The SCORM runtime did not load.');
  const a = new Ctor({
    ...settings(),
    sequencing: launch.sequencing,
    sequencingStatePersistence: {
      autoLoadOnInitialize: false,
      autoSaveOn: 'navigate',
      compress: false,
      persistence: {
        // The state goes to the runtime with the next commit (API.md: commit.sequencingState).
        saveState: async (s: string) => {
          sequencingState = JSON.parse(s);
          return true;
        },
        loadState: async () => null,
      },
    },
  });
  if (restore) a.deserializeSequencingState?.(restore);
  a.setSequencingEventListeners?.({
    onActivityDelivery: (activity: { id: string }) => {
      deliveries++;
      state.delivered = activity.id;
      const item = items.find((i) => i.id === activity.id);
      if (!item) return;
      sessionEnded = false;
      if (!apiUsed && a === api) {
        a.loadFromJSON(launchData(item), 'cmi');
        setTimeout(() => show(item), 0);
        return;
      }
      // scorm-again delivers from inside the previous SCO's Terminate, after capturing its terminating
      // commit; the hand-over waits until that call has returned.
      setTimeout(() => {
        const next = sequencingApi(a.serializeSequencingState?.());
        // reset() applies the delivered activity's launch data (completion threshold, objectives).
        next.reset(undefined, { preserveListeners: true });
        next.loadFromJSON(launchData(item), 'cmi');
        api = next;
        show(item);
      }, 0);
    },
    onNavigationValidityUpdate: (v: typeof validity) => {
      validity = v;
      state.validity = v;
      setTimeout(refreshNav, 0);
    },
    onSequencingError: (error: string, context?: string) => {
      state.sequencingErrors = [
        ...((state.sequencingErrors as string[]) ?? []),
        `${context ?? ''}: ${error}`,
      ];
    },
    onSequencingSessionEnd: (data: { reason: string }) => {
      state.sessionEnd = data;
    },
  });
  a.on('SetValue.adl.nav.request', (_el: string, value: string) => {
    pendingNav = toNavRequest(value);
  });
  a.on('Initialize', () => {
    state.initialized = currentId;
  });
  a.on('Terminate', () => {
    state.terminated = currentId;
    if (shellNavigation) return;
    const before = deliveries;
    const request = pendingNav;
    // After Terminate returns, scorm-again has run the request; no delivery means the SCO is done.
    setTimeout(() => {
      if (deliveries !== before) return;
      if (request === 'exitAll' || request === 'abandonAll') endSession(LEFT, true);
      else if (request === 'suspendAll') endSession(SUSPENDED, true);
      else endSession(LESSON_ENDED);
    }, 0);
  });
  return a;
}

function startSequencing(): void {
  const saved = launch.sequencingState;
  const restore =
    saved && typeof saved === 'object' ? JSON.stringify(newSession(saved as Record<string, Any>)) : undefined;
  const a = sequencingApi(restore);
  api = a;
  let started = false;
  if (restore) started = a.processNavigationRequest?.('resumeAll') ?? false;
  // A tab closed mid-SCO leaves no suspendAll, only a SCO that exited "suspend" (the runtime's `current`).
  // A session may begin with a Choice (SN NB.2.1), so the learner goes back to it where the rules allow.
  const current = launch.current;
  if (!started && current && launch.scos[current]?.entry === 'resume')
    started = a.processNavigationRequest?.('choice', current) ?? false;
  if (!started) started = a.processNavigationRequest?.('start') ?? false;
  if (!started) endSession('Choose where to begin from the list.');
}

/**
 * The saved tracking state, as the start of a new sequencing session: no current activity and nothing
 * active or delivered (SCORM 2004 SN §4.2: Start and Resume All need the Current Activity undefined,
 * SB.2.5-1 / SB.2.6-2). scorm-again serializes the state mid-session, with the current activity set;
 * the tracking data (attempts, statuses, objectives) and the suspended activity carry over.
 */
function newSession(saved: Record<string, Any>): Record<string, Any> {
  const state = structuredClone(saved);
  // The state appears in several shapes (sequencing.activityStates, suspensionState.activityTree, ...);
  // every "current" pointer and "isActive" flag in any of them belongs to the session that ended.
  const walk = (node: Any) => {
    if (!node || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      if (key === 'isActive') node[key] = false;
      else if (key === 'currentActivity' || key === 'currentActivityId') node[key] = null;
      else if (key === 'contentDelivered') node[key] = false;
      else if (key === 'request' && typeof node[key] === 'string') node[key] = '_none_';
      else walk(node[key]);
    }
  };
  walk(state);
  return state;
}

function navigateSequenced(request: string): void {
  const a = api!;
  const [kind, target] = request.startsWith('choice:') ? ['choice', request.slice(7)] : [request, undefined];
  if (kind === 'choice' && validity.choice?.[target!] === 'false') return;
  if (
    (kind === 'continue' && validity.continue === false) ||
    (kind === 'previous' && validity.previous === false)
  )
    return;
  const before = deliveries;
  pendingNav = request;
  shellNavigation = true;
  const after = (ok: boolean) => {
    shellNavigation = false;
    if (deliveries !== before) return;
    if (request === 'exitAll') endSession(LEFT, true);
    else if (request === 'suspendAll') endSession(SUSPENDED, true);
    else if (!ok) state.refused = request;
  };
  if (a.isInitialized() && !a.isTerminated()) {
    // The running SCO's attempt ends through Terminate with the request set, as if the SCO had asked.
    a.SetValue?.('adl.nav.request', kind === 'choice' ? `{target=${target}}choice` : kind);
    if (kind === 'suspendAll') suspendForLearner(a);
    endCurrent(() => after(true));
    return;
  }
  after(a.processNavigationRequest?.(kind, target) ?? false);
}

/* ---------- unload ---------- */

function onPageHide(): void {
  // The SCO may not get to LMSFinish/Terminate before the page goes: send what it has as a commit now.
  const a = api;
  if (a?.isInitialized() && !a.isTerminated() && currentId) {
    try {
      commit(a.renderCommitCMI(true, true), false);
    } catch {
      // Nothing more can be done while the page unloads.
    }
  }
  queue.beaconAll();
}

main().catch((err) => {
  state.phase = 'error';
  state.error = String((err as Error)?.message ?? err);
  console.error(err);
});
