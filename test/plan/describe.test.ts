import {
  describePlan,
  estimateDuration,
  modelNameInRegion,
  resolveWaves,
  selectVersion,
} from '../../src/plan/describe';
import type { EdgeCase } from '../../src/plan/edge-cases';
import { parsePlan, planInput } from './helpers';

const base = planInput() as any;

describe('resolveWaves', () => {
  it('makes one wave of every region, in plan order, all at once, when the plan gives none', () => {
    expect(resolveWaves(parsePlan(base))).toEqual([
      { name: 'all-regions', regions: ['us-east-1', 'eu-west-1', 'ap-south-1'], parallelism: 3 },
    ]);
  });

  it("keeps the plan's waves in order, defaulting parallelism to the wave's size and capping it there", () => {
    const plan = parsePlan({
      ...base,
      waves: [
        { name: 'pilot', regions: ['eu-west-1'], parallelism: 4 },
        { name: 'rest', regions: ['ap-south-1', 'us-east-1'] },
      ],
    });
    expect(resolveWaves(plan)).toEqual([
      { name: 'pilot', regions: ['eu-west-1'], parallelism: 1 },
      { name: 'rest', regions: ['ap-south-1', 'us-east-1'], parallelism: 2 },
    ]);
  });
});

describe('modelNameInRegion', () => {
  const plan = parsePlan(base);

  it('reads the model under its own name in the primary and through the shared catalog elsewhere', () => {
    expect(modelNameInRegion(plan, 'us-east-1')).toBe('main.ml.churn');
    expect(modelNameInRegion(plan, 'eu-west-1')).toBe('ml_shared.ml.churn');
    expect(modelNameInRegion(plan, 'ap-south-1')).toBe('shared_ap.ml.churn');
  });

  it('refuses a region the plan does not have', () => {
    expect(() => modelNameInRegion(plan, 'eu-central-1')).toThrow(
      'region "eu-central-1" is not in the plan (regions: us-east-1, eu-west-1, ap-south-1)',
    );
  });
});

describe('selectVersion', () => {
  it('prefers the command line, then the plan', () => {
    const withVersion = parsePlan({ ...base, version: 4 });
    const withAlias = parsePlan({ ...base, alias: 'challenger' });
    expect(selectVersion(parsePlan(base))).toBeUndefined();
    expect(selectVersion(withVersion)).toEqual({ kind: 'version', version: 4, from: 'plan' });
    expect(selectVersion(withAlias)).toEqual({ kind: 'alias', alias: 'challenger', from: 'plan' });
    expect(selectVersion(withVersion, { alias: 'x' })).toEqual({ kind: 'alias', alias: 'x', from: 'command line' });
    expect(selectVersion(withAlias, { version: 7 })).toEqual({ kind: 'version', version: 7, from: 'command line' });
    expect(() => selectVersion(withAlias, { version: 7, alias: 'x' })).toThrow('give --version or --alias, not both');
  });
});

// Five regions in two waves: [b-1] alone, then the other four three at a time (two batches).
const timed = {
  model: 'main.ml.churn',
  primary: 'a-1',
  regions: ['a-1', 'b-1', 'c-1', 'd-1', 'e-1'].map((name, i) => ({
    name,
    workspace: { profile: name },
    ...(i === 0 ? {} : { shared_catalog: 'shared' }),
    endpoint: 'churn',
  })),
  waves: [
    { name: 'pilot', regions: ['b-1'] },
    { name: 'rest', regions: ['a-1', 'c-1', 'd-1', 'e-1'], parallelism: 3 },
  ],
  stages: [
    { name: 'canary', traffic: 5, bake: '10m' },
    { name: 'half', traffic: 50, bake: '30m', approval: true },
    { name: 'most', traffic: 90, bake: '1h' },
  ],
  timeouts: { replication: '20m', config_update: '15m', approval: '4h' },
};

describe('estimateDuration', () => {
  it('adds the timeouts and bakes of one region and multiplies by each wave’s batches', () => {
    const estimate = estimateDuration(parsePlan(timed));
    // Per region: replication 20m + canary (15m + 10m) + half (15m + 30m + 4h) + most (15m + 1h) + promotion 15m.
    const region = 20 + (15 + 10) + (15 + 30 + 240) + (15 + 60) + 15;
    expect(region).toBe(420);
    expect(estimate.region.worstMs).toBe(region * 60_000);
    // pilot: 1 region, 1 batch; rest: 4 regions 3 at a time = 2 batches.
    expect(estimate.waves.map((w) => [w.name, w.batches])).toEqual([
      ['pilot', 1],
      ['rest', 2],
    ]);
    expect(estimate.worstMs).toBe(3 * region * 60_000); // 21h
    expect(estimate.expectedMs).toBe(3 * (10 + 30 + 60) * 60_000); // 5h
  });

  it('runs a default wave in one batch', () => {
    const estimate = estimateDuration(parsePlan({ ...timed, waves: undefined }));
    expect(estimate.waves).toEqual([
      { name: 'all-regions', regions: 5, parallelism: 5, batches: 1, worstMs: 420 * 60_000, expectedMs: 100 * 60_000 },
    ]);
  });
});

