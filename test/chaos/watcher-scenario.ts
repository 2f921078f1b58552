/**
 * The fault suite's watcher scenario (issue 14: "a worker killed and a server restarted mid-watch lose nothing and
 * start nothing twice"). A watcher polling every 200 ms starts a rollout; while that rollout bakes, with the watcher
 * paused and holding, the worker and the Temporal dev server are SIGKILLed, a version is registered while they are
 * down, and both come back (same database). The watcher must remember what it saw and started, its pause and its
 * hold; start the version registered during the outage once resumed, exactly once; and both rollouts end with the
 * invariant held and their endpoint updates in two blocks, none applied twice.
 */
import type { WorkflowHandle } from '@temporalio/client';
import {
  holdUpdate,
  rolloutWorkflowId,
  versionOfRolloutId,
  watcherPauseUpdate,
  watcherResumeUpdate,
  watcherStatusQuery,
} from '../../src/shared/messages';
import type { WatcherStatus } from '../../src/shared/watch';
import { startWatcher } from '../../src/watchers';
import type { rolloutWatcherWorkflow } from '../../src/workflows';
import { checkNoInterleaving, plannedConfigs, readEndpoints, targetConfig } from '../support/invariant';
import { ENDPOINT, MODEL, until } from '../support/temporal';
import { sleep, type ChaosRun, type Scenario } from './harness';

/**
 * Rollout ids outlive a scenario on the suite's dev server (`rollout-<model>-v<n>`), and a watcher never starts a
 * version whose rollout exists: this world's registry holds a version 900, so the scenario's versions are 901 on.
 */
const FIRST_VERSION = 900;
const operator = { by: 'chaos-operator' };

type Watcher = WorkflowHandle<typeof rolloutWatcherWorkflow>;

/** The watcher's status once `predicate` holds, asked again while the server or the worker is away. */
const watcherUntil = (watcher: Watcher, what: string, predicate: (status: WatcherStatus) => boolean) =>
  until(
    `the watcher: ${what}`,
    async () => {
      const status = await watcher.query(watcherStatusQuery).catch(() => undefined);
      return status && predicate(status) ? status : undefined;
    },
    90_000,
  );

const hasEvent = (status: WatcherStatus, version: number, what: string) =>
  status.events.some((e) => e.version === version && e.what === what);

/** How many runs each rollout of this scenario's versions has (any state), from the server's visibility. */
async function rolloutRuns(run: ChaosRun): Promise<Record<number, number>> {
  const runs: Record<number, number> = {};
  for await (const execution of run.client.workflow.list({ query: `RolloutModel = '${MODEL}'` })) {
    const version = versionOfRolloutId(execution.workflowId);
    if (execution.workflowId !== rolloutWorkflowId(MODEL, version) || version <= FIRST_VERSION) continue;
    runs[version] = (runs[version] ?? 0) + 1;
  }
  return runs;
}

