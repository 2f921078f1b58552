import { planSchema } from '../../src/plan/schema';
import { formatZodIssues } from '../../src/shared/duration';
import { planInput } from './helpers';

const base = planInput() as any;
const health = { queries: 1, input: { amount: 1 } };

function problems(input: unknown): string[] {
  const result = planSchema.safeParse(input);
  if (result.success) throw new Error('expected the plan to be refused');
  return formatZodIssues(result.error);
}

describe('A/B stages in a plan', () => {
  it('fills in the defaults', () => {
    const plan = planSchema.parse({
      ...base,
      tests: { health },
      stages: [{ name: 'ab', traffic: 50, bake: '30m', ab: {} }],
    });
    expect(plan.stages[0].ab).toEqual({
      metric: 'error_rate',
      decide_by: 'rule',
      on_tie: 'approval',
      alpha: 0.05,
      probe_rps: 20,
    });
  });

  it('names every field an A/B stage gets wrong, with the fix', () => {
    expect(
      problems({
        ...base,
        stages: [
          { name: 'ab', traffic: 100, gate: ['canary'], ab: { metric: 'latency_p99', probe_rps: 0, source: 'probes' } },
        ],
        tests: { canary: {} },
      }),
    ).toEqual(
      expect.arrayContaining([
        'stages[0].bake: an A/B stage measures for its bake time: give one, e.g. bake: 30m',
        'stages[0].traffic: an A/B stage splits traffic: give the new version less than 100%, e.g. 50',
        'stages[0].gate: an A/B stage measures both versions itself: remove canary from its gate',
        'stages[0].ab.probe_rps: source: probes needs probe_rps above 0 (or source: live, the users under the split)',
      ]),
    );
    expect(
      problems({
        ...base,
        tests: { health },
        stages: [{ name: 'ab', traffic: 50, bake: '1m', ab: { metric: 'speed' } }],
      }),
    ).toEqual([expect.stringMatching(/^stages\[0\]\.ab\.metric: /)]);
    expect(problems({ ...base, stages: [{ name: 'ab', traffic: 50, bake: '1m', ab: {} }] })).toEqual([
      'stages[0].ab.probe_rps: A/B probes send the inputs of tests.health and tests.edge_cases: give one, or probe_rps: 0',
    ]);
  });
});

describe('the shadow check in a plan', () => {
  it('needs inputs to score', () => {
    expect(problems({ ...base, tests: { shadow: {} } })).toEqual([
      'tests.shadow: the shadow check scores the inputs of tests.health and tests.edge_cases: give at least one',
    ]);
    expect(planSchema.parse({ ...base, tests: { health, shadow: {} } }).tests.shadow).toEqual({
      tolerance: 0,
      max_disagreement: 0.05,
    });
  });
});
