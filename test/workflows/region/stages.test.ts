/**
 * The stage walk (src/workflows/region/stages.ts) with the steps it calls: weights, bakes that operators can end or
 * pause, gate checks, the canary judge, an A/B stage whose winner a person picks, and the approval gate.
 */
import { approveUpdate, regionCommandSignal, regionStatusQuery } from '../../../src/shared/messages';
import type { RegionPhase } from '../../../src/shared/types';
import { until } from '../../support/temporal';
import { passed, regionInput, rollbackPoint, stepPlan, useStepRig } from '../steps/harness';
import type { RegionStepOutcome } from '../steps/step-workflows';

const rigOf = useStepRig();
const HEALTH = { queries: 2, input: { amount: 120 } };
const started = { rollbackPoint: rollbackPoint() };

const inPhase = (id: string, phase: RegionPhase) =>
  until(`the region is ${phase}`, async () => {
    const status = await rigOf().client.workflow.getHandle(id).query(regionStatusQuery);
    return status.phase === phase ? status : undefined;
  });
const weights = () =>
  rigOf()
    .calls.filter((c) => c.name === 'applyEndpointConfig')
    .map(
      (c) => c.input.desired.routes.find((r: any) => r.served_entity_name === 'fraud_detector-2').traffic_percentage,
    );

beforeEach(() => {
  rigOf().fakes.applyEndpointConfig = async () => ({ configVersion: 2 });
  rigOf().fakes.runHealthCheck = async (input) => passed('health', input.stage);
});

it('walks each stage in order: weight, bake, gate checks; the first weight was set when the version joined', async () => {
  const plan = stepPlan({
    tests: { health: HEALTH },
    stages: [
      { name: 'canary', traffic: 10, bake: '0ms' },
      { name: 'half', traffic: 50, bake: '100ms', gate: ['health'] },
      { name: 'most', traffic: 90, bake: '0ms' },
    ],
  });
  const outcome = await rigOf().run<RegionStepOutcome>('walkStagesStep', {
    region: regionInput(plan),
    endpoint: started,
  });
  expect(outcome.failure).toBeUndefined();
  expect(weights()).toEqual([50, 90]);
  expect(outcome.status.timeline.map((t) => `${t.phase} ${t.stage}`)).toEqual([
    'updating half',
    'baking half',
    'gating half',
    'updating most',
  ]);
  expect(outcome.status.checks.map((c) => [c.check, c.stage])).toEqual([['health', 'half']]);
  expect(outcome.endpoint.lastApplied?.routes).toContainEqual({
    served_entity_name: 'fraud_detector-2',
    traffic_percentage: 90,
  });
});

it('ends a bake early on skip-bake, and holds at the next step while paused', async () => {
  const plan = stepPlan({
    stages: [
      { name: 'canary', traffic: 10, bake: '1h' },
      { name: 'half', traffic: 50, bake: '0ms' },
    ],
  });
  await rigOf().run<RegionStepOutcome>(
    'walkStagesStep',
    { region: regionInput(plan), endpoint: started },
    async (id) => {
      const handle = rigOf().client.workflow.getHandle(id);
      await inPhase(id, 'baking');
      await handle.signal(regionCommandSignal, { type: 'pause', request: { by: 'oncall' } });
      await handle.signal(regionCommandSignal, { type: 'skip-bake', request: { by: 'oncall' } });
      await until('the pause is seen', async () => ((await handle.query(regionStatusQuery)).paused ? true : undefined));
      // The bake ended, but the pause holds the region before the next stage's change.
      await new Promise((r) => setTimeout(r, 500));
      expect(weights()).toEqual([]);
      await handle.signal(regionCommandSignal, { type: 'resume', request: { by: 'oncall' } });
    },
  );
  expect(weights()).toEqual([50]);
});

it('stops the walk with CheckFailed when a gate check fails, before any later stage', async () => {
  rigOf().fakes.runHealthCheck = async (input) => ({
    ...passed('health', input.stage),
    passed: false,
    summary: '1 of 2 queries failed',
    failures: ['query 2: HTTP 500'],
  });
  const plan = stepPlan({
    tests: { health: HEALTH },
    stages: [
      { name: 'canary', traffic: 10, bake: '0ms', gate: ['health'] },
      { name: 'half', traffic: 50, bake: '0ms' },
    ],
  });
  const outcome = await rigOf().run<RegionStepOutcome>('walkStagesStep', {
    region: regionInput(plan),
    endpoint: started,
  });
  expect(outcome.failure).toEqual({
    message: 'health failed in stage canary: 1 of 2 queries failed (query 2: HTTP 500)',
    type: 'CheckFailed',
  });
  expect(weights()).toEqual([]);
});

