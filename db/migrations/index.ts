import { migration as c001 } from './control/001-tenants-and-credentials.ts';
import { migration as c002 } from './control/002-outbox.ts';
import { migration as c003 } from './control/003-jobs.ts';
import { migration as c004 } from './control/004-raise.ts';
import { migration as c005 } from './control/005-suspend-data-text.ts';
import { migration as t001 } from './tenant/001-documents.ts';
import { migration as t002 } from './tenant/002-statements.ts';
import { migration as t003 } from './tenant/003-courses.ts';
import { migration as t004 } from './tenant/004-statement-filter-indexes.ts';
import { migration as t005 } from './tenant/005-runtime.ts';
import { migration as t006 } from './tenant/006-commit-storage.ts';
import { migration as t007 } from './tenant/007-suspend-data-once.ts';
import { migration as t008 } from './tenant/008-room-to-grow.ts';
import type { Migration } from './types.ts';

/** Ordered lists. A new migration is appended here, never inserted, and never edited once released. */
export const CONTROL_MIGRATIONS: readonly Migration[] = [c001, c002, c003, c004, c005];
export const TENANT_MIGRATIONS: readonly Migration[] = [t001, t002, t003, t004, t005, t006, t007, t008];

export const CONTROL_SCHEMA = 'crest';