export const watcherRestartScenario: Scenario = {
  name: 'watcher: worker and Temporal dev server SIGKILLed mid-watch, a version registered meanwhile',
  seed: 123,
  fast: true,
  world: (base) => ({
    ...base,
    models: (base.models ?? []).map((model) => ({
      ...model,
      versions: [...(model.versions ?? []), { version: FIRST_VERSION, behavior: 'champion' }],
    })),
  }),
  async run(run) {
    const plan = run.plan({
      watch: { poll: '200ms' },
      stages: [
        { name: 'canary', traffic: 10, bake: '3s' },
        { name: 'half', traffic: 50, bake: '500ms' },
      ],
    });
    const { handle: watcher } = await startWatcher(run.client, {
      plan,
      edgeCases: [],
      planName: 'chaos',
      triggeredBy: 'chaos',
    });
    await watcherUntil(watcher, 'its baseline', (s) => s.events.some((e) => e.what === 'baseline'));
    const beforeA = await run.configs();
    const a = await run.register('candidate-good');
    expect(a).toBe(FIRST_VERSION + 1);
    await watcherUntil(watcher, `v${a} started`, (s) => s.started.some((x) => x.version === a));
    const rolloutA = run.client.workflow.getHandle(rolloutWorkflowId(MODEL, a));
    await run.waitForPhase(rolloutA, 'baking');
    // Hold on the next version (newer ones wait), pause (nothing starts): state the restart must not lose.
    await watcher.executeUpdate(holdUpdate, { args: [{ ...operator, version: a + 1, reason: 'one more at most' }] });
    await watcher.executeUpdate(watcherPauseUpdate, { args: [{ ...operator, reason: 'incident review' }] });
    const beforeKill = await watcher.query(watcherStatusQuery);

    await run.worker.kill('SIGKILL');
    await run.server.stop('SIGKILL');
    const b = await run.register('candidate-good');
    await sleep(1000);
    await run.server.run();
    await run.worker.start();
    run.notes.push(`worker and server SIGKILLed while v${a} baked; v${b} registered while they were down`);

    const paused = await watcherUntil(watcher, `v${b} seen, paused`, (s) => hasEvent(s, b, 'paused'));
    expect(paused.state).toBe('paused');
    expect(paused.paused).toMatchObject({ ...operator, reason: 'incident review' });
    expect(paused.hold).toMatchObject({ ...operator, version: b, reason: 'one more at most' });
    expect(paused.started).toEqual(beforeKill.started);
    expect(paused.started).toEqual([expect.objectContaining({ version: a, started: true })]);
    expect(paused.events).toEqual(expect.arrayContaining(beforeKill.events));
    expect(paused.polls).toBeGreaterThan(beforeKill.polls);

    const reportA = await run.result(rolloutA);
    expect(reportA.outcome).toBe('succeeded');
    expect((await run.check({ handle: rolloutA, plan, version: a, before: beforeA })).problems).toEqual([]);
    expect(await rolloutRuns(run)).toEqual({ [a]: 1 });

    const beforeB = await run.configs();
    await watcher.executeUpdate(watcherResumeUpdate, { args: [{ ...operator, reason: 'review done' }] });
    await watcherUntil(watcher, `v${b} started`, (s) => s.started.some((x) => x.version === b));
    const rolloutB = run.client.workflow.getHandle(rolloutWorkflowId(MODEL, b));
    // A version newer than the hold is seen and held, not started.
    const c = await run.register('candidate-good');
    await watcherUntil(watcher, `v${c} held`, (s) => hasEvent(s, c, 'held'));
    const reportB = await run.result(rolloutB);
    expect(reportB.outcome).toBe('succeeded');
    expect((await run.check({ handle: rolloutB, plan, version: b, before: beforeB })).problems).toEqual([]);

    const from = (await watcher.query(watcherStatusQuery)).polls;
    const end = await watcherUntil(watcher, 'five more polls', (s) => s.polls >= from + 5);
    expect(end.started.map((s) => [s.version, s.started])).toEqual([
      [a, true],
      [b, true],
    ]);
    expect(end.events.filter((e) => e.what === 'started').map((e) => e.version)).toEqual([b, a]);
    expect(await rolloutRuns(run)).toEqual({ [a]: 1, [b]: 1 });
    expect((await watcher.describe()).status.name).toBe('RUNNING');

    // On every endpoint: v(a)'s updates, then v(b)'s, each in plan order and none applied twice.
    const endpoints = await readEndpoints(run.primaryUrl, ENDPOINT);
    for (const region of run.emu.regions) {
      const targetA = targetConfig(plan, region, a, beforeA[region]);
      const problems = checkNoInterleaving(
        endpoints[region].log,
        { name: rolloutA.workflowId, planned: plannedConfigs(plan, region, a, beforeA[region]) },
        { name: rolloutB.workflowId, planned: plannedConfigs(plan, region, b, targetA) },
      );
      expect({ region, problems }).toEqual({ region, problems: [] });
    }
    return `v${a}, v${b} started once each, succeeded; pause, hold kept; v${c} held`;
  },
};