it('judges a canary stage with the canary judge, against the version that served most traffic', async () => {
  rigOf().fakes.judgeCanary = async (input) => ({
    ...passed('canary', input.stage),
    passed: false,
    summary: 'errors 6.0% against 0.5%',
  });
  const plan = stepPlan({
    tests: { health: HEALTH, canary: {} },
    stages: [{ name: 'canary', traffic: 10, bake: '1s', gate: ['canary'] }],
  });
  const outcome = await rigOf().run<RegionStepOutcome>('walkStagesStep', {
    region: regionInput(plan),
    endpoint: started,
  });
  expect(outcome.failure).toEqual({
    message: 'canary judge failed in stage canary: errors 6.0% against 0.5%',
    type: 'CheckFailed',
  });
  const [judge] = rigOf().calls.filter((c) => c.name === 'judgeCanary');
  expect(judge.input).toMatchObject({ champion: 'fraud_detector-1', challenger: 'fraud_detector-2', windowMs: 1000 });
  expect(outcome.status.timeline.map((t) => t.phase)).toEqual(['judging']);
});

it('hands an A/B stage decided by a person to the approval gate, with the A/B result in the checks', async () => {
  rigOf().fakes.runAbTest = async (input) => ({ ...passed('ab', input.stage), winner: 'tie' });
  const plan = stepPlan({
    tests: { health: HEALTH },
    stages: [{ name: 'ab', traffic: 50, bake: '200ms', ab: { metric: 'latency_p50', decide_by: 'approval' } }],
  });
  const outcome = await rigOf().run<RegionStepOutcome>(
    'walkStagesStep',
    { region: regionInput(plan), endpoint: started },
    async (id) => {
      await inPhase(id, 'awaiting-approval');
      await rigOf()
        .client.workflow.getHandle(id)
        .executeUpdate(approveUpdate, { args: [{ approver: 'pm', reason: 'new one is fine' }] });
    },
  );
  expect(outcome.failure).toBeUndefined();
  expect(outcome.status.timeline.map((t) => t.phase)).toEqual(['ab-testing', 'awaiting-approval']);
  expect(outcome.status.approvals.map((a) => [a.stage, a.decision, a.by])).toEqual([['ab', 'approved', 'pm']]);
});

it('hands a canary left undecided at its deadline to the approval gate when the plan says on_deadline: approval', async () => {
  rigOf().fakes.judgeCanary = async (input) => ({
    ...passed('canary', input.stage),
    passed: false,
    undecided: true,
    summary: 'UNDECIDED at the deadline (60 metric minutes; live: 90 new / 810 current requests)',
  });
  const plan = stepPlan({
    tests: { health: HEALTH, canary: { sources: ['live'], on_deadline: 'approval' } },
    stages: [{ name: 'canary', traffic: 10, bake: '1s', gate: ['canary'] }],
  });
  const outcome = await rigOf().run<RegionStepOutcome>(
    'walkStagesStep',
    { region: regionInput(plan), endpoint: started },
    async (id) => {
      await inPhase(id, 'awaiting-approval');
      await rigOf()
        .client.workflow.getHandle(id)
        .executeUpdate(approveUpdate, { args: [{ approver: 'sre', reason: 'read the evidence' }] });
    },
  );
  expect(outcome.failure).toBeUndefined();
  expect(outcome.status.timeline.map((t) => t.phase)).toEqual(['judging', 'awaiting-approval']);
  expect(outcome.status.checks.map((c) => [c.check, c.passed, c.undecided])).toEqual([['canary', false, true]]);
});

it('fails a canary left undecided when the plan says on_deadline: fail (the default)', async () => {
  rigOf().fakes.judgeCanary = async (input) => ({
    ...passed('canary', input.stage),
    passed: false,
    undecided: true,
    summary: 'UNDECIDED at the deadline',
  });
  const plan = stepPlan({
    tests: { health: HEALTH, canary: { sources: ['live'] } },
    stages: [{ name: 'canary', traffic: 10, bake: '1s', gate: ['canary'] }],
  });
  const outcome = await rigOf().run<RegionStepOutcome>('walkStagesStep', {
    region: regionInput(plan),
    endpoint: started,
  });
  expect(outcome.failure).toEqual({
    message: 'canary judge failed in stage canary: UNDECIDED at the deadline',
    type: 'CheckFailed',
  });
});
