/**
 * Rollouts end to end on a real Temporal dev server and the Databricks emulator: the happy path, and each way a
 * region can fail, with the failure policies across regions.
 */
import type { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PlanInput } from '../../src/plan/schema';
import { rolloutStatusQuery } from '../../src/shared/messages';
import { checkedRollouts } from '../support/invariant';
import { EDGE_CASES, Rig, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

const ORIGINAL = ['fraud_detector-1@1:100'];

const { startRollout, invariantHolds } = checkedRollouts(() => rig);

it('rolls a good version out to three regions: replicate, canary, test, promote', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    tests: { health: { queries: 3, input: { amount: 120 } }, edge_cases: { file: 'inline', tolerance: 0.02 } },
    stages: [
      { name: 'canary', traffic: 10, bake: '200ms', gate: ['health'] },
      { name: 'half', traffic: 50, bake: '100ms', gate: ['edge-cases'] },
    ],
  });
  const { handle, started } = await startRollout(rig.client, {
    plan,
    edgeCases: EDGE_CASES,
    version,
    triggeredBy: 'test',
  });
  expect(started).toBe(true);
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => [r.region, r.outcome, r.challengerWeight])).toEqual([
    ['us-east-1', 'promoted', 100],
    ['eu-west-1', 'promoted', 100],
    ['ap-southeast-1', 'promoted', 100],
  ]);
  for (const region of report.regions) {
    expect(region.rollbackPoint?.servedEntities.map((e) => e.entity_version)).toEqual(['1']);
    expect(region.checks.map((c) => [c.check, c.stage, c.passed])).toEqual([
      ['health', undefined, true],
      ['edge-cases', undefined, true],
      ['health', 'canary', true],
      ['edge-cases', 'half', true],
    ]);
  }
  expect(await rig.serving()).toEqual({
    'us-east-1': [`fraud_detector-${version}@${version}:100`],
    'eu-west-1': [`fraud_detector-${version}@${version}:100`],
    'ap-southeast-1': [`fraud_detector-${version}@${version}:100`],
  });
  const description = await handle.describe();
  expect(description.status.name).toBe('COMPLETED');
  expect(description.typedSearchAttributes.get({ name: 'RolloutStatus', type: 'KEYWORD' } as any)).toBe('succeeded');
  expect((await handle.query(rolloutStatusQuery)).phase).toBe('done');
});

it('leaves a region untouched when replication times out there; the others proceed (rollback-region)', async () => {
  await rig.fault('ap-southeast-1', { kind: 'stall_replication' });
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ timeouts: { replication: '1500ms', config_update: '10s', approval: '10s' } });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('partially-failed');
  const ap = report.regions.find((r) => r.region === 'ap-southeast-1')!;
  expect(ap.outcome).toBe('untouched');
  expect(ap.error).toMatch(/did not appear in ap-southeast-1 within 2s|within 1s/);
  expect(ap.rollbackPoint).toBeUndefined();
  const serving = await rig.serving();
  expect(serving['ap-southeast-1']).toEqual(ORIGINAL);
  expect(serving['eu-west-1']).toEqual([`fraud_detector-${version}@${version}:100`]);
});

