import type { Authenticator } from '../../control/authenticator.ts';
import type { Database } from '../../db/database.ts';
import type { CommitWriter } from '../ops/commit-writer.ts';

export interface RuntimeRouteDeps {
  db: Database;
  authenticator: Authenticator;
  /** The launch token key (runtime/launch-token.ts launchSigningKey). */
  launchKey: Buffer;
  /** CREST_PUBLIC_URL: the API base in links, and the base of activity IRIs. */
  publicUrl: string | undefined;
  /** The content origin (or CDN) the player shell and course files are served from. */
  contentBaseUrl: () => string;
  /** Private content: contentBase carries a signed, expiring path token. */
  contentSigning: { key: string; ttlMs: number } | undefined;
  writer: CommitWriter;
}
