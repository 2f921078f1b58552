/**
 * The fault suite's scenarios (issue 6). Each one is seeded (the emulator's world seed: replication delays, update
 * times, routing, fault sampling), runs a real rollout on a real dev server with the worker in its own process,
 * injects its fault, and ends with the invariant checker and the per-endpoint update-log check. `fast` ones also run
 * inside `npm test`; all of them run with `npm run test:chaos`.
 */
import type { WorkflowHandle } from '@temporalio/client';
import {
  approveUpdate,
  endpointLeaseQuery,
  endpointLeaseWorkflowId,
  regionCommandSignal,
  regionStatusSignal,
  regionWorkflowId,
  rejectUpdate,
  releaseLeaseSignal,
  retryRollbackUpdate,
  regionStatusQuery,
  rolloutStatusQuery,
} from '../../src/shared/messages';
import type { EndpointConfig, RolloutReport } from '../../src/shared/types';
import type { Plan } from '../../src/plan/schema';
import { modelNameInRegion } from '../../src/plan/resolve';
import { checkNoInterleaving, checkUpdateLog, plannedConfigs, readEndpoints, targetConfig } from '../support/invariant';
import { SCORER, servedLines, withSharedEndpoints } from '../support/shared-endpoints';
import { ENDPOINT } from '../support/temporal';
import { sleep, type ChaosRun, type Scenario } from './harness';
import { watcherRestartScenario } from './watcher-scenario';
import { describeConfig, sameConfig } from '../../src/shared/endpoint-config';

type Started = { handle: WorkflowHandle; plan: Plan; version: number; before: Record<string, EndpointConfig> };

/** Slower deploys and replication, so a kill lands inside them; and `steady`, a candidate that never errs. */
const slowWorld =
  (replication = '2s', update = '2s') =>
  (base: Parameters<NonNullable<Scenario['world']>>[0]) => ({
    ...base,
    defaults: { ...base.defaults, replication_delay: replication, config_update_duration: update },
    behaviors: {
      ...base.behaviors,
      steady: { latency: '15ms', error_rate: 0, prediction: { formula: 'round(sigmoid(0.0041 * amount - 2), 4)' } },
    },
  });

/**
 * Every region's update log follows the rollout's plan in order: nothing re-applied, nothing stale, and on a shared
 * endpoint no other model's served entity or traffic touched.
 */
async function checkLogs(run: ChaosRun, started: Started, report: RolloutReport) {
  const endpoints = await readEndpoints(run.primaryUrl, ENDPOINT);
  const problems: string[] = [];
  for (const region of report.regions) {
    const pre = region.rollbackPoint ?? started.before[region.region];
    const log = endpoints[region.region].log.filter((u) => u.requested_by === 'rollout-bot');
    const others = { pre, model: modelNameInRegion(started.plan, region.region) };
    problems.push(
      ...checkUpdateLog(log, plannedConfigs(started.plan, region.region, started.version, pre), others).map(
        (p) => `${region.region}: ${p}`,
      ),
    );
  }
  return problems;
}

/** Two models on one endpoint in every region: fraud_detector v1 at `detector`%, fraud_scorer v1 at the rest. */
const sharedEndpoints =
  (detector = 70): NonNullable<Scenario['world']> =>
  (base) =>
    withSharedEndpoints(base, detector);

/** What each region's endpoint serves now, as "name@version:percent", sorted. */
async function servedNow(run: ChaosRun): Promise<Record<string, string[]>> {
  const endpoints = await readEndpoints(run.primaryUrl, ENDPOINT);
  return Object.fromEntries(Object.entries(endpoints).map(([region, e]) => [region, servedLines(e.config)]));
}

/** Waits for the end, then checks the invariant and the update logs; returns the outcome for the table. */
async function finish(run: ChaosRun, started: Started, expected: string | string[]): Promise<RolloutReport> {
  const report = await run.result(started.handle);
  const invariant = await run.check(started);
  expect(invariant.problems).toEqual([]);
  expect(await checkLogs(run, started, report)).toEqual([]);
  expect([expected].flat()).toContain(report.outcome);
  return report;
}

