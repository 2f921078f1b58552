import { planSchema } from '../../src/plan/schema';
import { formatZodIssues } from '../../src/shared/duration';
import { planInput } from './helpers';

function problems(input: unknown): string[] {
  const result = planSchema.safeParse(input);
  if (result.success) throw new Error('expected the plan to be refused');
  return formatZodIssues(result.error);
}

const base = planInput() as any;
const [primary, eu, ap] = base.regions;

describe('plan schema', () => {
  it('accepts a minimal plan and fills in the defaults', () => {
    const plan = planSchema.parse(base);
    expect(plan.stages[0]).toEqual({ name: 'canary', traffic: 10, bake: 60_000, gate: [], approval: false });
    // Unset settings are inherited from the served entity the new version replaces (src/shared/endpoint-config.ts).
    expect(plan.regions[0].served_entity).toEqual({});
    expect(plan.timeouts).toEqual({ replication: 15 * 60_000, config_update: 30 * 60_000, approval: 24 * 3_600_000 });
    expect(plan.tests).toEqual({});
    expect(plan.failure_policy).toBe('rollback-region');
    expect(plan.on_concurrent_rollout).toBe('queue');
    expect(plan.waves).toBeUndefined();
  });

  it('names a region listed twice', () => {
    expect(problems({ ...base, regions: [primary, eu, ap, eu] })).toEqual([
      'regions[3].name: region "eu-west-1" is listed twice',
    ]);
  });

  it('asks for the shared catalog of every replica', () => {
    expect(problems({ ...base, regions: [primary, { ...eu, shared_catalog: undefined }, ap] })).toEqual([
      'regions[1].shared_catalog: name the Delta Sharing catalog through which eu-west-1 reads the model (only the primary may omit it)',
    ]);
  });

  it('requires the primary to be one of the regions', () => {
    // us-east-1 is then a replica without a shared catalog, which is reported too.
    expect(problems({ ...base, primary: 'us-west-2' })).toEqual([
      'regions[0].shared_catalog: name the Delta Sharing catalog through which us-east-1 reads the model (only the primary may omit it)',
      'primary: "us-west-2" is not one of regions[].name',
    ]);
  });

  it('takes the served entity a region replaces on a shared endpoint, as a served entity name', () => {
    expect(planSchema.parse(base).regions[1].replaces).toBeUndefined();
    expect(
      planSchema.parse({ ...base, regions: [primary, { ...eu, replaces: 'fraud_detector-3' }, ap] }).regions[1]
        .replaces,
    ).toBe('fraud_detector-3');
    expect(problems({ ...base, regions: [primary, { ...eu, replaces: 'fraud detector 3' }, ap] })).toEqual([
      'regions[1].replaces: write the name of a served entity of the endpoint, e.g. replaces: fraud_detector-3',
    ]);
  });

  it('refuses both a version and an alias', () => {
    expect(problems({ ...base, version: 3, alias: 'challenger' })).toEqual(['alias: give version or alias, not both']);
  });

  it('checks that waves name known regions, each exactly once', () => {
    expect(
      problems({
        ...base,
        waves: [
          { name: 'pilot', regions: ['eu-west-1', 'eu-central-1'] },
          { name: 'rest', regions: ['ap-south-1', 'eu-west-1'] },
        ],
      }),
    ).toEqual([
      'waves[0].regions[1]: unknown region "eu-central-1"; regions[].name are us-east-1, eu-west-1, ap-south-1',
      'waves[1].regions[1]: region "eu-west-1" is already in waves[0] (pilot); a region is in one wave',
      'waves: region "us-east-1" is in no wave; add it to one',
    ]);
  });

  it('names the first wave of a region listed three times', () => {
    expect(
      problems({
        ...base,
        waves: [
          { name: 'a', regions: ['us-east-1', 'eu-west-1'] },
          { name: 'b', regions: ['eu-west-1', 'ap-south-1'] },
          { name: 'c', regions: ['eu-west-1'] },
        ],
      }),
    ).toEqual([
      'waves[1].regions[0]: region "eu-west-1" is already in waves[0] (a); a region is in one wave',
      'waves[2].regions[0]: region "eu-west-1" is already in waves[0] (a); a region is in one wave',
    ]);
  });

  it('checks stage names, traffic order and the tests gates need', () => {
    expect(
      problems({
        ...base,
        stages: [
          { name: 'canary', traffic: 20, gate: ['health'] },
          { name: 'canary', traffic: 10, gate: ['edge-cases'] },
        ],
      }),
    ).toEqual([
      'stages[0].gate: the health gate needs tests.health',
      'stages[1].name: stage "canary" is listed twice',
      'stages[1].traffic: traffic must not go down between stages (20% before it)',
      'stages[1].gate: the edge-cases gate needs tests.edge_cases',
    ]);
  });

  it('accepts gates whose tests are configured', () => {
    const plan = planSchema.parse({
      ...base,
      stages: [{ name: 'canary', traffic: 10, gate: ['health', 'edge-cases'] }],
      tests: { health: { input: { amount: 1 } }, edge_cases: { file: 'cases.jsonl' } },
    });
    expect(plan.tests).toEqual({
      health: { queries: 3, input: { amount: 1 } },
      edge_cases: { file: 'cases.jsonl', tolerance: 0 },
    });
  });

  it('asks for exactly one of profile or host', () => {
    expect(
      problems({
        ...base,
        regions: [{ ...primary, workspace: {} }, { ...eu, workspace: { profile: 'eu', host: 'https://x.net' } }, ap],
      }),
    ).toEqual([
      'regions[0].workspace: give exactly one of profile, host or bundle_target',
      'regions[1].workspace: give exactly one of profile, host or bundle_target',
    ]);
    expect(
      problems({ ...base, regions: [{ ...primary, workspace: { host: 'adb-1.azuredatabricks.net' } }, eu, ap] }),
    ).toEqual([
      'regions[0].workspace.host: write the workspace URL, e.g. https://adb-123.4.azuredatabricks.net (scheme and host only): not a URL',
    ]);
  });

  it('reports every field problem at once', () => {
    expect(
      problems({
        ...base,
        model: 'churn',
        version: '3',
        failure_policy: 'rollback',
        stages: [{ name: 'a b', traffic: 0, bake: '5 minutes', gate: ['smoke'] }],
        timeouts: { approval: -1 },
        regoins: [],
      }),
    ).toEqual([
      'model: write the model as catalog.schema.model',
      'version: Invalid input: expected number, received string',
      'stages[0].name: stage names are letters, digits, ".", "_" or "-"',
      'stages[0].traffic: traffic is 1-100',
      'stages[0].bake: "5 minutes" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
      'stages[0].gate[0]: Invalid option: expected one of "health"|"edge-cases"|"load"|"canary"',
      'timeouts.approval: "-1" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
      'failure_policy: Invalid option: expected one of "rollback-region"|"rollback-all"',
      'regoins: unknown field; remove it or correct its spelling',
    ]);
  });

  it('reports cross-field problems next to type errors elsewhere', () => {
    // zod alone skips refinements after a type error; the plan schema runs them when the fields they read are sound.
    expect(
      problems({
        ...base,
        version: 2,
        alias: 'challenger',
        failure_policy: 'rollback',
        timeouts: { approval: 'forever' },
        stages: [
          { name: 'canary', traffic: 50, bake: 'soon' },
          { name: 'half', traffic: 10, gate: ['smoke'] },
        ],
      }),
    ).toEqual([
      'stages[0].bake: "soon" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
      'stages[1].gate[0]: Invalid option: expected one of "health"|"edge-cases"|"load"|"canary"',
      'timeouts.approval: "forever" is not a duration; write a non-negative number of milliseconds or e.g. "250ms", "2s", "5m", "1h"',
      'failure_policy: Invalid option: expected one of "rollback-region"|"rollback-all"',
      'alias: give version or alias, not both',
      'stages[1].traffic: traffic must not go down between stages (50% before it)',
    ]);
    // When a field the rules read has the wrong type, they wait until it is fixed rather than guess.
    expect(problems({ ...base, version: 2, alias: 'x', primary: 1 })).toEqual([
      'primary: Invalid input: expected string, received number',
    ]);
  });

  it('names bad values in regions, waves and tests', () => {
    expect(
      problems({
        ...base,
        primary: 'US-East',
        alias: 'my alias',
        regions: [
          { ...primary, name: 'US-East', served_entity: { workload_size: 'Huge' } },
          { ...eu, shared_catalog: 'ml shared', endpoint: 'churn endpoint' },
          ap,
        ],
      }),
    ).toEqual([
      'alias: aliases are letters, digits, "_" or "-", e.g. challenger',
      'regions[0].name: region names are lower-case, e.g. eu-west-1',
      'regions[0].served_entity.workload_size: Invalid option: expected one of "Small"|"Medium"|"Large"',
      'regions[1].shared_catalog: catalog names are letters, digits, "_" or "-", e.g. ml_shared',
      'regions[1].endpoint: endpoint names are 1-63 letters, digits, "-" or "_", starting with a letter or digit',
    ]);
    expect(
      problems({
        ...base,
        waves: [
          { name: 'first wave', regions: [] },
          { name: 'rest', regions: ['us-east-1', 'eu-west-1', 'ap-south-1'], parallelism: 0 },
        ],
        tests: { health: { queries: 0, input: [] }, edge_cases: { file: '', tolerance: -1 } },
        stages: [{ name: 'canary', traffic: 10.5 }],
      }),
    ).toEqual([
      'waves[0].name: wave names are letters, digits, ".", "_" or "-"',
      'waves[0].regions: a wave needs at least one region',
      'waves[1].parallelism: parallelism is at least 1',
      'stages[0].traffic: traffic is a whole percentage',
      'tests.health.queries: Too small: expected number to be >=1',
      'tests.health.input: Invalid input: expected record, received array',
      'tests.edge_cases.file: Too small: expected string to have >=1 characters',
      'tests.edge_cases.tolerance: Too small: expected number to be >=0',
    ]);
    expect(problems({ ...base, regions: [] })).toEqual([
      'regions: list at least one region',
      'primary: "us-east-1" is not one of regions[].name',
    ]);
    expect(problems({ ...base, stages: [] })).toEqual(['stages: give at least one stage']);
  });
});

