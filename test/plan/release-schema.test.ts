/** The plan's `release` field: other models, or the model on other endpoints, shipping with the version. */
import { describePlan } from '../../src/plan/describe';
import { planSchema } from '../../src/plan/schema';
import { formatZodIssues } from '../../src/shared/duration';
import { planInput } from './helpers';

const base = planInput() as any;

function problems(release: unknown): string[] {
  const result = planSchema.safeParse({ ...base, release });
  if (result.success) throw new Error('expected the plan to be refused');
  return formatZodIssues(result.error);
}

it('accepts a companion model by version or alias, and the model on a second endpoint', () => {
  const plan = planSchema.parse({
    ...base,
    release: [
      { name: 'features', model: 'main.ml.churn_features', alias: 'champion', endpoint: 'churn-features' },
      {
        name: 'lookup',
        model: 'main.ml.churn_lookup',
        version: 7,
        endpoint: 'churn-lookup',
        health: { input: { id: 1 } },
      },
      { name: 'batch', endpoint: 'churn-batch', served_entity: { workload_size: 'Large' } },
    ],
  });
  expect(plan.release!.map((m) => [m.name, m.model, m.version, m.alias, m.endpoint])).toEqual([
    ['features', 'main.ml.churn_features', undefined, 'champion', 'churn-features'],
    ['lookup', 'main.ml.churn_lookup', 7, undefined, 'churn-lookup'],
    ['batch', undefined, undefined, undefined, 'churn-batch'],
  ]);
  expect(plan.release![1].health).toEqual({ queries: 3, input: { id: 1 } });
  expect(plan.release![2].served_entity).toEqual({ workload_size: 'Large' });
});

it.each([
  [[], 'release: list at least one member, or remove release'],
  [
    [{ name: 'f', model: 'main.ml.features', endpoint: 'features' }],
    'release[0].version: say which version of main.ml.features ships with each rollout: version: N or alias: A (e.g. champion)',
  ],
  [
    [{ name: 'f', model: 'main.ml.features', version: 3, alias: 'champion', endpoint: 'features' }],
    'release[0].alias: give version or alias, not both',
  ],
  [
    [{ name: 'b', version: 3, endpoint: 'churn-batch' }],
    "release[0].version: a member of the plan's own model (main.ml.churn) ships the version being rolled out; remove it, or name another model",
  ],
  [
    [{ name: 'b', endpoint: 'churn-ap' }],
    "release[0].endpoint: churn-ap is already region ap-south-1's endpoint; each member needs an endpoint of its own (two models on one endpoint: give the region replaces, and a plan per model)",
  ],
  [
    [
      { name: 'a', endpoint: 'churn-batch' },
      { name: 'a', endpoint: 'churn-batch' },
    ],
    'release[1].name: member "a" is listed twice',
  ],
  [
    [{ name: 'f', model: 'features', version: 1, endpoint: 'x' }],
    'release[0].model: write the model as catalog.schema.model',
  ],
  [
    [{ name: 'f', endpoint: '-x' }],
    'release[0].endpoint: endpoint names are 1-63 letters, digits, "-" or "_", starting with a letter or digit',
  ],
  [[{ name: 'f', endpoint: 'x', stages: [] }], 'release[0].stages: unknown field; remove it or correct its spelling'],
])('refuses %j, naming the field and the fix', (release, expected) => {
  expect(problems(release)).toContain(expected);
});

it('refuses two members on one endpoint, and more than four members', () => {
  expect(
    problems([
      { name: 'a', endpoint: 'churn-batch' },
      { name: 'b', endpoint: 'churn-batch' },
    ]),
  ).toContain("release[1].endpoint: churn-batch is already member a's endpoint");
  expect(problems([1, 2, 3, 4, 5].map((n) => ({ name: `m${n}`, endpoint: `e${n}` })))).toContain(
    'release: at most 4 members; split the release into several plans',
  );
});

it('rollout plan lists the release members with the version each ships', () => {
  const plan = planSchema.parse({
    ...base,
    release: [
      { name: 'features', model: 'main.ml.churn_features', alias: 'champion', endpoint: 'churn-features' },
      { name: 'batch', endpoint: 'churn-batch', health: { input: { id: 1 } } },
    ],
  });
  const text = describePlan(plan, []);
  expect(text).toContain(
    [
      'Release: 3 endpoints per region move together, stage by stage; if any fails, every one of them in that region is restored',
      "  main.ml.churn: the version rolled out, on each region's endpoint above",
      '  features: main.ml.churn_features, the version alias champion names in us-east-1, read at pre-flight, on endpoint churn-features in every region',
      '  batch: main.ml.churn, the version rolled out, on endpoint churn-batch in every region; health: 3 queries of its own input',
    ].join('\n'),
  );
});
