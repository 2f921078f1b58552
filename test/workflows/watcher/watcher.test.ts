/**
 * The watcher against the dev server and the emulator (issue 14): it follows the primary's Unity Catalog and starts
 * each rollout exactly once, with the quiet period, pause, hold, restarts and continue-as-new. Short durations: it
 * polls every 100 ms.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DatabricksClient } from '../../../src/databricks';
import type { PlanInput } from '../../../src/plan/schema';
import { startRollout, rolloutReport } from '../../../src/rollouts';
import {
  holdUpdate,
  releaseUpdate,
  rolloutWorkflowId,
  watcherPauseUpdate,
  watcherResumeUpdate,
  watcherStatusQuery,
} from '../../../src/shared/messages';
import type { WatcherStatus } from '../../../src/shared/watch';
import { startWatcher } from '../../../src/watchers';
import { DROP_WORKFLOW_SPANS } from '../../../src/tracing';
import type { rolloutWatcherWorkflow } from '../../../src/workflows';
import { EDGE_CASES, MODEL, Rig, until, spacedVersionWorlds, useRig } from '../../support/temporal';

/** Each test's versions start 10 further on: rollout ids outlive a test on the file's dev server. */
const rigOf = useRig(spacedVersionWorlds());
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

type Watcher = WorkflowHandle<typeof rolloutWatcherWorkflow>;

async function watch(settings: PlanInput['watch'] = {}, pollsPerRun?: number): Promise<Watcher> {
  const plan = rig.plan({ watch: { poll: '100ms', ...settings } });
  const { handle } = await startWatcher(rig.client, {
    plan,
    edgeCases: [],
    planName: 'test-plan',
    triggeredBy: 'test',
    ...(pollsPerRun ? { pollsPerRun } : {}),
  });
  await until('the watcher took its baseline', async () =>
    (await status(handle)).events.some((e) => e.what === 'baseline') ? true : undefined,
  );
  return handle;
}

const status = (watcher: Watcher): Promise<WatcherStatus> => watcher.query(watcherStatusQuery);

/** Waits for `n` more polls: long enough for the watcher to have acted on what it saw. */
async function polls(watcher: Watcher, n = 5): Promise<WatcherStatus> {
  const from = (await status(watcher)).polls;
  return until(`${n} more polls`, async () => {
    const now = await status(watcher);
    return now.polls >= from + n ? now : undefined;
  });
}

/** Every rollout workflow that exists for the model, by version (started by anyone, in any state). */
async function rollouts(): Promise<number[]> {
  const versions: number[] = [];
  // This test's versions: after the one its world seeds last.
  const base = Math.max(...rig.emu.world.models.flatMap((m) => m.versions.map((v) => v.version)));
  for (let v = base + 1; v < base + 10; v++) {
    const exists = await rig.client.workflow
      .getHandle(rolloutWorkflowId(MODEL, v))
      .describe()
      .then(() => true)
      .catch(() => false);
    if (exists) versions.push(v);
  }
  return versions;
}

const startedVersions = async (watcher: Watcher) => (await status(watcher)).started.map((s) => s.version);
const untilStarted = (watcher: Watcher, version: number) =>
  until(`v${version} started`, async () => ((await startedVersions(watcher)).includes(version) ? true : undefined));

const ops = { by: 'ana', reason: 'test' };

/** Why the watcher refused an update (the validator's message, under "Workflow Update failed"). */
const refusal = (update: Promise<unknown>) =>
  update.then(
    () => 'accepted',
    (err: { cause?: Error }) => err.cause?.message,
  );

it('a version registered in the primary starts exactly one rollout, and the versions there before do not', async () => {
  const watcher = await watch();
  const version = await rig.register('candidate-good');
  await untilStarted(watcher, version);
  const after = await polls(watcher);
  expect(after.started).toEqual([expect.objectContaining({ version, started: true })]);
  expect(await rollouts()).toEqual([version]);
  expect(after.events.map((e) => e.what)).toEqual(expect.arrayContaining(['baseline', 'seen', 'started']));
  expect(await rolloutReport(rig.client.workflow.getHandle(rolloutWorkflowId(MODEL, version)))).toMatchObject({
    outcome: 'succeeded',
  });
});

