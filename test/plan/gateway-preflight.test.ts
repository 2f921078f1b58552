import { liveJudgedStages, peakTestRate } from '../../src/plan/gateway-preflight';
import { planSchema, type PlanInput } from '../../src/plan/schema';

const plan = (overrides: Partial<PlanInput>) =>
  planSchema.parse({
    model: 'main.ml.m',
    primary: 'us-east-1',
    regions: [{ name: 'us-east-1', workspace: { profile: 'us' }, endpoint: 'e' }],
    stages: [{ name: 'canary', traffic: 10 }],
    ...overrides,
  });

describe('liveJudgedStages', () => {
  it('names canary gates judged on live traffic and A/B stages decided on it, in order', () => {
    const p = plan({
      tests: { canary: { sources: ['live'] }, health: { queries: 1, input: {} } },
      stages: [
        { name: 'first', traffic: 5, bake: '1m', gate: ['canary'] },
        { name: 'ab-probes', traffic: 20, bake: '1m', ab: { source: 'probes' } },
        { name: 'ab-users', traffic: 30, bake: '1m', ab: { probe_rps: 0 } },
        { name: 'ab-live', traffic: 40, bake: '1m', ab: { source: 'live' } },
        { name: 'all', traffic: 100 },
      ],
    });
    expect(liveJudgedStages(p)).toEqual(['first', 'ab-users', 'ab-live']);
  });

  it('is empty when the canary is judged on probes only', () => {
    const p = plan({
      tests: { canary: { sources: ['probes', 'paired'] }, health: { queries: 1, input: {} } },
      stages: [{ name: 'first', traffic: 5, bake: '1m', gate: ['canary'] }],
    });
    expect(liveJudgedStages(p)).toEqual([]);
  });
});

describe('peakTestRate', () => {
  it('is the busiest stage: a load test, or probes to both versions', () => {
    const p = plan({
      tests: {
        canary: { sources: ['probes'], probe_rps: 40 },
        load: { rps: 150, duration: '10s' },
        health: { queries: 1, input: {} },
      },
      stages: [
        { name: 'canary', traffic: 5, bake: '1m', gate: ['canary'] },
        { name: 'half', traffic: 50, bake: '1m', gate: ['load'] },
        { name: 'ab', traffic: 60, bake: '1m', ab: { probe_rps: 90 } },
      ],
    });
    expect(peakTestRate(p)).toEqual({ rps: 180, stage: 'ab' });
  });

  it('is undefined when the plan sends no test traffic of its own beyond health checks', () => {
    const p = plan({ tests: { canary: { sources: ['live'] } }, stages: [{ name: 'c', traffic: 5, gate: ['canary'] }] });
    expect(peakTestRate(p)).toBeUndefined();
  });
});