it('rolls back only the failing region on UPDATE_FAILED under rollback-region', async () => {
  await rig.fault('eu-west-1', { kind: 'fail_config_updates', count: 1 });
  const version = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: rig.plan({ failure_policy: 'rollback-region' }),
    edgeCases: [],
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('partially-failed');
  const eu = report.regions.find((r) => r.region === 'eu-west-1')!;
  expect([eu.outcome, eu.phase]).toEqual(['rolled-back', 'rolled-back']);
  expect(eu.error).toMatch(/UPDATE_FAILED/);
  const serving = await rig.serving();
  expect(serving['eu-west-1']).toEqual(ORIGINAL);
  expect(serving['us-east-1']).toEqual([`fraud_detector-${version}@${version}:100`]);
  // Not a success: the workflow fails, so the Temporal UI's list shows it in red, with a sentence and the report.
  expect((await handle.describe()).status.name).toBe('FAILED');
  const failure = await handle.result().then(
    () => undefined,
    (err: WorkflowFailedError) => err.cause as ApplicationFailure,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect([failure!.type, failure!.nonRetryable]).toEqual(['RolloutPartiallyFailed', true]);
  expect(failure!.message).toMatch(
    /^partially failed: promoted in us-east-1, ap-southeast-1, not in eu-west-1: .*UPDATE_FAILED/,
  );
  expect(failure!.stack).toBe('');
  expect(failure!.details).toEqual([report]);
});

it('restores every touched region on UPDATE_FAILED under rollback-all, including promoted ones', async () => {
  await rig.fault('ap-southeast-1', { kind: 'fail_config_updates', count: 1 });
  const version = await rig.register('candidate-good');
  // A pilot wave promotes us-east-1 first; the failure comes in the second wave.
  const plan = rig.plan({
    failure_policy: 'rollback-all',
    waves: [
      { name: 'pilot', regions: ['us-east-1'] },
      { name: 'rest', regions: ['eu-west-1', 'ap-southeast-1'] },
    ],
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  expect(report.regions.find((r) => r.region === 'us-east-1')!.outcome).toBe('rolled-back');
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL, 'ap-southeast-1': ORIGINAL });
});

it('rolls back exactly when a gate fails mid-canary, and does not start later waves', async () => {
  const version = await rig.register('candidate-bad');
  const plan = rig.plan({
    tests: { edge_cases: { file: 'inline', tolerance: 0.02 } },
    waves: [
      { name: 'pilot', regions: ['eu-west-1'] },
      { name: 'rest', regions: ['us-east-1', 'ap-southeast-1'] },
    ],
    stages: [
      { name: 'canary', traffic: 10, bake: '100ms' },
      { name: 'half', traffic: 50, bake: '100ms', gate: ['edge-cases'] },
    ],
  });
  // The first test suite already runs edge cases; give them only to the stage gate by leaving them out of the suite.
  const { handle } = await startRollout(rig.client, { plan, edgeCases: EDGE_CASES, version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  const eu = report.regions.find((r) => r.region === 'eu-west-1')!;
  expect(eu.outcome).toBe('rolled-back');
  expect(eu.error).toMatch(/edge-cases failed: 0 of 3 edge cases passed/);
  expect(report.regions.filter((r) => r.region !== 'eu-west-1').map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL, 'ap-southeast-1': ORIGINAL });
});

/** Sets an endpoint's AI Gateway through the serving API, as its owner would. */
async function putAiGateway(region: string, body: unknown) {
  const res = await fetch(`${rig.emu.url(region)}/api/2.0/serving-endpoints/fraud-detector/ai-gateway`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${rig.emu.world.principals[0].token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const liveCanary: Partial<PlanInput> = {
  tests: { canary: { sources: ['live'], max_extension: '1s' } },
  stages: [{ name: 'canary', traffic: 10, bake: '300ms', gate: ['canary'] }],
};

it('refuses at pre-flight, touching nothing, a live-judged canary on an endpoint whose AI Gateway falls back', async () => {
  await putAiGateway('eu-west-1', { fallback_config: { enabled: true } });
  const version = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: rig.plan(liveCanary),
    edgeCases: [],
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('failed');
  expect(report.error).toMatch(
    /pre-flight failed, nothing was touched: eu-west-1\/fraud-detector has AI Gateway fallbacks on .* stage canary judges live traffic .*fallback_config.*on_gateway_fallback: warn/,
  );
  expect(report.regions.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL, 'ap-southeast-1': ORIGINAL });
});

it('goes ahead with warnings in its report: on_gateway_fallback: warn, and a rate limit below its load test', async () => {
  await putAiGateway('eu-west-1', { fallback_config: { enabled: true } });
  await putAiGateway('us-east-1', { rate_limits: [{ calls: 600, renewal_period: 'minute' }] });
  const version = await rig.register('candidate-good');
  const warned = await startRollout(rig.client, {
    plan: rig.plan({
      ...liveCanary,
      tests: {
        canary: { sources: ['live'], max_extension: '1s' },
        health: { queries: 1, input: { amount: 100 } },
        load: { rps: 20, duration: '1s' },
      },
      stages: [{ name: 'canary', traffic: 10, bake: '300ms', gate: ['canary', 'load'] }],
      on_gateway_fallback: 'warn',
    }),
    edgeCases: [],
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(warned.handle);
  await invariantHolds();
  expect([...(report.warnings ?? [])].sort()).toEqual([
    expect.stringMatching(/^eu-west-1\/fraud-detector has AI Gateway fallbacks on .*\(on_gateway_fallback: warn\)$/),
    "us-east-1/fraud-detector: AI Gateway allows 600 calls per minute per endpoint, and stage canary's tests send up to 20 requests per second (1200 a minute): expect 429s, which the judge counts apart from the model's errors (it decides later) and a load test measures as the limit",
  ]);
  // It went past pre-flight: every region was touched (whatever the judge then made of the few seconds it had).
  expect(report.regions.every((r) => r.rollbackPoint !== undefined)).toBe(true);
});

it('fails pre-flight without touching anything when an endpoint is missing', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan();
  plan.regions[2].endpoint = 'no-such-endpoint';
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('failed');
  expect(report.error).toMatch(/pre-flight failed, nothing was touched: .*no-such-endpoint/);
  expect(report.regions.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL, 'ap-southeast-1': ORIGINAL });
});
