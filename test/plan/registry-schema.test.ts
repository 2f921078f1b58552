/** The plan's `registry` field: what a finished rollout records in the primary's Unity Catalog. */
import { planSchema } from '../../src/plan/schema';
import { describePlan } from '../../src/plan/describe';
import { formatZodIssues } from '../../src/shared/duration';
import { planInput } from './helpers';

const base = planInput() as any;

function problems(registry: unknown): string[] {
  const result = planSchema.safeParse({ ...base, registry });
  if (result.success) throw new Error('expected the plan to be refused');
  return formatZodIssues(result.error);
}

it('defaults to outcome tags and no alias', () => {
  expect(planSchema.parse(base).registry).toEqual({ tag_outcomes: true });
});

it('accepts an alias and tags to set on success, and outcome tags turned off', () => {
  const plan = planSchema.parse({
    ...base,
    registry: { on_success: { alias: 'live', tags: { stage: 'prod', deployed_by: 'ci' } }, tag_outcomes: false },
  });
  expect(plan.registry).toEqual({
    on_success: { alias: 'live', tags: { stage: 'prod', deployed_by: 'ci' } },
    tag_outcomes: false,
  });
});

it.each([
  [
    { on_success: { alias: 'live now' } },
    'registry.on_success.alias: aliases are letters, digits, "_" or "-", e.g. live',
  ],
  [
    { on_success: { alias: 'v3' } },
    'registry.on_success.alias: latest and v<number> name versions already (Unity Catalog reserves them); pick another alias, e.g. live',
  ],
  [
    { on_success: { tags: { 'team.name': 'x' } } },
    'registry.on_success.tags.team.name: tag keys are letters, digits or "_" (Unity Catalog refuses . , - = / : in tag keys), e.g. deployed_stage',
  ],
  [
    { on_success: { tags: { model_rollout_outcome: 'ok' } } },
    "registry.on_success.tags.model_rollout_outcome: keys starting with model_rollout_ are the rollout's own outcome tags; pick another key",
  ],
  [
    { on_success: { tags: { tier: 1 } } },
    'registry.on_success.tags.tier: tag values are strings: quote it, e.g. stage: "prod" or tier: "1"',
  ],
  [
    { on_success: { tags: { note: 'long'.repeat(251) } } },
    'registry.on_success.tags.note: tag values are at most 1000 characters (Unity Catalog)',
  ],
  [{ tag_outcomes: 'yes' }, 'registry.tag_outcomes: tag_outcomes is true or false'],
  [{ on_succes: { alias: 'live' } }, 'registry.on_succes: unknown field; remove it or correct its spelling'],
])('refuses %j, naming the field and the fix', (registry, expected) => {
  expect(problems(registry)).toEqual([expected]);
});

it('refuses more on_success tags than leave room for the outcome tags', () => {
  const tags = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, 'x']));
  expect(problems({ on_success: { tags } })).toEqual([
    "registry.on_success.tags: at most 8 tags (Unity Catalog keeps 50 per version, and the rollout's outcome tags need room)",
  ]);
});

describe('rollout plan says what the registry will record', () => {
  it('by default: the outcome tags, in the primary', () => {
    expect(describePlan(planSchema.parse(base), [])).toContain(
      "At the end: in us-east-1's Unity Catalog, tags the version with its outcome (model_rollout_outcome, one model_rollout_<region> each, and model_rollout_rolled_back with the reason when a region is rolled back)\n",
    );
  });
  it('with an alias and tags on success', () => {
    const plan = planSchema.parse({
      ...base,
      registry: { on_success: { alias: 'live', tags: { stage: 'prod' } }, tag_outcomes: false },
    });
    expect(describePlan(plan, [])).toContain(
      "At the end: in us-east-1's Unity Catalog, when every region promoted, moves alias live to the version and tags it stage=prod\n",
    );
  });
  it('with nothing to record', () => {
    const plan = planSchema.parse({ ...base, registry: { tag_outcomes: false } });
    expect(describePlan(plan, [])).toContain(
      'At the end: records nothing in the registry (registry.tag_outcomes: false)\n',
    );
  });
});