/** SIGKILL the worker once a region reaches `phase`, restart it, and require the expected end. */
function killAt(
  phase: string,
  options: {
    seed: number;
    fast?: boolean;
    plan?: (run: ChaosRun) => Plan;
    /** Runs once the rollout has started, before waiting for the kill point. */
    during?: (run: ChaosRun, handle: WorkflowHandle) => Promise<void>;
    expected?: string | string[];
    world?: Scenario['world'];
    /** The version's behavior: `steady` (no errors) where a check would otherwise fail by chance. */
    behavior?: string;
    name?: string;
    /** Waits this long after the phase is seen, so the phase's activity is running (not just scheduled). */
    afterMs?: number;
  },
): Scenario {
  return {
    name: options.name ?? `worker SIGKILL in ${phase}`,
    seed: options.seed,
    fast: options.fast ?? false,
    world: options.world ?? slowWorld(),
    async run(run) {
      const version = await run.register(options.behavior ?? 'candidate-good');
      const started = await run.start(options.plan?.(run) ?? run.plan(), version);
      await options.during?.(run, started.handle);
      await run.waitForPhase(started.handle, phase);
      if (options.afterMs) await sleep(options.afterMs);
      await run.worker.crashAndRestart();
      run.notes.push(`killed in ${phase}`);
      const report = await finish(run, started, options.expected ?? 'succeeded');
      return report.outcome;
    },
  };
}

/** Stops the Temporal dev server mid-bake for 3 s and starts it again on the same database file and port. */
function serverRestart(signal: 'SIGKILL' | 'SIGTERM', seed: number): Scenario {
  return {
    name: `Temporal dev server ${signal === 'SIGKILL' ? 'SIGKILLed' : 'stopped (SIGTERM)'} and restarted (same database)`,
    seed,
    fast: false,
    world: slowWorld('1s', '1500ms'),
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(
        run.plan({
          stages: [
            { name: 'canary', traffic: 10, bake: '4s' },
            { name: 'half', traffic: 50, bake: '1s' },
          ],
        }),
        version,
      );
      await run.waitForPhase(started.handle, 'baking');
      await run.server.stop(signal);
      await sleep(3000);
      await run.server.run();
      run.notes.push(`server ${signal} for 3 s during a bake`);
      return (await finish(run, started, 'succeeded')).outcome;
    },
  };
}

/** What someone else's hand-made change looks like: the champion alone, scaled up to Medium. */
async function changeBySomeoneElse(run: ChaosRun, region: string) {
  const model = region === run.emu.world.primary ? 'main.ml.fraud_detector' : 'ml_shared.ml.fraud_detector';
  const res = await fetch(`${run.emu.url(region)}/api/2.0/serving-endpoints/${ENDPOINT}/config`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer dapi-someone-else-0001', 'Content-Type': 'application/json' },
    body: JSON.stringify({
      served_entities: [
        { entity_name: model, entity_version: '1', workload_size: 'Medium', scale_to_zero_enabled: false },
      ],
    }),
  });
  expect(res.status).toBe(200);
}

const withSomeoneElse: Scenario['world'] = (base) => ({
  ...base,
  principals: [...(base.principals ?? []), { name: 'someone-else', token: 'dapi-someone-else-0001' }],
});

