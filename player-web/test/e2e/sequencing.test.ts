import test from 'ava';
import type { Page } from 'playwright-core';
import type { PackageSpec } from '../sco-package.ts';
import { click, inSco, scoFrame, waitFor } from './player-page.ts';
import { playerSuite } from './suite.ts';

/*
 * SCORM 2004 sequencing run by scorm-again's engine in the player, configured from the manifest by the
 * packager (toScormAgainSequencing) and the runtime's launch data. Each course is the smallest manifest
 * that makes the sequencer take the decision the SN book requires.
 */

const suite = playerSuite(test);
const { run } = suite;

/** The organization's (root activity's) tracking status in scorm-again's activity tree. */
function rootTracking(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() =>
    (
      window as unknown as { API_1484_11: { getActivityTrackingData(id: string): Record<string, unknown> } }
    ).API_1484_11.getActivityTrackingData('org'),
  );
}

/** The SCO ends its attempt with a status, and asks for `request` (adl.nav.request) if given. */
async function finishSco(page: Page, id: string, cmi: Record<string, string>, request?: string) {
  const sco = await scoFrame(page, id);
  const sets = Object.entries(cmi).map(([k, v]) => `set(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
  if (request) sets.push(`set('adl.nav.request', ${JSON.stringify(request)});`);
  await inSco(sco, `${sets.join(' ')} finish();`);
}

const completed = { 'cmi.completion_status': 'completed' };
const passed = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed' };
const failed = { 'cmi.completion_status': 'completed', 'cmi.success_status': 'failed' };

run(
  'forced sequential order: no choice, no going back; flow delivers one, two, three, then the course ends',
  async (t) => {
    const { page } = await suite.open(
      {
        version: '2004',
        title: 'Forced sequential',
        items: [
          { id: 'one', title: 'One' },
          { id: 'two', title: 'Two' },
          { id: 'three', title: 'Three' },
        ],
        orgSequencing: '<imsss:controlMode choice="false" flow="true" forwardOnly="true"/>',
      },
      t.log,
    );
    let sco = await scoFrame(page, 'one');
    t.is(await inSco(sco, "get('adl.nav.request_valid.continue')"), 'true');
    t.is(await inSco(sco, "get('adl.nav.request_valid.previous')"), 'false');
    t.is(await inSco(sco, "get('adl.nav.request_valid.choice.{target=three}')"), 'false');
    t.true(await page.isDisabled('#toc button[data-item="three"]'), 'the table of contents offers no choice');
    t.true(await page.isDisabled('#previous'));
    await page.click('#toc button[data-item="three"]', { force: true });
    await finishSco(page, 'one', completed, 'continue');
    sco = await scoFrame(page, 'two');
    t.is(await inSco(sco, "get('adl.nav.request_valid.previous')"), 'false', 'forwardOnly');
    await page.waitForFunction(() => (document.getElementById('previous') as HTMLButtonElement).disabled);
    await click(page, 'continue');
    await finishSco(page, 'three', completed, 'continue');
    // Continuing past the last activity ends the sequencing session.
    const s = await waitFor(page, "s.phase === 'ended'");
    t.deepEqual(s.launched, ['one', 'two', 'three']);
    await page.close();
  },
);

const pretestCourse = (): PackageSpec => ({
  version: '2004',
  title: 'Pre-test',
  items: [
    {
      id: 'pretest',
      title: 'Pre-test',
      sequencing: `<imsss:objectives><imsss:primaryObjective objectiveID="pretest_obj" satisfiedByMeasure="false">
        <imsss:mapInfo targetObjectiveID="g_mastery" readSatisfiedStatus="false" writeSatisfiedStatus="true"/>
      </imsss:primaryObjective></imsss:objectives>`,
    },
    {
      id: 'content',
      title: 'Content',
      sequencing: `<imsss:sequencingRules><imsss:preConditionRule>
        <imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions>
        <imsss:ruleAction action="skip"/>
      </imsss:preConditionRule></imsss:sequencingRules>
      <imsss:objectives><imsss:primaryObjective objectiveID="content_obj" satisfiedByMeasure="false">
        <imsss:mapInfo targetObjectiveID="g_mastery" readSatisfiedStatus="true" writeSatisfiedStatus="false"/>
      </imsss:primaryObjective></imsss:objectives>`,
    },
    { id: 'posttest', title: 'Post-test' },
  ],
  orgSequencing: '<imsss:controlMode choice="false" flow="true"/>',
});

run(
  'pre-test skip: passing the pre-test satisfies the shared objective, and the content is skipped',
  async (t) => {
    const { page } = await suite.open(pretestCourse(), t.log);
    await finishSco(page, 'pretest', passed, 'continue');
    await scoFrame(page, 'posttest');
    const s = await waitFor(page, "s.current === 'posttest'");
    t.deepEqual(s.launched, ['pretest', 'posttest']);
    await page.close();
  },
);

run('pre-test skip: failing the pre-test delivers the content', async (t) => {
  const { page } = await suite.open(pretestCourse(), t.log);
  await finishSco(page, 'pretest', failed, 'continue');
  await scoFrame(page, 'content');
  await finishSco(page, 'content', completed, 'continue');
  const s = await waitFor(page, "s.current === 'posttest'");
  t.deepEqual(s.launched, ['pretest', 'content', 'posttest']);
  await page.close();
});

run(
  'remediation: a failed quiz exits its module, whose post-condition retries it from the lesson; passing moves on',
  async (t) => {
    const { page } = await suite.open(
      {
        version: '2004',
        title: 'Remediation',
        items: [
          {
            id: 'module',
            title: 'Module',
            sequencing: `<imsss:controlMode choice="false" flow="true"/>
          <imsss:sequencingRules><imsss:postConditionRule>
            <imsss:ruleConditions><imsss:ruleCondition operator="not" condition="satisfied"/></imsss:ruleConditions>
            <imsss:ruleAction action="retry"/>
          </imsss:postConditionRule></imsss:sequencingRules>`,
            children: [
              {
                id: 'lesson',
                title: 'Lesson',
                sequencing: '<imsss:rollupRules rollupObjectiveSatisfied="false"/>',
              },
              {
                id: 'quiz',
                title: 'Quiz',
                sequencing: `<imsss:sequencingRules><imsss:postConditionRule>
                <imsss:ruleConditions><imsss:ruleCondition operator="not" condition="satisfied"/></imsss:ruleConditions>
                <imsss:ruleAction action="exitParent"/>
              </imsss:postConditionRule></imsss:sequencingRules>`,
              },
            ],
          },
          { id: 'wrapup', title: 'Wrap-up' },
        ],
        orgSequencing: '<imsss:controlMode choice="false" flow="true"/>',
      },
      t.log,
    );
    await finishSco(page, 'lesson', completed, 'continue');
    await finishSco(page, 'quiz', failed, 'continue');
    // The retried module starts again at the lesson: a new attempt, so the quiz is not "passed" yet.
    await waitFor(page, "s.launched.length === 3 && s.current === 'lesson'");
    await finishSco(page, 'lesson', completed, 'continue');
    await finishSco(page, 'quiz', passed, 'continue');
    const s = await waitFor(page, "s.current === 'wrapup'");
    t.deepEqual(s.launched, ['lesson', 'quiz', 'lesson', 'quiz', 'wrapup']);
    await page.close();
  },
);

run(
  'rollup: when every activity is completed and the assessment passed, the course is completed and satisfied',
  async (t) => {
    const { page, registration } = await suite.open(
      {
        version: '2004',
        title: 'Rollup',
        items: [
          {
            id: 'lesson',
            title: 'Lesson',
            sequencing: '<imsss:rollupRules rollupObjectiveSatisfied="false"/>',
          },
          { id: 'exam', title: 'Exam' },
        ],
        orgSequencing: '<imsss:controlMode choice="true" flow="true"/>',
      },
      t.log,
    );
    await finishSco(page, 'lesson', completed, 'continue');
    let s = await waitFor(page, "s.current === 'exam'");
    t.falsy(s.complete);
    t.not(await rootTracking(page).then((r) => r.completionStatus), 'completed', 'the exam is still to do');
    await finishSco(page, 'exam', passed, 'exitAll');
    s = await waitFor(page, "s.phase === 'ended' && s.complete === true");
    t.true(await page.isVisible('#complete'));
    // scorm-again's rollup made the root (the organization) completed and passed...
    t.like(await rootTracking(page), { completionStatus: 'completed', successStatus: 'passed' });
    // ...and the runtime's registration report agrees.
    const summary = await suite.backend.api<{ status: Record<string, unknown> }>(
      `/api/v1/registrations/${registration}`,
    );
    t.like(summary.status, { completion: 'completed', success: 'passed', complete: true });
    await page.close();
  },
);

run('hideLMSUI: the shell hides the buttons the activity asks it to hide', async (t) => {
  const { page } = await suite.open(
    {
      version: '2004',
      title: 'Hide LMS UI',
      items: [
        {
          id: 'one',
          title: 'One',
          itemXml: `<adlnav:presentation><adlnav:navigationInterface>
            <adlnav:hideLMSUI>continue</adlnav:hideLMSUI><adlnav:hideLMSUI>previous</adlnav:hideLMSUI>
          </adlnav:navigationInterface></adlnav:presentation>`,
        },
        { id: 'two', title: 'Two' },
      ],
      orgSequencing: '<imsss:controlMode choice="true" flow="true"/>',
    },
    t.log,
  );
  await scoFrame(page, 'one');
  await page.waitForFunction(() => (document.getElementById('continue') as HTMLButtonElement).hidden);
  t.true(await page.isHidden('#previous'));
  await finishSco(page, 'one', completed, 'continue');
  await scoFrame(page, 'two');
  await page.waitForFunction(() => !(document.getElementById('continue') as HTMLButtonElement).hidden);
  t.true(await page.isVisible('#previous'));
  await page.close();
});