it('a version registered through MLflow starts once it is READY (finalized), not while pending', async () => {
  const watcher = await watch();
  const primary = rig.emu.world.primary;
  const mlflow = async (path: string, body: object) => {
    const res = await fetch(`${rig.emu.url(primary)}/api/2.0/mlflow/unity-catalog/model-versions/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${rig.emu.token(primary)}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { model_version: { version: string } }).model_version;
  };
  const created = await mlflow('create', {
    name: MODEL,
    source: '/tmp/model',
    tags: [{ key: 'emulator_behavior', value: 'candidate-good' }],
  });
  const version = Number(created.version);
  const pending = await polls(watcher);
  expect(pending.started).toEqual([]);
  expect(pending.events).toContainEqual(
    expect.objectContaining({ version, what: 'skipped', why: 'PENDING_REGISTRATION, not READY' }),
  );
  await mlflow('finalize', { name: MODEL, version: created.version });
  await untilStarted(watcher, version);
  await polls(watcher);
  expect(await rollouts()).toEqual([version]);
});

it('an alias moving starts one rollout of the version it moved to', async () => {
  const watcher = await watch({ on: 'alias', alias: 'champion' });
  const version = await rig.register('candidate-good');
  await polls(watcher);
  expect(await rollouts()).toEqual([]);
  const primary = rig.emu.world.primary;
  const uc = new DatabricksClient({ host: rig.emu.url(primary), token: rig.emu.token(primary), env: {} }).unityCatalog;
  await uc.setAlias(MODEL, 'champion', version);
  await untilStarted(watcher, version);
  await polls(watcher);
  expect(await rollouts()).toEqual([version]);
  expect((await status(watcher)).events).toContainEqual(
    expect.objectContaining({ version, what: 'seen', why: 'champion moved to it' }),
  );
});

it('a burst of three versions within the quiet period rolls out only the newest', async () => {
  const watcher = await watch({ quiet_period: '1500ms' });
  const burst = [await rig.register('candidate-good'), await rig.register('candidate-good')];
  await polls(watcher, 2);
  burst.push(await rig.register('candidate-good'));
  const newest = burst[2];
  await untilStarted(watcher, newest);
  const after = await polls(watcher);
  expect(after.started.map((s) => s.version)).toEqual([newest]);
  expect(await rollouts()).toEqual([newest]);
  expect(after.events).toContainEqual(
    expect.objectContaining({ what: 'waiting', why: expect.stringMatching(/quiet period/) }),
  );
});

it('a held watcher starts nothing newer than the hold, says who held it and why, and starts it once released', async () => {
  const watcher = await watch();
  expect(await watcher.executeUpdate(holdUpdate, { args: [{ version: 1, by: 'ana', reason: 'freeze' }] })).toBe(
    'held at v1 by ana',
  );
  expect(await refusal(watcher.executeUpdate(holdUpdate, { args: [{ version: 1, by: 'ana', reason: '' }] }))).toMatch(
    /needs a "reason"/,
  );
  const version = await rig.register('candidate-good');
  const held = await polls(watcher);
  expect(await rollouts()).toEqual([]);
  expect(held.state).toBe('held at v1');
  expect(held.hold).toMatchObject({ version: 1, by: 'ana', reason: 'freeze' });
  expect(held.events).toContainEqual(
    expect.objectContaining({ version, what: 'held', why: expect.stringMatching(/ana: freeze/) }),
  );
  await watcher.executeUpdate(releaseUpdate, { args: [ops] });
  await untilStarted(watcher, version);
  expect(await rollouts()).toEqual([version]);
});

it('a paused watcher starts nothing until resumed, and a version someone else started is not started again', async () => {
  const watcher = await watch();
  expect(await refusal(watcher.executeUpdate(watcherResumeUpdate, { args: [ops] }))).toMatch(/not paused/);
  await watcher.executeUpdate(watcherPauseUpdate, { args: [ops] });
  const version = await rig.register('candidate-good');
  const paused = await polls(watcher);
  expect(paused.state).toBe('paused');
  expect(await rollouts()).toEqual([]);
  // Meanwhile someone starts it by hand: the watcher, resumed, finds it and does not start a second.
  await startRollout(rig.client, { plan: rig.plan(), edgeCases: [], version, triggeredBy: 'by hand' });
  await watcher.executeUpdate(watcherResumeUpdate, { args: [ops] });
  await untilStarted(watcher, version);
  const after = await polls(watcher);
  expect(after.started).toEqual([expect.objectContaining({ version, started: false })]);
  expect(after.events).toContainEqual(expect.objectContaining({ version, what: 'attached' }));
  const runs = [];
  for await (const run of rig.client.workflow.list({ query: `WorkflowId = '${rolloutWorkflowId(MODEL, version)}'` }))
    runs.push(run.runId);
  expect(runs).toHaveLength(1);
  // Its history (updates, timers, activities) replays deterministically with the same code.
  await Worker.runReplayHistory(
    { workflowBundle: rig.bundle, sinks: DROP_WORKFLOW_SPANS },
    await watcher.fetchHistory(),
  );
});

it('restarting the worker mid-watch starts nothing twice', async () => {
  const watcher = await watch();
  const first = await rig.register('candidate-good');
  await untilStarted(watcher, first);
  await rig.stopWorkers();
  const second = await rig.register('candidate-good');
  await rig.startWorkers();
  // The poll in flight when the worker stopped times out on its heartbeat (10 s) and is retried.
  await until(
    `v${second} started`,
    async () => ((await startedVersions(watcher)).includes(second) ? true : undefined),
    40_000,
  );
  const after = await polls(watcher);
  expect(after.started.map((s) => s.version)).toEqual([first, second]);
  expect(await rollouts()).toEqual([first, second]);
  // Both rollouts end here, not while the rig's workers shut down after the test.
  for (const version of [first, second])
    await rolloutReport(rig.client.workflow.getHandle(rolloutWorkflowId(MODEL, version)));
}, 90_000);

it('continues as new and keeps what it saw, started, the hold and the pause', async () => {
  const watcher = await watch({}, 3);
  const version = await rig.register('candidate-good');
  await untilStarted(watcher, version);
  await watcher.executeUpdate(holdUpdate, { args: [{ version, by: 'ana', reason: 'soak' }] });
  await until('two more runs', async () => {
    const runs = [];
    for await (const run of rig.client.workflow.list({ query: `WorkflowId = '${watcher.workflowId}'` })) runs.push(run);
    return runs.length >= 3 ? runs : undefined;
  });
  const newer = await rig.register('candidate-good');
  const after = await polls(watcher);
  expect(after.started.map((s) => s.version)).toEqual([version]);
  expect(after.hold).toMatchObject({ version, by: 'ana', reason: 'soak' });
  expect(after.events).toContainEqual(expect.objectContaining({ version: newer, what: 'held' }));
  expect(await rollouts()).toEqual([version]);
});

it('a version tagged model_rollout_rolled_back is not picked; the next one is', async () => {
  const watcher = await watch();
  const res = await fetch(`${rig.emu.url(rig.emu.world.primary)}/__emulator/models/${MODEL}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      behavior: 'candidate-good',
      registration_duration: '50ms',
      tags: { model_rollout_rolled_back: 'canary failed in eu-west-1' },
    }),
  });
  const rolledBack = ((await res.json()) as { version: number }).version;
  const skipped = await polls(watcher);
  expect(await rollouts()).toEqual([]);
  expect(skipped.events).toContainEqual(
    expect.objectContaining({ version: rolledBack, what: 'skipped', why: expect.stringContaining('canary failed') }),
  );
  const next = await rig.register('candidate-good');
  await untilStarted(watcher, next);
  expect(await rollouts()).toEqual([next]);
});