describe('describePlan', () => {
  const edgeCases: EdgeCase[] = [{ name: 'zero', input: { amount: 0 }, expected: { kind: 'approx', value: 0.1 } }];

  it('prints the worst case with its arithmetic', () => {
    const text = describePlan(parsePlan(timed), edgeCases);
    expect(text).toContain(
      [
        'Worst-case duration: 21h (every wait runs to its timeout)',
        '  per region: replication 20m + canary (config update 15m + bake 10m) + half (config update 15m + bake 30m + approval 4h) + most (config update 15m + bake 1h) + promotion config update 15m = 7h',
        '  wave pilot: ceil(1 region / 1 at a time) = 1 × 7h = 7h',
        '  wave rest: ceil(4 regions / 3 at a time) = 2 × 7h = 14h',
        '  total: 7h + 14h = 21h',
        '  (gate checks have no timeout in the plan and are not counted)',
        'Expected if nothing waits for a timeout: 5h (the bakes alone)',
        '  per region: canary 10m + half 30m + most 1h = 1.67h',
        '  total: pilot 1 × 1.67h + rest 2 × 1.67h = 5h',
      ].join('\n'),
    );
  });

  it('describes model, version, regions, waves, stages, tests and policies', () => {
    const plan = parsePlan({
      ...base,
      alias: 'challenger',
      regions: [
        base.regions[0],
        {
          ...base.regions[1],
          served_entity: { workload_size: 'Medium', workload_type: 'GPU_SMALL', scale_to_zero_enabled: true },
        },
        { ...base.regions[2], workspace: { host: 'https://adb-1.2.azuredatabricks.net' } },
      ],
      stages: [
        { name: 'canary', traffic: 10, bake: '20s', gate: ['health', 'edge-cases'] },
        { name: 'half', traffic: 50, bake: '1m', approval: true },
      ],
      tests: { health: { input: { amount: 3 } }, edge_cases: { file: 'cases.jsonl', tolerance: 0.02 } },
      failure_policy: 'rollback-all',
      on_concurrent_rollout: 'refuse',
    });
    const text = describePlan(plan, edgeCases);
    expect(text).toContain(
      'Rollout of main.ml.churn\n  version: the version the alias "challenger" names (from the plan)\n',
    );
    expect(describePlan(plan, edgeCases, { version: 9 })).toContain('  version: 9 (from the command line)\n');
    expect(text).toContain(
      [
        '  us-east-1 (primary)',
        '    workspace:     profile us-east-1 (~/.databrickscfg)',
        '    model:         main.ml.churn (registered here)',
        '    endpoint:      churn',
        '    served entity: the plan sets nothing: every setting is inherited',
        '                   inherits from the entity it replaces: workload size, workload type, scale to zero, environment variables (secret references as written), instance profile, min/max provisioned concurrency, min/max provisioned throughput, provisioned model units, burst scaling',
        '                   with nothing to inherit from: workload size Small, workload type CPU, scale to zero off unless the plan sets them',
        '  eu-west-1',
        '    workspace:     profile eu-west-1 (~/.databrickscfg)',
        '    model:         ml_shared.ml.churn (through the Delta Sharing catalog ml_shared)',
        '    endpoint:      churn',
        '    served entity: the plan sets workload size Medium, workload type GPU_SMALL, scale to zero on',
        '                   inherits from the entity it replaces: environment variables (secret references as written), instance profile, min/max provisioned throughput, provisioned model units, burst scaling',
        '                   with nothing to inherit from: workload size Small, workload type CPU, scale to zero off unless the plan sets them',
        '  ap-south-1',
        "    workspace:     host https://adb-1.2.azuredatabricks.net (credentials from the worker's DATABRICKS_* environment)",
        '    model:         shared_ap.ml.churn (through the Delta Sharing catalog shared_ap)',
        '    endpoint:      churn-ap',
      ].join('\n'),
    );
    expect(text).toContain(
      'Waves (the plan gives none: one wave of every region, in plan order)\n  1. all-regions: us-east-1, eu-west-1, ap-south-1 (all at once)\n',
    );
    expect(text).toContain(
      [
        '  1. canary: 10% of traffic to the new version, bake 20s',
        '     gate: health, edge-cases',
        '  2. half: 50% of traffic to the new version, bake 1m',
        '     gate: none',
        '     approval: waits up to 24h for a person; without one the region rolls back',
        '  then: promote to 100% (the new version alone; the previous one is removed)',
      ].join('\n'),
    );
    expect(text).toContain('  health: 3 queries straight to the new version with {"amount":3}\n');
    expect(text).toContain('  edge cases: 1 from cases.jsonl (default tolerance 0.02)\n');
    expect(text).toContain(
      'On failure: rollback-all: when a region fails, every region this rollout touched is restored',
    );
    expect(text).toContain(': refuse: refuse to start while another rollout of this model runs');
  });

  it('says which served entity a region replaces on a shared endpoint', () => {
    const [primary, ...rest] = base.regions;
    const plan = parsePlan({ ...base, regions: [{ ...primary, replaces: 'fraud_detector-3' }, ...rest] });
    expect(describePlan(plan, [])).toContain(
      `    endpoint:      ${primary.endpoint}, replacing its served entity fraud_detector-3 (the others keep their traffic)\n`,
    );
  });

  it('says when no version is chosen', () => {
    expect(describePlan(parsePlan(base), [])).toContain(
      '  version: none chosen: the plan sets neither version nor alias; pass --version N or --alias A\n',
    );
  });
});
