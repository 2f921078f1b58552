/**
 * Watching after promotion (issue 14), on a real Temporal dev server and the emulator: the endpoints have live users,
 * and the metric clock runs 600× faster (a metric minute per 100 ms), so a 20-minute watch takes about 2 s.
 * Must show: a post-promotion regression restores the rollback point within the window. Across regions, a regression
 * found in one region's watch is a region that rolled back, so the plan's failure policy applies as for any other.
 */
import type { PlanInput } from '../../src/plan/schema';
import { generateWorld } from '../../src/emulator/generate-world';
import { checkedRollouts } from '../support/invariant';
import { FAST_METRICS, MODEL, Rig, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

/**
 * Two regions whose endpoints' users send 20 requests per second (1200 per metric minute), to v1 until the rollout.
 * The export shows only the last minute, as Databricks' does: the baseline must be recorded as it passes.
 */
function liveWorld() {
  const world = generateWorld({ regions: 2, replicationDelay: '150ms', configUpdateDuration: '150ms' });
  for (const region of world.regions)
    region.endpoints![0].live_traffic = { rps: 20, inputs: [{ amount: 120 }, { amount: 900 }] };
  return { ...world, ...FAST_METRICS, metrics_export_minutes: 1 };
}

const rigOf = useRig(liveWorld);
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const ORIGINAL = ['fraud_detector-1@1:100'];

/**
 * No canary: the version reaches 100% at once, and only the watch after promotion judges it on live traffic. One
 * region (us-east-1) unless the plan says otherwise.
 */
const promotedAtOnce = (afterPromotion: PlanInput['after_promotion']): Partial<PlanInput> => ({
  regions: [rig.plan().regions[0]],
  stages: [{ name: 'all', traffic: 100 }],
  after_promotion: afterPromotion,
});

async function rollOut(behavior: string, afterPromotion: PlanInput['after_promotion']) {
  const version = await rig.register(behavior);
  const plan = rig.plan(promotedAtOnce(afterPromotion));
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  return { version, report, region: report.regions[0] };
}

it('restores the exact rollback point when the promoted version regresses on live traffic within the window', async () => {
  // candidate-bad answers 6% of requests with a 5xx where v1 answers 0.2%, and is slower.
  const { report, region } = await rollOut('candidate-bad', { watch: '20m', baseline: '5m' });
  expect(report.outcome).toBe('rolled-back');
  expect([region.outcome, region.phase]).toEqual(['rolled-back', 'rolled-back']);
  expect(region.error).toMatch(
    /^regressed after promotion \(found \d+m after promotion, within the rollback window of 20m\): .*errors-5xx \(live\) worse beyond the margin: [\d.]+% of \d+ new-version requests vs [\d.]+% of \d+ .*, the new version at 100% against the previous one before the rollout$/,
  );
  const phases = region.timeline.map((t) => t.phase);
  expect(phases.indexOf('watching')).toBeGreaterThan(phases.indexOf('promoting'));
  expect(phases.slice(phases.indexOf('watching'))).toEqual(['watching', 'rolling-back', 'rolled-back']);
  const watch = region.checks.find((c) => c.check === 'after-promotion')!;
  expect([watch.passed, watch.summary]).toEqual([
    false,
    expect.stringMatching(/^REGRESSED \d+ metric minutes? after promotion/),
  ]);
  expect(region.rollbackPoint?.servedEntities.map((e) => e.entity_version)).toEqual(['1']);
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL });
}, 60_000);

it('records the baseline before the first change, and keeps a good version promoted when the watch ends', async () => {
  // A baseline of 10 minutes (1 s here) outlasts replication: the region waits for it before its first change.
  const { version, report, region } = await rollOut('candidate-good', { watch: '20m', baseline: '10m' });
  expect(report.outcome).toBe('succeeded');
  expect([region.outcome, region.phase, region.challengerWeight]).toEqual(['promoted', 'promoted', 100]);
  const phases = region.timeline.map((t) => t.phase);
  expect(phases.slice(0, 4)).toEqual([
    'waiting-for-replication',
    'recording-rollback-point',
    'recording-baseline',
    'updating',
  ]);
  expect(region.timeline[2].weight).toBe(0);
  expect(phases.slice(-3)).toEqual(['promoting', 'watching', 'promoted']);
  const watch = region.checks.find((c) => c.check === 'after-promotion')!;
  expect([watch.passed, watch.summary]).toEqual([
    true,
    expect.stringMatching(/^no regression in [2-9]\d metric minutes after promotion/),
  ]);
  expect(region.warnings).toBeUndefined();
  expect(await rig.serving()).toEqual({
    'us-east-1': [`fraud_detector-${version}@${version}:100`],
    'eu-west-1': ORIGINAL,
  });
}, 60_000);

it('leaves a regression found after the rollback window promoted, with the finding as a warning', async () => {
  // The window closes 1 ms after promotion: any regression is found later than that.
  const { version, report, region } = await rollOut('candidate-bad', {
    watch: '20m',
    rollback_window: '1ms',
    baseline: '5m',
  });
  expect(report.outcome).toBe('succeeded');
  expect([region.outcome, region.phase]).toEqual(['promoted', 'promoted']);
  expect(region.warnings).toEqual([
    expect.stringMatching(
      new RegExp(
        `^v${version} regressed after promotion, found \\d+m after promotion, past the rollback window of 1ms, so it was not restored: .*errors-5xx`,
      ),
    ),
  ]);
  expect(region.checks.find((c) => c.check === 'after-promotion')?.passed).toBe(false);
  expect(await rig.serving()).toEqual({
    'us-east-1': [`fraud_detector-${version}@${version}:100`],
    'eu-west-1': ORIGINAL,
  });
}, 60_000);

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
  const report = await rolloutReport(handle);
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
  expect(await rig.serving()).toEqual({ 'us-east-1': ORIGINAL, 'eu-west-1': ORIGINAL });
}, 60_000);