it('a version the watcher rolled out and the rollout rolled back is tagged, and not picked when the alias returns to it', async () => {
  const plan = rig.plan({
    watch: { on: 'alias', alias: 'champion', poll: '100ms' },
    tests: { edge_cases: { file: 'inline', tolerance: 0.02 } },
    stages: [{ name: 'canary', traffic: 10, bake: '100ms' }],
  });
  const { handle: watcher } = await startWatcher(rig.client, {
    plan,
    edgeCases: EDGE_CASES,
    planName: 'rolled-back-plan',
    triggeredBy: 'test',
  });
  await until('the watcher took its baseline', async () =>
    (await status(watcher)).events.some((e) => e.what === 'baseline') ? true : undefined,
  );
  const primary = rig.emu.world.primary;
  const uc = new DatabricksClient({ host: rig.emu.url(primary), token: rig.emu.token(primary), env: {} }).unityCatalog;
  const bad = await rig.register('candidate-bad');
  await uc.setAlias(MODEL, 'champion', bad);
  await untilStarted(watcher, bad);
  // Its edge cases fail: the rollout restores every region and tags the version with why.
  const report = await rolloutReport(rig.client.workflow.getHandle(rolloutWorkflowId(MODEL, bad)));
  expect(report.outcome).toBe('rolled-back');
  const tags = await uc.getModelVersionTags(MODEL, bad);
  expect(tags.model_rollout_rolled_back).toMatch(/edge-cases failed/);

  // The alias moves on, then back to the rolled-back version: seen, and skipped for its tag.
  const good = await rig.register('candidate-good');
  await uc.setAlias(MODEL, 'champion', good);
  await untilStarted(watcher, good);
  await rolloutReport(rig.client.workflow.getHandle(rolloutWorkflowId(MODEL, good)));
  await uc.setAlias(MODEL, 'champion', bad);
  const after = await polls(watcher);
  expect(after.events).toContainEqual(
    expect.objectContaining({ version: bad, what: 'skipped', why: expect.stringMatching(/edge-cases failed/) }),
  );
  expect(await rollouts()).toEqual([bad, good]);
}, 120_000);

it('records a poll that fails (a model that does not exist: not retried) and keeps watching, backing off', async () => {
  const plan = rig.plan({ model: 'main.ml.no_such_model', watch: { poll: '100ms' } });
  const { handle } = await startWatcher(rig.client, { plan, edgeCases: [], planName: 'missing', triggeredBy: 'test' });
  const failed = await until('two failed polls', async () => {
    const now = await status(handle);
    return now.polls >= 2 ? now : undefined;
  });
  expect(failed.events[0]).toMatchObject({ what: 'poll-failed', why: expect.stringMatching(/no_such_model/) });
  expect(failed.started).toEqual([]);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  // Not found is not retried: one attempt per poll.
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
  expect(attempts.every((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) === 1)).toBe(true);
});
