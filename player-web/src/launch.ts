import type { Launch } from './contract.ts';
import { fail, state } from './player-state.ts';
import { shell } from './shell.ts';

declare global {
  interface Window {
    /** Set by launch.html before this bundle loads. */
    __crestPlayer: {
      scorm12: string;
      scorm2004: string;
      /** The first launch request, started by launch.html before this bundle loads. */
      launch?: Promise<Response | null>;
      /** The scorm-again build launch.html started loading from the link's `?sv=` hint. */
      vendor?: { src: string; loaded: Promise<unknown> };
      /** For tests and embedding pages: what the player is doing. */
      state?: Record<string, unknown>;
    };
  }
}

export const boot = window.__crestPlayer;

/** `?api=<apiBase>#<token>`: the token is in the fragment, which browsers never send to a server. */
export function readLaunchLink(): { apiBase: string; token: string } {
  const apiBase = new URLSearchParams(location.search).get('api');
  const token = decodeURIComponent(location.hash.replace(/^#/, ''));
  if (!apiBase || !token) fail('This launch link is incomplete: it needs ?api=… and a #token.');
  return { apiBase: apiBase.replace(/\/+$/, ''), token };
}

/** GET <api>/runtime/v1/launch/<token>: launch.html's early request first, then retries with backoff. */
export async function fetchLaunch({ apiBase, token }: { apiBase: string; token: string }): Promise<Launch> {
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

/**
 * SCOs find the API only from this origin (API.md, "Origins"); and a launch link naming some other ?api=
 * must not turn this trusted page into a frame around someone else's site.
 */
export function checkContentOrigin(launch: Launch): void {
  if (new URL(launch.contentBase, location.href).origin !== location.origin)
    fail('This course is not served from the player’s origin, so it cannot be played here.');
}

/** scorm-again's build for this course: the one launch.html already started when its hint was right. */
export async function loadVendor(src: string): Promise<void> {
  if (boot.vendor?.src === src) {
    try {
      await boot.vendor.loaded;
      return;
    } catch {
      // Fall through: load it again, which reports the error if it persists.
    }
  }
  await loadScript(src);
}

export function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`Could not load ${src}`));
    document.head.append(s);
  });
}