describe('lead review: further refusals', () => {
  const base = () => ({
    model: 'main.ml.m',
    primary: 'us-east-1',
    regions: [
      { name: 'us-east-1', workspace: { profile: 'us' }, endpoint: 'e' },
      {
        name: 'eu-west-1',
        workspace: { host: 'https://adb-1.2.azuredatabricks.net' },
        shared_catalog: 'ml_shared',
        endpoint: 'e',
      },
    ],
    stages: [{ name: 'canary', traffic: 10 }],
  });
  const problemsOf = (input: unknown) => {
    const result = planSchema.safeParse(input);
    return result.success ? [] : formatZodIssues(result.error);
  };

  it('refuses non-http hosts and credentials in the URL', () => {
    for (const host of ['ftp://x.example.com', 'https://user:pw@adb-1.azuredatabricks.net', 'not a url']) {
      const plan = base();
      plan.regions[1].workspace = { host };
      expect(problemsOf(plan)).toEqual([
        expect.stringMatching(/^regions\[1\]\.workspace\.host: write the workspace URL/),
      ]);
    }
    expect(problemsOf(base())).toEqual([]);
  });

  it('refuses a shared catalog on the primary, zero timeouts and repeated gate checks', () => {
    const plan: any = base();
    plan.regions[0].shared_catalog = 'x';
    plan.timeouts = { replication: 0 };
    plan.stages[0].gate = ['health', 'health'];
    plan.tests = { health: { input: { a: 1 } } };
    expect(problemsOf(plan)).toEqual([
      'stages[0].gate: each check is listed once',
      'timeouts.replication: must be at least 100ms',
      'regions[0].shared_catalog: the primary reads the model under its own name; remove shared_catalog from us-east-1',
    ]);
  });
});

