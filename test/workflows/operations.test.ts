/**
 * What operators do to a running rollout on a real dev server: approve, reject, let an approval time out, abort
 * during a bake, trigger the same rollout twice, and restart the worker mid-rollout.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  abortUpdate,
  approveUpdate,
  regionStatusQuery,
  regionStatusSignal,
  regionWorkflowId,
  rejectUpdate,
  retryRollbackUpdate,
  rolloutStatusQuery,
  skipBakeUpdate,
} from '../../src/shared/messages';
import type { RegionPhase, RegionStatus } from '../../src/shared/types';
import { Rig, useRig, until } from '../support/temporal';
import { checkedRollouts } from '../support/invariant';
import { rolloutReport } from '../../src/rollouts';
import { keepExpectedLogs, type ExpectedLogs } from '../support/logs';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const ORIGINAL = ['fraud_detector-1@1:100'];

async function startWithApproval(approval = '20s', bake = '0ms') {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    stages: [{ name: 'canary', traffic: 20, bake, approval: true }],
    timeouts: { replication: '10s', config_update: '10s', approval },
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  return { handle, version };
}

const allIn =
  (phase: RegionPhase, count = 2) =>
  async (handle: { query: (q: typeof rolloutStatusQuery) => Promise<any> }) => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions.filter((r: any) => r.phase === phase).length === count ? status : undefined;
  };

// A rollback that cannot complete is logged at ERROR by the region: the tests that cause one assert the log.
let rollbackErrors: ExpectedLogs;
beforeEach(() => {
  rollbackErrors = keepExpectedLogs('ERROR', 'rollback failed');
});
afterEach(() => rollbackErrors.restore());

it('waits for approval, refuses approvals when nothing awaits them, and records who approved', async () => {
  const { handle, version } = await startWithApproval();
  const early = handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice' }] });
  await expect(early).rejects.toThrow(WorkflowUpdateFailedError);
  await expect(early).rejects.toMatchObject({ cause: { message: expect.stringMatching(/nothing awaits approval/) } });
  await until('both regions awaiting approval', () => allIn('awaiting-approval')(handle));
  await expect(handle.executeUpdate(approveUpdate, { args: [{ approver: '  ' }] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/identity is required/) },
  });
  // Approve one region at the parent, the other directly at its child (as `temporal workflow update` would).
  const answer = await handle.executeUpdate(approveUpdate, {
    args: [{ approver: 'alice', reason: 'metrics look fine', region: 'us-east-1' }],
  });
  expect(answer).toEqual({ decision: 'approved', regions: [{ region: 'us-east-1', stage: 'canary' }] });
  const child = rig.client.workflow.getHandle(regionWorkflowId(handle.workflowId, 'eu-west-1'));
  await child.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => r.approvals.map((a) => [a.decision, a.by, a.reason]))).toEqual([
    [['approved', 'alice', 'metrics look fine']],
    [['approved', 'bob', undefined]],
  ]);
  const serving = await rig.serving();
  expect(serving['eu-west-1']).toEqual([`fraud_detector-${version}@${version}:100`]);
});

it('rolls back a rejected region and keeps the rest going', async () => {
  const { handle, version } = await startWithApproval();
  await until('both regions awaiting approval', () => allIn('awaiting-approval')(handle));
  await handle.executeUpdate(rejectUpdate, {
    args: [{ approver: 'carol', reason: 'latency up', region: 'eu-west-1' }],
  });
  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol' }] });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('partially-failed');
  const eu = report.regions.find((r) => r.region === 'eu-west-1')!;
  expect([eu.outcome, eu.error]).toEqual(['rolled-back', 'stage canary rejected by carol: latency up']);
  expect(await rig.serving()).toMatchObject({
    'eu-west-1': ORIGINAL,
    'us-east-1': [`fraud_detector-${version}@${version}:100`],
  });
});

it('rolls back when nobody approves in time', async () => {
  const { handle } = await startWithApproval('1s');
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  for (const region of report.regions) {
    expect(region.approvals).toEqual([expect.objectContaining({ decision: 'timed-out', stage: 'canary' })]);
    expect(region.error).toMatch(/no approval for stage canary/);
  }
  expect(await rig.serving()).toMatchObject({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL });
});

it('restores every touched region when aborted during a bake', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ stages: [{ name: 'canary', traffic: 25, bake: '5m' }] });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const baking = await until('every region baking', () => allIn('baking', 3)(handle));
  expect((await rig.serving())['eu-west-1']).toEqual([
    `fraud_detector-1@1:75`,
    `fraud_detector-${version}@${version}:25`,
  ]);
  // Regions do not await their progress signals: one that arrives late (an older revision) must not set the
  // region's phase back; nor may a signal about a region the rollout does not have break it.
  const eu = baking.regions.find((r: RegionStatus) => r.region === 'eu-west-1') as RegionStatus;
  expect(eu.revision).toBeGreaterThan(1);
  await handle.signal(regionStatusSignal, { ...eu, phase: 'waiting-for-replication', revision: 1 });
  await handle.signal(regionStatusSignal, { ...eu, region: 'mars-north-1', revision: 99 });
  expect(await allIn('baking', 3)(handle)).toBeDefined();
  const answer = await handle.executeUpdate(abortUpdate, { args: [{ by: 'dave', reason: 'incident INC-42' }] });
  expect(answer).toMatch(/aborting/);
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('aborted');
  expect(report.error).toBe('aborted by dave: incident INC-42');
  expect(report.regions.map((r) => r.phase)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL, 'ap-southeast-1': ORIGINAL });
});

it('attaches a second trigger of the same rollout to the running one, and skips a bake on request', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 1),
    stages: [{ name: 'canary', traffic: 10, bake: '10m' }],
  });
  const first = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'ci run 1' });
  const second = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'ci run 2' });
  expect([first.started, second.started]).toEqual([true, false]);
  expect(second.handle.firstExecutionRunId).toBe(first.handle.firstExecutionRunId);
  await until('baking', () => allIn('baking', 1)(first.handle));
  await expect(
    first.handle.executeUpdate(skipBakeUpdate, { args: [{ by: 'erin', region: 'eu-west-1' }] }),
  ).rejects.toThrow();
  expect(await first.handle.executeUpdate(skipBakeUpdate, { args: [{ by: 'erin' }] })).toMatch(/us-east-1 \(canary\)/);
  expect((await rolloutReport(second.handle)).outcome).toBe('succeeded');
  await invariantHolds();
});

it('completes a rollout when the worker is stopped and restarted mid-rollout', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ stages: [{ name: 'canary', traffic: 10, bake: '2s' }] });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until('a region baking', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions.some((r) => r.phase === 'baking') ? true : undefined;
  });
  await rig.stopWorkers();
  await new Promise((r) => setTimeout(r, 2500)); // the bakes' timers fire while no worker runs
  await rig.startWorkers();
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('succeeded');
  const child = rig.client.workflow.getHandle(regionWorkflowId(handle.workflowId, 'ap-southeast-1'));
  expect((await child.query(regionStatusQuery)).phase).toBe('promoted');
  const serving = await rig.serving();
  for (const region of Object.keys(serving))
    expect(serving[region]).toEqual([`fraud_detector-${version}@${version}:100`]);
});

it('resumes a replication wait on a new worker after the old one stopped mid-activity', async () => {
  await rig.fault('ap-southeast-1', { kind: 'stall_replication' });
  const version = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: rig.plan({ timeouts: { replication: '30s', config_update: '10s', approval: '10s' } }),
    edgeCases: [],
    version,
    triggeredBy: 'test',
  });
  await until('ap-southeast-1 waiting for replication', async () => {
    const status = await handle.query(rolloutStatusQuery);
    const ap = status.regions.find((r) => r.region === 'ap-southeast-1')!;
    return ap.phase === 'waiting-for-replication' ? true : undefined;
  });
  await rig.stopWorkers(); // the waiting activity is cancelled by the shutdown
  const res = await fetch(`${rig.emu.url('ap-southeast-1')}/__emulator/faults`, { method: 'DELETE' });
  expect(res.ok).toBe(true);
  await rig.startWorkers();
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('succeeded');
  expect((await rig.serving())['ap-southeast-1']).toEqual([`fraud_detector-${version}@${version}:100`]);
  // If the stopping worker cannot report the cancelled attempt, the server retries it after the 30 s heartbeat
  // timeout: allow for that path too.
}, 120_000);

it('waits in rollback-failed for an operator when a rollback keeps failing, then completes it on retryRollback', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    waves: [{ name: 'only', regions: ['eu-west-1', 'us-east-1'], parallelism: 1 }],
    stages: [{ name: 'canary', traffic: 10, bake: '0ms', approval: true }],
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until('eu-west-1 awaiting approval', () => allIn('awaiting-approval', 1)(handle));
  // Every config update in eu-west-1 now fails, so the rollback that a rejection starts cannot complete.
  await rig.fault('eu-west-1', { kind: 'fail_config_updates', count: 1000 });
  await handle.executeUpdate(rejectUpdate, { args: [{ approver: 'frank', reason: 'test' }] });
  const stuck = await until('rollback-failed', () => allIn('rollback-failed', 1)(handle), 30_000);
  expect(stuck.regions.find((r: any) => r.region === 'eu-west-1').error).toMatch(
    /rollback failed: .*UPDATE_FAILED.*waiting for an operator/,
  );
  expect((await rig.serving())['eu-west-1']).toEqual([
    'fraud_detector-1@1:90',
    `fraud_detector-${version}@${version}:10`,
  ]);
  // The rollout stays open and says why; an operator fixes the cause and retries.
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await fetch(`${rig.emu.url('eu-west-1')}/__emulator/faults`, { method: 'DELETE' });
  expect(await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'frank' }] })).toMatch(/eu-west-1/);
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.regions.find((r) => r.region === 'eu-west-1')).toMatchObject({
    outcome: 'rolled-back',
    phase: 'rolled-back',
  });
  // The first wave failed, so us-east-1 was never started.
  expect(report.regions.find((r) => r.region === 'us-east-1')!.outcome).toBe('skipped');
  expect((await rig.serving())['eu-west-1']).toEqual(ORIGINAL);
  expect(rollbackErrors.kept).toEqual(['rollback failed; waiting for an operator']);
});

it('continues a load test from its last heartbeat on a new worker, measuring the whole test once', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.slice(0, 1),
    tests: {
      health: { queries: 1, input: { amount: 120 } },
      load: { rps: 50, duration: '8s', slo: { error_rate: 0.5 } },
    },
    stages: [{ name: 'canary', traffic: 10, gate: ['load'] }],
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until('the load test running', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions[0]?.phase === 'gating' ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 3000)); // a few checkpoints are heartbeated
  await rig.stopWorkers(); // the load test is cancelled by the shutdown
  await rig.startWorkers();
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  const load = report.regions[0].checks.find((c) => c.check === 'load')!;
  const evidence = load.evidence as any;
  expect(evidence.resumedAt.attempt).toBeGreaterThan(1);
  expect(evidence.resumedAt.request).toBeGreaterThan(0);
  // 8 s at 50 rps: 400 requests scheduled over both attempts, none twice.
  expect(load.summary).toMatch(/^\d+ requests at/);
  expect(evidence.overall.requests).toBeLessThanOrEqual(400);
  expect(evidence.overall.requests).toBeGreaterThan(300);
}, 120_000);
