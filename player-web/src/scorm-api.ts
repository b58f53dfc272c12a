import { commit } from './commits.ts';
import type { Player } from './player.ts';
import { fail } from './player-state.ts';

// biome-ignore lint/suspicious/noExplicitAny: scorm-again's CMI objects are untyped trees here.
export type Any = any;

/** The part of scorm-again 3's Scorm12API / Scorm2004API the player uses. */
export interface ScormApi {
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
  }
}

/**
 * A scorm-again API for the course's standard. It gets our own IHttpService (its `httpService` setting)
 * rather than a commit URL it would fetch itself: its built-in services either block the SCO on a
 * synchronous XHR or fire and forget, and neither keeps a commit across a dead network or a closed tab.
 */
export function newApi(p: Player, extra: Record<string, unknown> = {}): ScormApi {
  const Ctor = p.v12 ? window.Scorm12API : window.Scorm2004API;
  if (!Ctor) fail('The SCORM runtime did not load.');
  return new Ctor({
    lmsCommitUrl: p.launch.commitUrl,
    autocommit: true,
    autocommitSeconds: 30,
    logLevel: 5,
    // SCORM 1.2 RTE §3.4.4 cmi.core.lesson_status: with a mastery score and a raw score, the LMS may set
    // passed/failed. This is what learners and LMSs expect, so the player does.
    mastery_override: true,
    httpService: {
      processHttpRequest: (_url: string, params: unknown, immediate: boolean) => {
        commit(p, params, immediate);
        return { result: 'true', errorCode: 0 };
      },
      updateSettings: () => {},
    },
    ...extra,
  });
}

/** Where a SCO looks for it, walking window.parent (SCORM 1.2 RTE §3.3.6.1, SCORM 2004 RTE §3.1.2.1). */
export function exposeApi(a: ScormApi, v12: boolean): void {
  if (v12) window.API = a;
  else window.API_1484_11 = a;
}

/** A 2004 SCO's adl.nav.request becomes the navRequest of its terminating commit. */
export function trackNavRequest(p: Player, a: ScormApi): void {
  a.on('SetValue.adl.nav.request', (_el: string, value: string) => {
    p.pendingNav = toNavRequest(value);
  });
}

/** adl.nav.request ("{target=x}choice", "continue", …) → the commit's navRequest form. */
function toNavRequest(value: string): string | null {
  if (!value || value === '_none_') return null;
  const m = /^\{target=([^}]+)\}(choice|jump)$/.exec(value);
  if (m) return `${m[2]}:${m[1]}`;
  return value.replace(/^_/, '');
}
