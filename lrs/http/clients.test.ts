import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import xapiModule from '@xapi/xapi';
import test from 'ava';
import { type ServerProcess, startServer } from '../../test/cli-runner.ts';

/*
 * Unmodified third-party xAPI clients against a real `crest serve`: @xapi/xapi (speaks 2.0.0 and
 * 1.0.3) and Rustici's tincanjs (speaks 1.0.2, as Storyline-era content does).
 */

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: tincanjs ships no types
const TinCan: any = require('tincanjs');

let server: ServerProcess;
let dataDir: string;
let key: string;
let secret: string;

test.before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'crest-clients-'));
  server = await startServer({ CREST_DATA_DIR: dataDir });
  const banner = server.output();
  if (!/key:/.test(banner)) throw new Error(`no credentials in:\n${banner}`);
  key = /key:\s+(\S+)/.exec(banner)![1]!;
  secret = /secret:\s+(\S+)/.exec(server.output())![1]!;
});
test.after.always(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

// The package is CommonJS with a `default` export; depending on the loader's interop the class is the
// import itself or its `default`.
type XapiClass = typeof xapiModule.default;
const XAPI = ((xapiModule as unknown as { default?: XapiClass }).default ?? xapiModule) as XapiClass;

const ACTOR = { objectType: 'Agent' as const, mbox: 'mailto:client-test@example.com', name: 'Client Test' };

for (const version of ['2.0.0', '1.0.3'] as const) {
  test.serial(`@xapi/xapi ${version}: statements, state, activity and agent profiles`, async (t) => {
    // The client sends whatever version it is given; its type list just predates 2.0.
    const xapi = new XAPI({
      endpoint: `${server.url}/xapi/`,
      auth: XAPI.toBasicAuth(key, secret),
      version: version as '1.0.3',
    });
    const activityId = `http://example.com/activities/${randomUUID()}`;
    const sent = await xapi.sendStatement({
      statement: {
        actor: ACTOR,
        verb: { id: 'http://adlnet.gov/expapi/verbs/completed', display: { 'en-US': 'completed' } },
        object: { objectType: 'Activity', id: activityId },
      },
    });
    const id = sent.data[0]!;
    const one = await xapi.getStatement({ statementId: id });
    t.is((one.data.object as { id?: string }).id, activityId);
    const many = await xapi.getStatements({ activity: activityId });
    t.deepEqual(
      many.data.statements.map((s: { id?: string }) => s.id),
      [id],
    );

    await xapi.setState({ agent: ACTOR, activityId, stateId: 'bookmark', state: { page: 3 } });
    t.deepEqual((await xapi.getState({ agent: ACTOR, activityId, stateId: 'bookmark' })).data, { page: 3 });

    await xapi.setActivityProfile({
      activityId,
      profileId: 'settings',
      profile: { theme: 'dark' },
      etag: '*',
      matchHeader: 'If-None-Match',
    });
    t.deepEqual((await xapi.getActivityProfile({ activityId, profileId: 'settings' })).data, {
      theme: 'dark',
    });

    const profileId = `prefs-${version}`;
    await xapi.setAgentProfile({
      agent: ACTOR,
      profileId,
      profile: { lang: 'fr' },
      etag: '*',
      matchHeader: 'If-None-Match',
    });
    t.deepEqual((await xapi.getAgentProfile({ agent: ACTOR, profileId })).data, { lang: 'fr' });
  });
}

function call<T>(fn: (cfg: { callback: (err: unknown, result: T) => void }) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn({
      callback: (err, result) =>
        err ? reject(new Error(`tincanjs error: ${JSON.stringify(err)}`)) : resolve(result),
    });
  });
}

test.serial('tincanjs (1.0.2): statements, state, activity and agent profiles', async (t) => {
  const lrs = new TinCan.LRS({
    endpoint: `${server.url}/xapi/`,
    username: key,
    password: secret,
    allowFail: false,
  });
  t.is(lrs.version, '1.0.2');
  const activity = new TinCan.Activity({ id: `http://example.com/activities/${randomUUID()}` });
  const agent = new TinCan.Agent({ mbox: ACTOR.mbox, name: ACTOR.name });
  const statement = new TinCan.Statement({
    id: randomUUID(),
    actor: agent,
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
    target: activity,
  });
  await call((cfg) => lrs.saveStatement(statement, cfg));
  // biome-ignore lint/suspicious/noExplicitAny: tincanjs result objects
  const got: any = await call((cfg) => lrs.retrieveStatement(statement.id, cfg));
  t.is(got.target.id, activity.id);
  t.is(got.actor.mbox, ACTOR.mbox);

  await call((cfg) =>
    lrs.saveState('bookmark', { slide: 7 }, { ...cfg, activity, agent, contentType: 'application/json' }),
  );
  // biome-ignore lint/suspicious/noExplicitAny: tincanjs result objects
  const state: any = await call((cfg) => lrs.retrieveState('bookmark', { ...cfg, activity, agent }));
  t.deepEqual(state.contents, { slide: 7 });

  await call((cfg) =>
    lrs.saveActivityProfile(
      'config',
      { mode: 'exam' },
      { ...cfg, activity, contentType: 'application/json' },
    ),
  );
  // biome-ignore lint/suspicious/noExplicitAny: tincanjs result objects
  const profile: any = await call((cfg) => lrs.retrieveActivityProfile('config', { ...cfg, activity }));
  t.deepEqual(profile.contents, { mode: 'exam' });

  await call((cfg) =>
    lrs.saveAgentProfile('tc-prefs', { volume: 5 }, { ...cfg, agent, contentType: 'application/json' }),
  );
  // biome-ignore lint/suspicious/noExplicitAny: tincanjs result objects
  const agentProfile: any = await call((cfg) => lrs.retrieveAgentProfile('tc-prefs', { ...cfg, agent }));
  t.deepEqual(agentProfile.contents, { volume: 5 });
});
