/**
 * Issue 14, releases: several models or endpoints shipping together, on a real dev server and the emulator. In each
 * region the members move with every stage's weight; when one member fails, every member in that region is restored
 * to its exact rollback point.
 */
import { readEndpoints } from '../support/invariant';
import { BATCH_ENDPOINT, FEATURES, FEATURES_ENDPOINT, withReleaseEndpoints } from '../support/release-endpoints';
import { servedLines } from '../support/shared-endpoints';
import { ENDPOINT, Rig, rolloutWorld, useRig } from '../support/temporal';
import { DatabricksClient } from '../../src/databricks';
import { startRollout, rolloutReport } from '../../src/rollouts';
import { rolloutStatusQuery } from '../../src/shared/messages';
import type { EndpointConfig } from '../../src/shared/types';

const rigOf = useRig(() => withReleaseEndpoints(rolloutWorld()));
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

async function register(model: string, behavior: unknown): Promise<number> {
  const res = await fetch(`${rig.emu.url(rig.emu.world.primary)}/__emulator/models/${model}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ behavior, registration_duration: '50ms' }),
  });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { version: number }).version;
}

/** Each region's config of `endpoint`. */
async function configs(endpoint: string): Promise<Record<string, EndpointConfig>> {
  const endpoints = await readEndpoints(rig.emu.url(rig.emu.world.primary), endpoint);
  return Object.fromEntries(Object.entries(endpoints).map(([region, e]) => [region, e.config]));
}

const STAGES = [
  { name: 'canary', traffic: 10, bake: '1s' },
  { name: 'half', traffic: 50, bake: '200ms' },
];

it('a model and its companion move together stage by stage and are promoted together in every region', async () => {
  const version = await register('main.ml.fraud_detector', 'candidate-good');
  const features = await register(FEATURES, 'candidate-good');
  const plan = rig.plan({
    stages: STAGES,
    release: [{ name: 'features', model: FEATURES, version: features, endpoint: FEATURES_ENDPOINT }],
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  // During the canary bake both endpoints of every region serve their new version at 10%.
  for (;;) {
    const status = await handle.query(rolloutStatusQuery);
    if (status.regions.every((r) => r.phase === 'baking' && r.stage === 'canary')) {
      expect(status.release).toEqual([
        { name: 'features', model: FEATURES, version: features, endpoint: FEATURES_ENDPOINT },
      ]);
      for (const region of status.regions)
        expect(region.release).toEqual([
          expect.objectContaining({ name: 'features', state: 'serving', challengerWeight: 10, version: features }),
        ]);
      break;
    }
    if (status.regions.some((r) => r.stage === 'half')) throw new Error('missed the canary bake');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const config of Object.values(await configs(FEATURES_ENDPOINT)))
    expect(servedLines(config)).toEqual(['fraud_features-1@1:90', `fraud_features-${features}@${features}:10`]);

  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  for (const region of report.regions) {
    expect(region.outcome).toBe('promoted');
    expect(region.release).toEqual([
      expect.objectContaining({ name: 'features', state: 'promoted', challengerWeight: 100 }),
    ]);
  }
  for (const config of Object.values(await configs(FEATURES_ENDPOINT)))
    expect(servedLines(config)).toEqual([`fraud_features-${features}@${features}:100`]);
  for (const config of Object.values(await configs(ENDPOINT)))
    expect(servedLines(config)).toEqual([`fraud_detector-${version}@${version}:100`]);
});

it('a two-model release whose second model fails restores both endpoints exactly, in every region it reached', async () => {
  const before = { detector: await configs(ENDPOINT), features: await configs(FEATURES_ENDPOINT) };
  const version = await register('main.ml.fraud_detector', 'candidate-good');
  // The companion's container build fails: its first config update ends UPDATE_FAILED.
  const features = await register(FEATURES, { deploy: 'fail' });
  await setAlias(FEATURES, 'next', features);
  const plan = rig.plan({
    stages: STAGES,
    release: [{ name: 'features', model: FEATURES, alias: 'next', endpoint: FEATURES_ENDPOINT }],
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('rolled-back');
  expect(report.release).toEqual([
    { name: 'features', model: FEATURES, version: features, endpoint: FEATURES_ENDPOINT },
  ]);
  for (const region of report.regions) {
    expect(region.outcome).toBe('rolled-back');
    expect(region.error).toMatch(
      new RegExp(
        `release member features \\((main|ml_shared)\\.ml\\.fraud_features v${features} on fraud-features\\): .*UPDATE_FAILED`,
      ),
    );
    expect(region.release).toEqual([
      expect.objectContaining({ name: 'features', state: 'rolled-back', challengerWeight: 0 }),
    ]);
  }
  // The model whose change went through is restored too, each endpoint to its exact config before the rollout.
  expect(await configs(ENDPOINT)).toEqual(before.detector);
  expect(await configs(FEATURES_ENDPOINT)).toEqual(before.features);
});

it("a member's failing health check restores both; a model on two endpoints ships the same version to both", async () => {
  const before = { detector: await configs(ENDPOINT), batch: await configs(BATCH_ENDPOINT) };
  const broken = await register('main.ml.fraud_detector', { error_rate: 1 });
  const failing = rig.plan({
    stages: STAGES,
    release: [{ name: 'batch', endpoint: BATCH_ENDPOINT, health: { input: { amount: 100 } } }],
  });
  const failed = await rolloutReport(
    (await startRollout(rig.client, { plan: failing, edgeCases: [], version: broken, triggeredBy: 'test' })).handle,
  );
  expect(failed.regions.map((r) => r.outcome)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
  expect(failed.regions[0].error).toMatch(
    /^release member batch \(main\.ml\.fraud_detector v\d+ on fraud-detector-batch\): health failed/,
  );
  expect(failed.regions[0].checks.map((c) => [c.check, c.passed])).toEqual([['health', false]]);
  expect(await configs(ENDPOINT)).toEqual(before.detector);
  expect(await configs(BATCH_ENDPOINT)).toEqual(before.batch);

  const good = await register('main.ml.fraud_detector', 'candidate-good');
  const report = await rolloutReport(
    (
      await startRollout(rig.client, {
        plan: rig.plan({ stages: STAGES, release: [{ name: 'batch', endpoint: BATCH_ENDPOINT }] }),
        edgeCases: [],
        version: good,
        triggeredBy: 'test',
      })
    ).handle,
  );
  expect(report.outcome).toBe('succeeded');
  for (const endpoint of [ENDPOINT, BATCH_ENDPOINT])
    for (const config of Object.values(await configs(endpoint)))
      expect(servedLines(config)).toEqual([`fraud_detector-${good}@${good}:100`]);
});

it('under rollback-all, a member failing in a later wave restores the promoted pilot region, every member of it', async () => {
  const before = { detector: await configs(ENDPOINT), features: await configs(FEATURES_ENDPOINT) };
  const version = await register('main.ml.fraud_detector', 'candidate-good');
  const features = await register(FEATURES, 'candidate-good');
  // eu-west-1's features endpoint refuses the release's first change there.
  await rig.fault('eu-west-1', { kind: 'fail_config_updates', endpoint: FEATURES_ENDPOINT, count: 1 });
  const plan = rig.plan({
    stages: [{ name: 'all', traffic: 100 }],
    waves: [
      { name: 'pilot', regions: ['us-east-1'] },
      { name: 'rest', regions: ['eu-west-1', 'ap-southeast-1'], parallelism: 1 },
    ],
    failure_policy: 'rollback-all',
    release: [{ name: 'features', model: FEATURES, version: features, endpoint: FEATURES_ENDPOINT }],
  });
  const report = await rolloutReport(
    (await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' })).handle,
  );
  expect(report.outcome).toBe('rolled-back');
  const byRegion = Object.fromEntries(report.regions.map((r) => [r.region, r]));
  expect(byRegion['us-east-1'].outcome).toBe('rolled-back');
  expect(byRegion['us-east-1'].release).toEqual([
    expect.objectContaining({ state: 'rolled-back', challengerWeight: 0 }),
  ]);
  expect(byRegion['eu-west-1'].error).toMatch(/^release member features .*UPDATE_FAILED/);
  expect(byRegion['ap-southeast-1'].outcome).toBe('skipped');
  expect(await configs(ENDPOINT)).toEqual(before.detector);
  expect(await configs(FEATURES_ENDPOINT)).toEqual(before.features);
});

it('pre-flight refuses a release whose member endpoint is missing in a region, touching nothing', async () => {
  const version = await register('main.ml.fraud_detector', 'candidate-good');
  const before = await configs(ENDPOINT);
  const plan = rig.plan({ release: [{ name: 'shadow', endpoint: 'no-such-endpoint' }] });
  const report = await rolloutReport(
    (await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' })).handle,
  );
  expect(report.outcome).toBe('failed');
  expect(report.error).toMatch(/^pre-flight failed, nothing was touched: release member shadow: .*no-such-endpoint/);
  expect(await configs(ENDPOINT)).toEqual(before);
});

async function setAlias(model: string, alias: string, version: number): Promise<void> {
  const primary = rig.emu.world.primary;
  const uc = new DatabricksClient({ host: rig.emu.url(primary), token: rig.emu.token(primary), env: {} }).unityCatalog;
  await uc.setAlias(model, alias, version);
}
