import type { CommitQueue } from './commit-queue.ts';
import type { Launch, TocItem } from './contract.ts';
import type { Any } from './scorm-api.ts';

type Cmi = Record<string, Any>;

/** renderCommitCMI's {cmi: {…}} or the bare tree (API.md: both are accepted), as the bare tree. */
export function unwrap(cmi: unknown): Cmi | undefined {
  if (!cmi || typeof cmi !== 'object') return undefined;
  const c = cmi as Cmi;
  return c.cmi && typeof c.cmi === 'object' ? c.cmi : c;
}

/**
 * Per SCO of this attempt: the newest CMI (from this page, the commit queue or the runtime), its status for
 * the TOC and prerequisites, and the commit sequence number.
 */
export class ScoRecords {
  private readonly seqs = new Map<string, number>();
  /** The CMI this page last committed per SCO: what a relaunch in the same page resumes from. */
  private readonly committed = new Map<string, unknown>();
  private readonly statuses = new Map<string, string>();

  constructor(
    private readonly launch: Launch,
    private readonly queue: CommitQueue,
    items: readonly TocItem[],
  ) {
    for (const item of items) {
      const saved = launch.scos[item.id];
      this.seqs.set(item.id, Math.max(saved?.seq ?? 0, queue.highestSeq(launch.attemptId, item.id)));
      this.statuses.set(item.id, this.statusOf(this.savedCmi(item.id)));
    }
  }

  /** The newest CMI for an item: an unacknowledged local commit beats the runtime's copy. */
  savedCmi(id: string): Cmi | undefined {
    const mine = this.committed.get(id);
    if (mine) return unwrap(mine);
    const server = this.launch.scos[id];
    const local = this.queue.latest(this.launch.attemptId, id);
    if (local && local.seq > (server?.seq ?? 0)) return unwrap(local.cmi);
    return unwrap(server?.cmi);
  }

  status(id: string): string | undefined {
    return this.statuses.get(id);
  }

  nextSeq(id: string): number {
    const n = (this.seqs.get(id) ?? 0) + 1;
    this.seqs.set(id, n);
    return n;
  }

  /** What this page just committed for the SCO. */
  record(id: string, cmi: unknown): void {
    this.committed.set(id, cmi);
    this.statuses.set(id, this.statusOf(cmi as Cmi));
  }

  /**
   * cmi.core.entry / cmi.entry (SCORM 1.2 RTE §3.4.4, 2004 RTE §4.2.9): the runtime's value while its copy
   * is the newest, else "ab-initio" for a first launch and "resume" after a suspended exit.
   */
  entry(id: string, lastExit: unknown): string {
    const server = this.launch.scos[id];
    const fromServer = !!server?.cmi && this.savedCmi(id) === unwrap(server.cmi);
    if (fromServer && server?.entry !== undefined) return server.entry;
    if (!server?.cmi && !this.committed.has(id) && !this.queue.latest(this.launch.attemptId, id))
      return 'ab-initio';
    return lastExit === 'suspend' ? 'resume' : '';
  }

  private statusOf(cmi: Cmi | undefined): string {
    if (!cmi) return 'not attempted';
    if (this.launch.course.standard === 'scorm12') return String(cmi.core?.lesson_status ?? 'not attempted');
    if (cmi.success_status === 'passed' || cmi.success_status === 'failed') return cmi.success_status;
    return String(cmi.completion_status ?? 'not attempted');
  }
}