describe('load and canary gates', () => {
  const base = () => ({
    model: 'main.ml.m',
    primary: 'us-east-1',
    regions: [{ name: 'us-east-1', workspace: { profile: 'us' }, endpoint: 'e' }],
    stages: [{ name: 'canary', traffic: 10, gate: ['canary', 'load'] }],
  });
  const problemsOf = (input: unknown) => {
    const result = planSchema.safeParse(input);
    return result.success ? [] : formatZodIssues(result.error);
  };

  it('needs their settings and inputs to probe with', () => {
    expect(problemsOf(base())).toEqual([
      'stages[0].gate: load and canary probes send the inputs of tests.health and tests.edge_cases: give at least one',
      'stages[0].gate: the load gate needs tests.load',
      'stages[0].gate: the canary gate needs tests.canary',
    ]);
    const plan = {
      ...base(),
      tests: { health: { input: { a: 1 } }, load: { rps: 50, duration: '10s' }, canary: {} },
    };
    expect(problemsOf(plan)).toEqual([]);
    const parsed = planSchema.parse(plan);
    expect(parsed.tests.canary).toEqual({
      sources: ['probes'],
      probe_rps: 50,
      alpha: 0.05,
      beta: 0.05,
      error_floor: { relative: 2, absolute: 0.005 },
      latency_floor: 0.1,
      quantiles: [0.5, 0.99],
      max_extension: 300_000,
      on_deadline: 'fail',
    });
    expect(parsed.tests.load).toMatchObject({ rps: 50, duration: 10_000, concurrency: 64, timeout: 10_000, slo: {} });
  });

  it('refuses inconsistent judge settings and impossible load, and says what replaced the removed keys', () => {
    const plan = {
      ...base(),
      tests: {
        health: { input: { a: 1 } },
        load: { rps: 0, duration: '0s' },
        canary: {
          min_requests: 500,
          max_requests: 300,
          error_rate_floor: 0.01,
          alpha: 0.7,
          sources: ['live', 'live'],
          quantiles: [99],
          error_floor: { relative: 0.5 },
        },
      },
    };
    expect(problemsOf(plan)).toEqual([
      'tests.load.rps: rps is at least 1 request per second',
      'tests.load.duration: must be at least 1s',
      'tests.canary.sources: name each source once',
      'tests.canary.alpha: Too big: expected number to be <0.5',
      'tests.canary.error_floor.relative: relative is a ratio of at least 1 (×2: twice the current rate)',
      'tests.canary.quantiles[0]: quantiles are between 0 and 1, e.g. 0.99',
      'tests.canary.min_requests: min_requests was removed: the judge is sequential and needs no minimum sample; delete the key',
      'tests.canary.max_requests: max_requests was removed: the judge passes as soon as non-inferiority is shown; delete the key (the window is the stage bake plus max_extension)',
      'tests.canary.error_rate_floor: error_rate_floor was replaced by error_floor: { relative: 2, absolute: 0.005 } (harm needs both); write that instead',
    ]);
  });
});
