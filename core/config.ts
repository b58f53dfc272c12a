import path from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

/** CREST_COMMIT_LINGER_MS's default: the SCO-commit lanes' wait for more commits (core/lane-batcher.ts lingerMs). */
export const DEFAULT_COMMIT_LINGER_MS = 3;
/** CREST_PG_BACKEND_FLUSH_AFTER's default (db/postgres.ts sessionOptions says why). */
export const DEFAULT_PG_BACKEND_FLUSH_AFTER = '256kB';

/** Every variable Crest reads. Unknown adapter names are refused here, so a typo never falls back silently. */
const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  CREST_DATA_DIR: z.string().min(1).default('./data'),
  CREST_CONTENT_PORT: port.optional(),
  CREST_CONTENT_BASE_URL: z.url().optional(),
  CREST_CONTENT_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  CREST_CONTENT_URL_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(12 * 3600_000),
  CREST_PUBLIC_URL: z.url().optional(),
  CREST_LAUNCH_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  CREST_DATABASE: z.enum(['pglite', 'postgres']).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_APP_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  CREST_APP_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('crest_app'),
  CREST_DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  CREST_DB_CONNECT_RETRIES: z.coerce.number().int().min(0).max(100).default(10),
  CREST_STORAGE: z.enum(['folder', 's3']).default('folder'),
  CREST_BLOB_DIR: z.string().min(1).optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: z.url().optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  CREST_QUEUE: z.enum(['postgres', 'sqs']).default('postgres'),
  SQS_ENDPOINT: z.url().optional(),
  SQS_REGION: z.string().min(1).default('us-east-1'),
  SQS_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,40}$/)
    .default('crest-'),
  CREST_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
  CREST_UPLOAD_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 ** 3),
  CREST_AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  CREST_COMMIT_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(DEFAULT_COMMIT_LINGER_MS),
  // 'off' sends no startup option (e.g. behind a PgBouncer that refuses `options`).
  CREST_PG_BACKEND_FLUSH_AFTER: z
    .string()
    .regex(/^(off|\d+(kB|MB)?)$/, 'must be "off" or a PostgreSQL size, e.g. 256kB')
    .default(DEFAULT_PG_BACKEND_FLUSH_AFTER),
  CREST_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  CREST_BOOTSTRAP_DEMO: bool.default(true),
  CREST_XAPI_DEFAULT_VERSION: z.enum(['2.0.0', '1.0.3']).default('2.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  publicUrl: string | undefined;
  /** The content listener's port: PORT + 1 by default (0 when PORT is 0, for tests). */
  contentPort: number;
  /** Where players load course files from: a CDN in production, else the content listener. */
  contentBaseUrl: string | undefined;
  /**
   * Signs runtime launch tokens. When unset, the runtime derives a key from the admin token (itself
   * generated once into the data folder), so every process sharing a data folder or CREST_ADMIN_TOKEN agrees.
   */
  launchSigningKey: string | undefined;
  /** When set, course content is private and launch URLs carry a signed, expiring path token. */
  contentSigning: { key: string; ttlMs: number } | undefined;
  database:
    | { kind: 'pglite'; dataDir: string; appRole: string }
    | {
        kind: 'postgres';
        url: string;
        appUrl: string | undefined;
        appRole: string;
        poolMax: number;
        /** PostgreSQL's backend_flush_after for Crest's sessions; undefined leaves the server's. */
        backendFlushAfter: string | undefined;
      };
  dbConnectRetries: number;
  storage:
    | { kind: 'folder'; root: string }
    | { kind: 's3'; bucket: string; region: string; endpoint: string | undefined; forcePathStyle: boolean };
  queue:
    | { kind: 'postgres' }
    | { kind: 'sqs'; endpoint: string | undefined; region: string; queuePrefix: string };
  bodyLimit: number;
  /** Largest course package upload, in bytes. */
  uploadLimit: number;
  authCacheTtlMs: number;
  /** How long a tenant's free SCO-commit lane waits for more commits while its other transaction runs. */
  commitLingerMs: number;
  adminToken: string | undefined;
  bootstrapDemo: boolean;
  /** The X-Experience-API-Version reported on responses to requests that named none. */
  xapiDefaultVersion: '2.0.0' | '1.0.3';
  logLevel: Env['LOG_LEVEL'];
}

function fail(variable: string, why: string): never {
  throw new AppError('CONFIG_INVALID', `Configuration error: ${variable} ${why}`, { variable });
}

/** Reads and validates the environment. Throws AppError('CONFIG_INVALID') naming the variable at fault. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(EnvSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = EnvSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    fail(variable, `is invalid (got "${relevant[variable] ?? ''}"): ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.CREST_DATA_DIR);
  const dbKind = e.CREST_DATABASE ?? (e.DATABASE_URL ? 'postgres' : 'pglite');
  if (dbKind === 'postgres' && !e.DATABASE_URL) {
    fail(
      'DATABASE_URL',
      'must be set when CREST_DATABASE=postgres (e.g. postgres://crest@127.0.0.1:5432/crest).',
    );
  }
  if (e.CREST_STORAGE === 's3' && !e.S3_BUCKET) {
    fail('S3_BUCKET', 'must be set when CREST_STORAGE=s3.');
  }
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir,
    publicUrl: e.CREST_PUBLIC_URL,
    contentPort: e.CREST_CONTENT_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1),
    contentBaseUrl: e.CREST_CONTENT_BASE_URL,
    launchSigningKey: e.CREST_LAUNCH_SIGNING_KEY,
    contentSigning: e.CREST_CONTENT_SIGNING_KEY
      ? { key: e.CREST_CONTENT_SIGNING_KEY, ttlMs: e.CREST_CONTENT_URL_TTL_MS }
      : undefined,
    database:
      dbKind === 'postgres'
        ? {
            kind: 'postgres',
            url: e.DATABASE_URL!,
            appUrl: e.DATABASE_APP_URL,
            appRole: e.CREST_APP_ROLE,
            poolMax: e.CREST_DB_POOL_MAX,
            backendFlushAfter:
              e.CREST_PG_BACKEND_FLUSH_AFTER === 'off' ? undefined : e.CREST_PG_BACKEND_FLUSH_AFTER,
          }
        : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite'), appRole: e.CREST_APP_ROLE },
    dbConnectRetries: e.CREST_DB_CONNECT_RETRIES,
    storage:
      e.CREST_STORAGE === 's3'
        ? {
            kind: 's3',
            bucket: e.S3_BUCKET!,
            region: e.S3_REGION,
            endpoint: e.S3_ENDPOINT,
            forcePathStyle: e.S3_FORCE_PATH_STYLE,
          }
        : { kind: 'folder', root: path.resolve(e.CREST_BLOB_DIR ?? path.join(dataDir, 'blobs')) },
    queue:
      e.CREST_QUEUE === 'sqs'
        ? { kind: 'sqs', endpoint: e.SQS_ENDPOINT, region: e.SQS_REGION, queuePrefix: e.SQS_QUEUE_PREFIX }
        : { kind: 'postgres' },
    bodyLimit: e.CREST_BODY_LIMIT,
    uploadLimit: e.CREST_UPLOAD_LIMIT,
    authCacheTtlMs: e.CREST_AUTH_CACHE_TTL_MS,
    commitLingerMs: e.CREST_COMMIT_LINGER_MS,
    adminToken: e.CREST_ADMIN_TOKEN,
    bootstrapDemo: e.CREST_BOOTSTRAP_DEMO,
    xapiDefaultVersion: e.CREST_XAPI_DEFAULT_VERSION,
    logLevel: e.LOG_LEVEL,
  };
}
