/**
 * The registry records the outcome (the plan's `registry`), on a real Temporal dev server and the emulator: tags on
 * the version and the alias in the primary's Unity Catalog, by outcome; a failure to record is a warning, and the
 * outcome stands.
 */
import { abortUpdate, rolloutStatusQuery } from '../../src/shared/messages';
import { checkedRollouts } from '../support/invariant';
import { MODEL, Rig, until, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

const { startRollout, invariantHolds } = checkedRollouts(() => rig);

/** The version's tags and the model's aliases in the primary's Unity Catalog, as the emulator holds them. */
function registry(version: number) {
  const model = rig.emu.emulator.catalog.models.get(MODEL)!;
  return {
    tags: Object.fromEntries(model.versions.get(version)!.tags),
    aliases: Object.fromEntries(model.aliases),
  };
}

const OUTCOME_KEYS = /^model_rollout_/;
/** Every region's outcome tag, all with the same outcome. */
const everyRegion = (outcome: string) => ({
  model_rollout_us_east_1: outcome,
  model_rollout_eu_west_1: outcome,
  model_rollout_ap_southeast_1: outcome,
});
const outcomeTags = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).filter(([key]) => OUTCOME_KEYS.test(key)));

it('on success: outcome and per-region tags, the plan tags, and the alias moved to the version', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ registry: { on_success: { alias: 'live', tags: { stage: 'prod' } } } });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('succeeded');
  const expectedTags = {
    model_rollout_outcome: 'succeeded',
    ...everyRegion('promoted'),
    stage: 'prod',
  };
  const recorded = registry(version);
  expect(recorded.tags).toMatchObject(expectedTags);
  expect(recorded.tags.model_rollout_rolled_back).toBeUndefined();
  expect(recorded.aliases).toMatchObject({ live: version, champion: 1 });
  // The report (and the status query) say what was recorded, and where.
  expect(report.registry).toEqual({ region: 'us-east-1', tags: expectedTags, alias: 'live' });
  expect((await handle.query(rolloutStatusQuery)).registry).toEqual(report.registry);
  expect(report.warnings).toBeUndefined();
});

it('on rollback: tags the version with the reason, each region with its outcome, and moves no alias', async () => {
  await rig.fault('ap-southeast-1', { kind: 'fail_config_updates', count: 1 });
  const version = await rig.register('candidate-good');
  const plan = rig.plan({
    failure_policy: 'rollback-all',
    waves: [
      { name: 'pilot', regions: ['us-east-1'] },
      { name: 'rest', regions: ['eu-west-1', 'ap-southeast-1'] },
    ],
    registry: { on_success: { alias: 'live', tags: { stage: 'prod' } } },
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('rolled-back');
  const { tags, aliases } = registry(version);
  expect(tags.model_rollout_rolled_back).toMatch(/^ap-southeast-1: .*UPDATE_FAILED/);
  expect(outcomeTags(tags)).toEqual({
    model_rollout_rolled_back: tags.model_rollout_rolled_back,
    model_rollout_outcome: 'rolled-back',
    ...everyRegion('rolled-back'),
  });
  expect(tags.stage).toBeUndefined();
  expect(aliases.live).toBeUndefined();
  expect(report.registry?.aliasNotMoved).toBe(
    'live not moved: the rollout rolled-back, and the alias moves only when it succeeded',
  );
});

it('on partial success: per-region outcome tags, the rolled-back region as the reason, no alias move', async () => {
  await rig.fault('eu-west-1', { kind: 'fail_config_updates', count: 1 });
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ registry: { on_success: { alias: 'live' } } });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('partially-failed');
  const { tags, aliases } = registry(version);
  expect(outcomeTags(tags)).toEqual({
    model_rollout_rolled_back: expect.stringMatching(/^eu-west-1: .*UPDATE_FAILED/),
    model_rollout_outcome: 'partially-failed',
    model_rollout_us_east_1: 'promoted',
    model_rollout_eu_west_1: 'rolled-back',
    model_rollout_ap_southeast_1: 'promoted',
  });
  expect(aliases.live).toBeUndefined();
});

it('a permission failure on tagging is a warning naming the workspace and the grant; the outcome stands', async () => {
  const version = await rig.register('candidate-good');
  // The workers' identity may read Unity Catalog but not write it (someone revoked the grant).
  rig.emu.world.principals[0].unity_catalog = 'READ';
  const plan = rig.plan({ registry: { on_success: { alias: 'live' } } });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => r.outcome)).toEqual(['promoted', 'promoted', 'promoted']);
  expect(outcomeTags(registry(version).tags)).toEqual({});
  expect(registry(version).aliases.live).toBeUndefined();
  expect(report.registry).toEqual({
    region: 'us-east-1',
    tags: {},
    failed: expect.stringMatching(
      /in us-east-1 \(profile us-east-1\) may not set tag model_rollout_outcome on main\.ml\.fraud_detector v\d+: grant it APPLY TAG on main\.ml\.fraud_detector .*nothing was recorded/,
    ),
  });
  expect(report.warnings).toEqual([
    `the outcome (succeeded) stands, but was not recorded in the Unity Catalog of us-east-1: ${report.registry!.failed}`,
  ]);
  // Not retried: a permission does not come back by itself.
  const attempts = (await handle.fetchHistory()).events!.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRegistryOutcome',
  );
  expect(attempts).toHaveLength(1);
});

it('records nothing with tag_outcomes: false and no on_success', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ registry: { tag_outcomes: false } });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  expect(outcomeTags(registry(version).tags)).toEqual({});
  expect(report.registry).toBeUndefined();
});

it('a plan from a client that predates `registry` gets its defaults: outcome tags, no alias', async () => {
  const version = await rig.register('candidate-good');
  const { registry: _dropped, ...older } = rig.plan();
  const { handle } = await startRollout(rig.client, {
    plan: older as ReturnType<Rig['plan']>,
    edgeCases: [],
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  expect(outcomeTags(registry(version).tags)).toEqual({
    model_rollout_outcome: 'succeeded',
    ...everyRegion('promoted'),
  });
  expect(Object.keys(registry(version).aliases)).toEqual(['champion']);
});

it('an abort that restores the regions tags the version with who aborted it and why', async () => {
  const version = await rig.register('candidate-good');
  const plan = rig.plan({ stages: [{ name: 'canary', traffic: 10, bake: '100ms', approval: true }] });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  await until('every region awaiting approval', async () => {
    const status = await handle.query(rolloutStatusQuery);
    return status.regions.every((r) => r.phase === 'awaiting-approval') || undefined;
  });
  await handle.executeUpdate(abortUpdate, { args: [{ by: 'alice', reason: 'dashboards look wrong' }] });
  const report = await rolloutReport(handle);
  await invariantHolds();
  expect(report.outcome).toBe('aborted');
  expect(outcomeTags(registry(version).tags)).toEqual({
    model_rollout_rolled_back: 'aborted by alice: dashboards look wrong',
    model_rollout_outcome: 'aborted',
    ...everyRegion('rolled-back'),
  });
});
