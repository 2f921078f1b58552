/**
 * Two rollouts of the same model at once, under each on_concurrent_rollout policy: the second queues behind the
 * first, supersedes it (the first restores what it touched and stops), or is refused without touching anything.
 */
import { startRollout, rolloutReport } from '../../src/rollouts';
import { abortUpdate, rolloutStatusQuery } from '../../src/shared/messages';
import { Rig, useRig } from '../support/temporal';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

async function firstRolloutBaking(bake: string) {
  const first = await rig.register('candidate-good');
  const second = await rig.register('candidate-good');
  const plan = rig.plan({ regions: rig.plan().regions.slice(0, 1), stages: [{ name: 'canary', traffic: 10, bake }] });
  const running = await startRollout(rig.client, { plan, edgeCases: [], version: first, triggeredBy: 'test' });
  for (;;) {
    const status = await running.handle.query(rolloutStatusQuery);
    if (status.regions[0].phase === 'baking') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { running, first, second, plan };
}

it('refuses a second version while one is rolling out, touching nothing', async () => {
  const { running, second, plan } = await firstRolloutBaking('5m');
  const refused = await startRollout(rig.client, {
    plan: { ...plan, on_concurrent_rollout: 'refuse' },
    edgeCases: [],
    version: second,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(refused.handle);
  expect(report.outcome).toBe('refused');
  expect(report.error).toMatch(
    /another rollout of main.ml.fraud_detector is running \(rollout-main.ml.fraud_detector-v2\)/,
  );
  expect((await running.handle.query(rolloutStatusQuery)).regions[0].phase).toBe('baking');
  // Stop it as an operator would (terminating would orphan its region child mid-compensation).
  await running.handle.executeUpdate(abortUpdate, { args: [{ by: 'test' }] });
  expect((await rolloutReport(running.handle)).outcome).toBe('aborted');
});

it('supersedes the running rollout: it restores its regions and stops, then the new one runs', async () => {
  const { running, second, plan } = await firstRolloutBaking('5m');
  const newer = await startRollout(rig.client, {
    plan: { ...plan, stages: [{ ...plan.stages[0], bake: 200 }], on_concurrent_rollout: 'supersede' },
    edgeCases: [],
    version: second,
    triggeredBy: 'test',
  });
  expect(newer.started).toBe(true);
  const old = await rolloutReport(running.handle);
  expect(old.outcome).toBe('superseded');
  expect(old.error).toBe(`superseded by ${newer.workflowId}`);
  expect(old.regions[0].phase).toBe('rolled-back');
  const report = await rolloutReport(newer.handle);
  expect(report.outcome).toBe('succeeded');
  expect((await rig.serving())['us-east-1']).toEqual([`fraud_detector-${second}@${second}:100`]);
});

it('queues behind the running rollout, then runs', async () => {
  const { running, first, second, plan } = await firstRolloutBaking('1500ms');
  const queued = await startRollout(rig.client, { plan, edgeCases: [], version: second, triggeredBy: 'test' });
  await new Promise((r) => setTimeout(r, 300));
  expect((await queued.handle.query(rolloutStatusQuery)).phase).toBe('waiting-for-other-rollout');
  expect((await rolloutReport(running.handle)).outcome).toBe('succeeded');
  const report = await rolloutReport(queued.handle);
  expect(report.outcome).toBe('succeeded');
  // The queued rollout's rollback point is the first rollout's result.
  expect(report.regions[0].rollbackPoint?.servedEntities.map((e) => e.entity_version)).toEqual([String(first)]);
  expect((await rig.serving())['us-east-1']).toEqual([`fraud_detector-${second}@${second}:100`]);
});