export const SCENARIOS: Scenario[] = [
  killAt('baking', {
    seed: 101,
    fast: true,
    name: 'worker SIGKILL in baking (one region: no activity in flight)',
    plan: (run) => {
      const plan = run.plan({
        stages: [
          { name: 'canary', traffic: 10, bake: '3s' },
          { name: 'half', traffic: 50, bake: '1s' },
        ],
      });
      return { ...plan, regions: plan.regions.slice(0, 1) };
    },
  }),
  killAt('baking', {
    seed: 108,
    plan: (run) =>
      run.plan({
        stages: [
          { name: 'canary', traffic: 10, bake: '3s' },
          { name: 'half', traffic: 50, bake: '1s' },
        ],
      }),
  }),
  killAt('waiting-for-replication', { seed: 102, world: slowWorld('5s', '1s'), afterMs: 1500 }),
  killAt('updating', { seed: 103, world: slowWorld('500ms', '4s') }),
  killAt('testing', {
    seed: 104,
    behavior: 'steady',
    plan: (run) => run.plan({ tests: { health: { queries: 150, input: { amount: 120 } } } }),
  }),
  killAt('gating', {
    seed: 105,
    name: 'worker SIGKILL in gating (load test)',
    behavior: 'steady',
    plan: (run) =>
      run.plan({
        tests: {
          health: { queries: 1, input: { amount: 120 } },
          load: { rps: 20, duration: '8s', slo: { p99: '2s', error_rate: 0.5 } },
        },
        stages: [{ name: 'canary', traffic: 10, bake: '500ms', gate: ['load'] }],
      }),
  }),
  killAt('promoting', { seed: 106, world: slowWorld('500ms', '4s') }),
  killAt('rolling-back', {
    seed: 107,
    world: slowWorld('500ms', '4s'),
    // eu-west-1's promotion fails (UPDATE_FAILED): it restores its rollback point while the worker is killed.
    during: async (run, handle) => {
      await run.waitFor(
        handle,
        'eu-west-1 baking',
        (s) => s.regions.find((r) => r.region === 'eu-west-1')?.phase === 'baking',
      );
      await run.fault('eu-west-1', { kind: 'fail_config_updates', count: 1 });
    },
    plan: (run) => run.plan({ stages: [{ name: 'canary', traffic: 10, bake: '3s' }] }),
    expected: 'partially-failed',
  }),
  serverRestart('SIGKILL', 110),
  serverRestart('SIGTERM', 109),
  {
    name: '429 storm with Retry-After, then a 5xx burst',
    seed: 111,
    fast: true,
    async run(run) {
      await run.fault('eu-west-1', {
        kind: 'storm',
        status: 429,
        scope: 'management',
        count: 4,
        retry_after_seconds: 1,
      });
      await run.fault('ap-southeast-1', { kind: 'storm', status: 503, scope: 'management', count: 3 });
      await run.fault('us-east-1', { kind: 'storm', status: 500, scope: 'all', count: 3, probability: 0.5 });
      const version = await run.register('candidate-good');
      const started = await run.start(run.plan(), version);
      return (await finish(run, started, 'succeeded')).outcome;
    },
  },
  {
    name: 'hung connections (heartbeat timeout fires, the activity retries)',
    seed: 112,
    fast: false,
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(
        run.plan({
          stages: [
            { name: 'canary', traffic: 10, bake: '2s' },
            { name: 'half', traffic: 50, bake: '500ms' },
          ],
        }),
        version,
      );
      await run.waitFor(
        started.handle,
        'ap-southeast-1 baking',
        (s) => s.regions.find((r) => r.region === 'ap-southeast-1')?.phase === 'baking',
      );
      // The next management calls in ap-southeast-1 (the stage shift) never get an answer.
      await run.fault('ap-southeast-1', { kind: 'hang_connections', scope: 'management', count: 2 });
      return (await finish(run, started, 'succeeded')).outcome;
    },
  },
  {
    name: 'stalled replication, released after a while',
    seed: 113,
    fast: false,
    async run(run) {
      const stall = await run.fault('ap-southeast-1', { kind: 'stall_replication' });
      const version = await run.register('candidate-good');
      const started = await run.start(run.plan(), version);
      await run.waitFor(started.handle, 'the other regions past replication', (s) =>
        s.regions
          .filter((r) => r.region !== 'ap-southeast-1')
          .every((r) => r.phase !== 'waiting-for-replication' && r.phase !== 'pending'),
      );
      await sleep(3000);
      await run.clearFault('ap-southeast-1', stall);
      return (await finish(run, started, 'succeeded')).outcome;
    },
  },
  {
    name: 'UPDATE_FAILED in one region (rollback-region)',
    seed: 114,
    fast: false,
    async run(run) {
      await run.fault('eu-west-1', { kind: 'fail_config_updates', count: 1 });
      const version = await run.register('candidate-good');
      const started = await run.start(run.plan({ failure_policy: 'rollback-region' }), version);
      const report = await finish(run, started, 'partially-failed');
      expect(report.regions.find((r) => r.region === 'eu-west-1')!.error).toMatch(/UPDATE_FAILED/);
      return report.outcome;
    },
  },
  {
    name: 'one region unreachable for 8 s',
    seed: 115,
    fast: false,
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(run.plan(), version);
      await run.waitFor(started.handle, 'eu-west-1 updating', (s) =>
        ['updating', 'testing', 'baking'].includes(s.regions.find((r) => r.region === 'eu-west-1')!.phase),
      );
      await run.fault('eu-west-1', { kind: 'drop_connections', scope: 'all', duration: '8s', probability: 1 });
      return (await finish(run, started, 'succeeded')).outcome;
    },
  },
  {
    name: 'endpoint changed by someone else mid-rollout (detected, not overwritten)',
    seed: 116,
    fast: true,
    world: withSomeoneElse,
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(
        run.plan({
          stages: [
            { name: 'canary', traffic: 10, bake: '3s' },
            { name: 'half', traffic: 50, bake: '500ms' },
          ],
        }),
        version,
      );
      await run.waitFor(
        started.handle,
        'eu-west-1 baking',
        (s) => s.regions.find((r) => r.region === 'eu-west-1')?.phase === 'baking',
      );
      // An operator scales the endpoint up by hand: a config the rollout did not set.
      await changeBySomeoneElse(run, 'eu-west-1');
      const waiting = await run.waitFor(
        started.handle,
        'eu-west-1 held for an operator, the other regions promoted',
        (s) => s.regions.every((r) => r.phase === (r.region === 'eu-west-1' ? 'rollback-failed' : 'promoted')),
      );
      expect(waiting.regions.find((r) => r.region === 'eu-west-1')!.error).toMatch(/someone else changed it/);
      // Invariant in the operator-wait state: the reason is stated, the other regions are whole.
      const held = await run.check(started);
      expect(held.problems).toEqual([]);
      expect(held.state).toMatch(/^waiting: eu-west-1 rollback-failed: rollback held/);
      // Nothing of the rollout's reached the endpoint after their change.
      const log = (await readEndpoints(run.primaryUrl, ENDPOINT))['eu-west-1'].log;
      const theirIndex = log.findIndex((u) => u.requested_by === 'someone-else');
      expect(theirIndex).toBeGreaterThan(0);
      expect(log.slice(theirIndex + 1)).toEqual([]);
      run.notes.push('held in rollback-failed until retryRollback');
      await started.handle.executeUpdate(retryRollbackUpdate, {
        args: [{ by: 'chaos-operator', reason: 'restore the recorded config', region: 'eu-west-1' }],
      });
      const report = await run.result(started.handle);
      const invariant = await run.check(started);
      expect(invariant.problems).toEqual([]);
      expect(report.outcome).toBe('partially-failed');
      expect(report.regions.find((r) => r.region === 'eu-west-1')!.outcome).toBe('rolled-back');
      return `${report.outcome} (eu-west-1 held, then restored on retryRollback)`;
    },
  },
  {
    // Issue 11: on main, the second rollout's promotion removed the first model's version from the shared endpoint.
    name: 'two rollouts (different models) on the same endpoints never interleave, and each keeps the other model',
    seed: 117,
    fast: true,
    world: sharedEndpoints(70),
    async run(run) {
      const detector = await run.register('candidate-good');
      const scorer = await run.register('candidate-good', SCORER);
      const stages = [
        { name: 'canary', traffic: 10, bake: '2s' },
        { name: 'half', traffic: 50, bake: '500ms' },
      ];
      const a = await run.start(run.plan({ stages }), detector);
      // Every region of the first rollout holds its endpoint before the second starts: the order is known.
      const early = ['pending', 'waiting-for-replication', 'waiting-for-endpoint', 'recording-rollback-point'];
      await run.waitFor(a.handle, 'every region of the first rollout past its rollback point', (s) =>
        s.regions.every((r) => !early.includes(r.phase)),
      );
      const planB = run.plan({ stages }, SCORER);
      const b = await run.start(planB, scorer);
      const [reportA, reportB] = await Promise.all([run.result(a.handle), run.result(b.handle)]);
      expect([reportA.outcome, reportB.outcome]).toEqual(['succeeded', 'succeeded']);
      // The later rollout waited for the endpoint at least once: the lease was exercised, not just unneeded.
      expect(reportB.regions.some((r) => r.timeline.some((t) => t.phase === 'waiting-for-endpoint'))).toBe(true);
      const invariant = await run.check(b);
      expect(invariant.problems).toEqual([]);
      const endpoints = await readEndpoints(run.primaryUrl, ENDPOINT);
      for (const region of run.emu.regions) {
        const preA = a.before[region];
        const targetA = targetConfig(a.plan, region, detector, preA);
        const problems = checkNoInterleaving(
          endpoints[region].log,
          {
            name: a.handle.workflowId,
            planned: plannedConfigs(a.plan, region, detector, preA),
            others: { pre: preA, model: modelNameInRegion(a.plan, region) },
          },
          {
            name: b.handle.workflowId,
            planned: plannedConfigs(planB, region, scorer, targetA),
            others: { pre: targetA, model: modelNameInRegion(planB, region) },
          },
        );
        expect({ region, problems }).toEqual({ region, problems: [] });
        // A's block ends with its promotion, which kept the scorer: the endpoint served A's target before B touched it.
        expect(describeConfig(reportB.regions.find((r) => r.region === region)!.rollbackPoint!)).toBe(
          describeConfig(targetA),
        );
        expect(sameConfig(reportB.regions.find((r) => r.region === region)!.rollbackPoint!, targetA)).toBe(true);
      }
      // Each model's new version serves at its model's share: the detector's 70%, the scorer's 30%.
      const expected = [`fraud_detector-${detector}@${detector}:70`, `fraud_scorer-${scorer}@${scorer}:30`];
      expect(await servedNow(run)).toEqual(Object.fromEntries(run.emu.regions.map((r) => [r, expected])));
      return `both succeeded, updates in two blocks, both models kept at 70/30`;
    },
  },
  {
    name: 'shared endpoint: UPDATE_FAILED in one region and a worker SIGKILL in promoting keep the other model',
    seed: 119,
    fast: false,
    world: (base) => sharedEndpoints(70)(slowWorld('500ms', '3s')(base)),
    async run(run) {
      const scorer = await run.register('candidate-good', SCORER);
      const started = await run.start(
        run.plan({ stages: [{ name: 'canary', traffic: 10, bake: '3s' }] }, SCORER),
        scorer,
      );
      // eu-west-1's promotion fails (UPDATE_FAILED): it restores the shared config; meanwhile the worker dies.
      await run.waitFor(
        started.handle,
        'eu-west-1 baking',
        (s) => s.regions.find((r) => r.region === 'eu-west-1')?.phase === 'baking',
      );
      await run.fault('eu-west-1', { kind: 'fail_config_updates', count: 1 });
      await run.waitForPhase(started.handle, 'promoting');
      await sleep(500);
      await run.worker.crashAndRestart();
      run.notes.push('killed in promoting');
      await finish(run, started, 'partially-failed');
      const promoted = ['fraud_detector-1@1:70', `fraud_scorer-${scorer}@${scorer}:30`];
      expect(await servedNow(run)).toEqual({
        'us-east-1': promoted,
        'eu-west-1': ['fraud_detector-1@1:70', 'fraud_scorer-1@1:30'],
        'ap-southeast-1': promoted,
      });
      return 'partially-failed (eu-west-1 restored), the detector at 70% everywhere';
    },
  },
  {
    // Issue 11, item 1: on main both waited for each other in waiting-for-other-rollout until aborted.
    name: 'two versions of one model started together under queue, worker SIGKILL while the first bakes',
    seed: 120,
    fast: false,
    async run(run) {
      const [v1, v2] = [await run.register('candidate-good'), await run.register('candidate-good')];
      const plan = run.plan({ on_concurrent_rollout: 'queue' });
      const before = await run.configs();
      const [a, b] = await Promise.all([run.start(plan, v1), run.start(plan, v2)]);
      const first = await Promise.race([a, b].map((r) => run.waitForPhase(r.handle, 'baking').then(() => r)));
      const second = first === a ? b : a;
      expect((await second.handle.query(rolloutStatusQuery)).phase).toBe('waiting-for-other-rollout');
      await run.worker.crashAndRestart();
      run.notes.push('killed while the first baked');
      const [reportFirst, reportSecond] = [await run.result(first.handle), await run.result(second.handle)];
      expect([reportFirst.outcome, reportSecond.outcome]).toEqual(['succeeded', 'succeeded']);
      expect((await run.check(second)).problems).toEqual([]);
      const endpoints = await readEndpoints(run.primaryUrl, ENDPOINT);
      for (const region of run.emu.regions) {
        const targetFirst = targetConfig(plan, region, first.version, before[region]);
        const problems = checkNoInterleaving(
          endpoints[region].log,
          { name: first.handle.workflowId, planned: plannedConfigs(plan, region, first.version, before[region]) },
          { name: second.handle.workflowId, planned: plannedConfigs(plan, region, second.version, targetFirst) },
        );
        expect({ region, problems }).toEqual({ region, problems: [] });
      }
      return `both succeeded, v${first.version} then v${second.version}, updates in two blocks`;
    },
  },
  {
    // Issue 11, item 2: on main a rejecter could be told "rejected" while the region was promoted.
    name: 'approve and reject of every region sent at once while the worker is down, then restarted',
    seed: 121,
    fast: false,
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(
        run.plan({ stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }] }),
        version,
      );
      await run.waitFor(started.handle, 'every region awaiting approval', (s) =>
        s.regions.every((r) => r.phase === 'awaiting-approval'),
      );
      await run.worker.kill();
      const decide = (update: typeof approveUpdate, by: string, region: string) =>
        started.handle
          .executeUpdate(update, { args: [{ approver: by, reason: 'chaos', region, stage: 'canary' }] })
          .then(() => 'took effect' as const)
          .catch((err: Error & { cause?: { type?: string } }) => err.cause?.type ?? err.message);
      const answers = Promise.all(
        run.emu.regions.map((region) =>
          Promise.all([decide(approveUpdate, 'alice', region), decide(rejectUpdate, 'carol', region)]),
        ),
      );
      await sleep(1000);
      await run.worker.start();
      run.notes.push('decisions sent while the worker was down');
      const pairs = await answers;
      const report = await finish(run, started, ['succeeded', 'partially-failed', 'rolled-back']);
      run.emu.regions.forEach((region, i) => {
        const [approve, reject] = pairs[i];
        expect([approve, reject].filter((a) => a === 'took effect')).toHaveLength(1);
        expect([approve, reject]).toContain('AlreadyDecided');
        const outcome = report.regions.find((r) => r.region === region)!;
        expect(outcome.phase).toBe(approve === 'took effect' ? 'promoted' : 'rolled-back');
        expect(outcome.approvals).toHaveLength(1);
      });
      return `${report.outcome}: each region did the one decision that took effect`;
    },
  },
  {
    // Issue 11, item 4: on main a forged release let another rollout interleave, a forged status showed a lie.
    name: 'forged lease releases, region commands and region statuses mid-rollout, with a worker SIGKILL',
    seed: 122,
    fast: false,
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(
        run.plan({
          stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }],
          approvals: { allowed: ['alice'] },
        }),
        version,
      );
      const awaiting = await run.waitFor(started.handle, 'every region awaiting approval', (s) =>
        s.regions.every((r) => r.phase === 'awaiting-approval'),
      );
      for (const region of awaiting.regions) {
        await run.client.workflow
          .getHandle(endpointLeaseWorkflowId(region.region, ENDPOINT))
          .signal(releaseLeaseSignal);
        await run.client.workflow
          .getHandle(regionWorkflowId(started.handle.workflowId, region.region))
          .signal(regionCommandSignal, { type: 'approve', request: { approver: 'mallory' } });
        await started.handle.signal(regionStatusSignal, {
          ...region,
          phase: 'promoted',
          revision: Number.MAX_SAFE_INTEGER,
        });
      }
      await run.worker.crashAndRestart();
      run.notes.push('killed after the forgeries');
      await run.waitFor(started.handle, 'the forged statuses refused, every region still awaiting approval', (s) =>
        Boolean(
          s.refusedMessages?.count === awaiting.regions.length &&
          s.regions.every((r) => r.phase === 'awaiting-approval'),
        ),
      );
      // Each region refused its forged command (recorded in its own status).
      for (const region of awaiting.regions) {
        const own = await run.client.workflow
          .getHandle(regionWorkflowId(started.handle.workflowId, region.region))
          .query(regionStatusQuery);
        expect([region.region, own.refusedMessages?.count, own.approvals]).toEqual([region.region, 1, []]);
        const lease = run.client.workflow.getHandle(endpointLeaseWorkflowId(region.region, ENDPOINT));
        expect((await lease.query(endpointLeaseQuery)).refusedMessages?.count).toBe(1);
        expect((await lease.describe()).status.name).toBe('RUNNING');
      }
      await started.handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: 'reviewed' }] });
      const report = await finish(run, started, 'succeeded');
      expect(report.regions.every((r) => r.approvals.map((a) => a.by).join() === 'alice')).toBe(true);
      return 'succeeded: every forgery refused and recorded, only alice approved';
    },
  },
  {
    name: 'rollback-all restore of a promoted region held after someone else changed it',
    seed: 118,
    fast: false,
    world: withSomeoneElse,
    async run(run) {
      const version = await run.register('candidate-good');
      const started = await run.start(
        run.plan({
          failure_policy: 'rollback-all',
          waves: [
            { name: 'pilot', regions: ['us-east-1'] },
            { name: 'rest', regions: ['eu-west-1', 'ap-southeast-1'] },
          ],
          stages: [
            { name: 'canary', traffic: 10, bake: '2s' },
            { name: 'half', traffic: 50, bake: '500ms' },
          ],
        }),
        version,
      );
      await run.waitFor(
        started.handle,
        'the pilot promoted and ap-southeast-1 baking',
        (s) =>
          s.regions.find((r) => r.region === 'us-east-1')?.phase === 'promoted' &&
          s.regions.find((r) => r.region === 'ap-southeast-1')?.phase === 'baking',
      );
      // Someone changes the promoted pilot; then ap-southeast-1's next update fails, and rollback-all restores all.
      await changeBySomeoneElse(run, 'us-east-1');
      await run.fault('ap-southeast-1', { kind: 'fail_config_updates', count: 1 });
      const waiting = await run.waitFor(
        started.handle,
        'us-east-1 held for an operator',
        (s) =>
          s.regions.find((r) => r.region === 'us-east-1')?.phase === 'rollback-failed' &&
          s.regions.every((r) => r.region === 'us-east-1' || r.phase === 'rolled-back'),
      );
      expect(waiting.regions.find((r) => r.region === 'us-east-1')!.error).toMatch(/rollback held: .*someone else/);
      const held = await run.check(started);
      expect(held.problems).toEqual([]);
      await started.handle.executeUpdate(retryRollbackUpdate, {
        args: [{ by: 'chaos-operator', reason: 'restore it anyway', region: 'us-east-1' }],
      });
      const report = await run.result(started.handle);
      const invariant = await run.check(started);
      expect(invariant.problems).toEqual([]);
      expect(report.outcome).toBe('rolled-back');
      return `${report.outcome} (us-east-1 held, then restored on retryRollback)`;
    },
  },
  watcherRestartScenario,
];
