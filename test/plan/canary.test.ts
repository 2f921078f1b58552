/** The canary settings of rollouts started before the sequential judge, completed for it (src/plan/canary.ts). */
import { canarySettings } from '../../src/plan/canary';
import { planSchema } from '../../src/plan/schema';

test('the previous shape keeps probes and its absolute error floor, with no relative floor', () => {
  const previous = {
    probe_rps: 200,
    min_requests: 200,
    max_requests: 600,
    alpha: 0.05,
    error_rate_floor: 0.01,
    latency_floor: 0.1,
    max_extension: 10_000,
  };
  expect(canarySettings(previous)).toEqual({
    sources: ['probes'],
    probe_rps: 200,
    alpha: 0.05,
    beta: 0.05,
    error_floor: { relative: 1, absolute: 0.01 },
    latency_floor: 0.1,
    quantiles: [0.5, 0.99],
    max_extension: 10_000,
    on_deadline: 'fail',
  });
});

test('the current shape passes through as parsed', () => {
  const settings = { sources: ['live'], error_floor: { relative: 3, absolute: 0.01 }, quantiles: [0.9] };
  expect(canarySettings(settings)).toMatchObject(settings);
  expect(() => canarySettings({ sources: [] })).toThrow('name at least one source: live, probes or paired');
});

describe('in a plan', () => {
  const plan = (canary: object, traffic: number, tests: object = {}) => ({
    model: 'main.ml.m',
    primary: 'us-east-1',
    regions: [{ name: 'us-east-1', workspace: { host: 'https://a.cloud.databricks.com' }, endpoint: 'e' }],
    tests: { canary, ...tests },
    stages: [{ name: 'canary', traffic, bake: '1h', gate: ['canary'] }],
  });
  const problems = (input: object) =>
    planSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

  test('live traffic alone needs no probe inputs, but a split to judge', () => {
    expect(problems(plan({ sources: ['live'] }, 10))).toEqual([]);
    expect(problems(plan({ sources: ['live'] }, 100))).toEqual([
      'stages.0.traffic: live traffic judges the new version against the current one under the split: give a weight between 1 and 99 (it is 100), or judge this stage on probes',
    ]);
    expect(problems(plan({ sources: ['live', 'probes'] }, 10))).toEqual([
      'stages.0.gate: load and canary probes send the inputs of tests.health and tests.edge_cases: give at least one',
      "tests.canary.sources: live cannot be judged together with probes: the endpoint's metrics count our own probe requests as if users sent them, so the live split would look skewed towards 50/50 (a sample-ratio mismatch) and users' errors diluted; judge a stage on [live] alone, or on probes and paired",
    ]);
    expect(problems(plan({ sources: ['paired', 'live'] }, 10))[1]).toMatch(
      /^tests.canary.sources: live cannot be judged together with paired: /,
    );
  });
});
