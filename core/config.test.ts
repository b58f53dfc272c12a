import path from 'node:path';
import test from 'ava';
import { loadConfig } from './config.ts';
import { isAppError } from './errors.ts';

function configError(env: Record<string, string>): { variable: unknown; message: string } {
  try {
    loadConfig(env);
  } catch (err) {
    if (isAppError(err)) return { variable: err.details.variable, message: err.message };
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

test('defaults are the embedded engines on 127.0.0.1:8080 under ./data', (t) => {
  const c = loadConfig({});
  t.is(c.host, '127.0.0.1');
  t.is(c.port, 8080);
  t.is(c.dataDir, path.resolve('data'));
  t.deepEqual(c.database, { kind: 'pglite', dataDir: path.resolve('data/pglite'), appRole: 'crest_app' });
  t.deepEqual(c.storage, { kind: 'folder', root: path.resolve('data/blobs') });
  t.deepEqual(c.queue, { kind: 'postgres' });
  t.is(c.commitLingerMs, 3);
  t.is(loadConfig({ CREST_COMMIT_LINGER_MS: '10' }).commitLingerMs, 10);
});

test('DATABASE_URL switches to PostgreSQL; S3 and SQS settings switch their engines', (t) => {
  const c = loadConfig({
    DATABASE_URL: 'postgres://crest@db:5432/crest',
    CREST_STORAGE: 's3',
    S3_BUCKET: 'courses',
    S3_ENDPOINT: 'http://127.0.0.1:4568',
    S3_FORCE_PATH_STYLE: 'true',
    CREST_QUEUE: 'sqs',
    SQS_ENDPOINT: 'http://127.0.0.1:4566',
    PORT: '9000',
  });
  t.is(c.database.kind, 'postgres');
  t.is(c.database.kind === 'postgres' && c.database.backendFlushAfter, '256kB');
  t.is(c.port, 9000);
  const flush = (v: string) => {
    const d = loadConfig({
      DATABASE_URL: 'postgres://crest@db:5432/crest',
      CREST_PG_BACKEND_FLUSH_AFTER: v,
    }).database;
    return d.kind === 'postgres' ? d.backendFlushAfter : 'not postgres';
  };
  t.is(flush('1MB'), '1MB');
  t.is(flush('off'), undefined);
  t.deepEqual(c.storage, {
    kind: 's3',
    bucket: 'courses',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:4568',
    forcePathStyle: true,
  });
  t.deepEqual(c.queue, {
    kind: 'sqs',
    endpoint: 'http://127.0.0.1:4566',
    region: 'us-east-1',
    queuePrefix: 'crest-',
  });
});

test('an unknown adapter name stops the boot and names the variable', (t) => {
  const storage = configError({ CREST_STORAGE: 'ftp' });
  t.is(storage.variable, 'CREST_STORAGE');
  t.regex(storage.message, /CREST_STORAGE is invalid \(got "ftp"\)/);
  t.is(configError({ CREST_QUEUE: 'kafka' }).variable, 'CREST_QUEUE');
  t.is(configError({ CREST_DATABASE: 'mysql' }).variable, 'CREST_DATABASE');
});

test('bad values name the variable', (t) => {
  t.is(configError({ PORT: 'eighty' }).variable, 'PORT');
  t.is(configError({ PORT: '70000' }).variable, 'PORT');
  t.is(configError({ DATABASE_URL: 'mysql://x' }).variable, 'DATABASE_URL');
  t.is(configError({ S3_FORCE_PATH_STYLE: 'maybe' }).variable, 'S3_FORCE_PATH_STYLE');
  t.is(configError({ CREST_ADMIN_TOKEN: 'short' }).variable, 'CREST_ADMIN_TOKEN');
  t.is(configError({ CREST_APP_ROLE: 'App Role' }).variable, 'CREST_APP_ROLE');
  t.is(configError({ CREST_COMMIT_LINGER_MS: 'soon' }).variable, 'CREST_COMMIT_LINGER_MS');
  t.is(configError({ CREST_PG_BACKEND_FLUSH_AFTER: '1 GB' }).variable, 'CREST_PG_BACKEND_FLUSH_AFTER');
});

test('engines that need settings say which one is missing', (t) => {
  const pg = configError({ CREST_DATABASE: 'postgres' });
  t.is(pg.variable, 'DATABASE_URL');
  t.regex(pg.message, /must be set when CREST_DATABASE=postgres/);
  t.is(configError({ CREST_STORAGE: 's3' }).variable, 'S3_BUCKET');
});

test('empty variables count as unset', (t) => {
  t.is(loadConfig({ PORT: '', DATABASE_URL: '' }).database.kind, 'pglite');
});
