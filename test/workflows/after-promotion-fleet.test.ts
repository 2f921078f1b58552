/**
 * Watching after promotion across regions: a regression found in one region's watch is a region that rolled back, so
 * the plan's failure policy applies as for any other. Under rollback-all the regions already promoted (an earlier
 * wave, its own watch passed) are restored too. Live users in both regions; the metric clock 600× faster.
 */
import { generateWorld } from '../../src/emulator/generate-world';
import { checkedRollouts } from '../support/invariant';
import { FAST_METRICS, MODEL, Rig, useRig } from '../support/temporal';

function liveWorld() {
  const world = generateWorld({ regions: 2, replicationDelay: '150ms', configUpdateDuration: '150ms' });
  for (const region of world.regions) region.endpoints![0].live_traffic = { rps: 20, inputs: [{ amount: 120 }] };
  return { ...world, ...FAST_METRICS, metrics_export_minutes: 1 };
}

const rigOf = useRig(liveWorld);
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

it('under rollback-all, a regression after promotion in the second wave also restores the promoted pilot', async () => {
  const version = await rig.register('candidate-good');
  // The new version is worse only in eu-west-1: 8% of its requests there fail.
  await rig.fault('eu-west-1', {
    kind: 'degrade_version',
    region: 'eu-west-1',
    model: MODEL,
    version,
    error_rate: 0.08,
  });
  const plan = rig.plan({
    failure_policy: 'rollback-all',
    waves: [
      { name: 'pilot', regions: ['us-east-1'] },
      { name: 'rest', regions: ['eu-west-1'] },
    ],
    stages: [{ name: 'all', traffic: 100 }],
    after_promotion: { watch: '10m', baseline: '3m' },
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await handle.result();
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  const [us, eu] = report.regions;
  expect(eu.outcome).toBe('rolled-back');
  expect(eu.error).toMatch(
    /^regressed after promotion \(found \d+m after promotion, within the rollback window of 10m\): /,
  );
  // The pilot watched its 10 minutes without a regression, was promoted, then restored by the fleet policy.
  expect(us.checks.find((c) => c.check === 'after-promotion')?.passed).toBe(true);
  expect(us.timeline.map((t) => t.phase)).toContain('watching');
  expect([us.outcome, us.phase, us.challengerWeight]).toEqual(['rolled-back', 'rolled-back', 0]);
  const original = ['fraud_detector-1@1:100'];
  expect(await rig.serving()).toEqual({ 'us-east-1': original, 'eu-west-1': original });
}, 60_000);
