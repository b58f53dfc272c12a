import type { TocEntry } from '../../runtime/course-info.ts';
import type { CommitBody as ParsedCommit } from '../../runtime/http/request-bodies.ts';
import type { LaunchData } from '../../runtime/launch-data.ts';
import type { CommitAnswer as RuntimeAnswer } from '../../runtime/ops/judge-commit.ts';
import type { CommitAnswer, CommitBody, Launch, SavedSco, TocItem } from './contract.ts';

/*
 * contract.ts twins the runtime's wire types rather than importing them (it says why). These checks keep the
 * twins honest at `npm run typecheck`: a field the runtime renames or retypes fails the build here. Types only:
 * nothing of this file is bundled (main.ts does not import it).
 */
type Assignable<T extends U, U> = [T, U];
/** Every field the player's type names, the runtime's names too: an optional field passes Assignable unread. */
type Known<T, U> = [Exclude<keyof T, keyof U>] extends [never]
  ? true
  : { notSent: Exclude<keyof T, keyof U> };
type Holds<T extends true> = T;

/** What GET /runtime/v1/launch/:token answers, the player can read. */
export type LaunchReadable = [
  Assignable<LaunchData, Launch>,
  Holds<Known<Launch, LaunchData>>,
  Holds<Known<Launch['course'], LaunchData['course']>>,
  Holds<Known<SavedSco, LaunchData['scos'][string]>>,
  Holds<Known<TocItem, TocEntry>>,
];
/** What a commit is answered, the player can read. */
export type AnswerReadable = [
  Assignable<RuntimeAnswer, CommitAnswer>,
  Holds<Known<CommitAnswer, RuntimeAnswer>>,
  Holds<Known<NonNullable<CommitAnswer['sco']>, RuntimeAnswer['sco']>>,
  Holds<Known<NonNullable<CommitAnswer['course']>, RuntimeAnswer['course']>>,
];
/** What the player sends is what the runtime parses (the hash is the runtime's, of the text as sent). */
export type CommitSendable = [
  Assignable<CommitBody, Omit<ParsedCommit, 'hash'>>,
  Holds<Known<CommitBody, ParsedCommit>>,
];
