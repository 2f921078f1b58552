/** Which tags and alias a finished rollout records, and tag values within Unity Catalog's limits. */
import { renderStepSummary } from '../../src/cli/step-summary';
import { describeChanges } from '../../src/follow';
import type { RolloutReport } from '../../src/shared/types';
import {
  DEFAULT_REGISTRY_SETTINGS,
  describeRegistryRecord,
  fitTagValue,
  MAX_REGION_TAGS,
  RESERVED_TAG_KEY_CHARACTERS,
  regionTagKey,
  registryWrites,
  rollbackReason,
  type RegionEnd,
} from '../../src/shared/registry-outcome';

const promoted: RegionEnd[] = [
  { region: 'us-east-1', outcome: 'promoted' },
  { region: 'eu-west-1', outcome: 'promoted' },
];
const partly: RegionEnd[] = [
  { region: 'us-east-1', outcome: 'promoted' },
  { region: 'eu-west-1', outcome: 'rolled-back', error: 'canary failed: 5xx rate 12% vs 0.1%' },
  { region: 'ap-southeast-1', outcome: 'skipped' },
];
const live = { on_success: { alias: 'live', tags: { stage: 'prod' } }, tag_outcomes: true };

describe('fitTagValue', () => {
  it('keeps a value within the limit as it is', () => {
    expect(fitTagValue('x'.repeat(1000))).toBe('x'.repeat(1000));
  });
  it('cuts a longer one to exactly the limit, ending with an ellipsis', () => {
    const cut = fitTagValue('y'.repeat(1500));
    expect([...cut]).toHaveLength(1000);
    expect(cut.endsWith('y…')).toBe(true);
  });
  it('counts characters, not UTF-16 units, and never splits one', () => {
    const cut = fitTagValue('😀'.repeat(12), 10);
    expect([...cut]).toEqual([...'😀'.repeat(9), '…']);
  });
});

describe('tag keys', () => {
  it('are valid Unity Catalog tag keys for any region name', () => {
    expect(regionTagKey('eu-west-1')).toBe('model_rollout_eu_west_1');
    expect(RESERVED_TAG_KEY_CHARACTERS.test(regionTagKey('ap-southeast-1'))).toBe(false);
    for (const [key] of registryWrites(DEFAULT_REGISTRY_SETTINGS, 'partially-failed', partly).tags)
      expect(key).toMatch(/^[A-Za-z0-9_]{1,255}$/);
  });
});

describe('registryWrites', () => {
  it('on success: outcome and region tags, then the plan tags, and the alias', () => {
    expect(registryWrites(live, 'succeeded', promoted)).toEqual({
      tags: [
        ['model_rollout_outcome', 'succeeded'],
        ['model_rollout_us_east_1', 'promoted'],
        ['model_rollout_eu_west_1', 'promoted'],
        ['stage', 'prod'],
      ],
      alias: 'live',
    });
  });

  it('on partial success: the rollback reason first, each region outcome, no plan tags, and no alias move', () => {
    expect(registryWrites(live, 'partially-failed', partly)).toEqual({
      tags: [
        ['model_rollout_rolled_back', 'eu-west-1: canary failed: 5xx rate 12% vs 0.1%'],
        ['model_rollout_outcome', 'partially-failed'],
        ['model_rollout_us_east_1', 'promoted'],
        ['model_rollout_eu_west_1', 'rolled-back'],
        ['model_rollout_ap_southeast_1', 'skipped'],
      ],
      aliasNotMoved: 'live not moved: the rollout partially-failed, and the alias moves only when it succeeded',
    });
  });

  it('an abort that restored regions gives the operator and reason as the rollback reason', () => {
    const restored: RegionEnd[] = [{ region: 'us-east-1', outcome: 'rolled-back' }];
    const writes = registryWrites(DEFAULT_REGISTRY_SETTINGS, 'aborted', restored, {
      kind: 'aborted',
      by: 'alice',
      reason: 'p99 regression on the dashboard',
    });
    expect(writes.tags[0]).toEqual(['model_rollout_rolled_back', 'aborted by alice: p99 regression on the dashboard']);
  });

  it('a failure in which nothing was rolled back sets no rolled_back tag', () => {
    const untouched: RegionEnd[] = [{ region: 'us-east-1', outcome: 'untouched', error: 'replication timed out' }];
    expect(registryWrites(DEFAULT_REGISTRY_SETTINGS, 'failed', untouched).tags).toEqual([
      ['model_rollout_outcome', 'failed'],
      ['model_rollout_us_east_1', 'untouched'],
    ]);
  });

  it('with tag_outcomes off: only the plan tags and alias, on success only', () => {
    const quiet = { ...live, tag_outcomes: false };
    expect(registryWrites(quiet, 'succeeded', promoted)).toEqual({ tags: [['stage', 'prod']], alias: 'live' });
    expect(registryWrites(quiet, 'rolled-back', partly).tags).toEqual([]);
  });

  it('cuts a long rollback reason to the tag value limit', () => {
    const long: RegionEnd[] = [{ region: 'us-east-1', outcome: 'rolled-back', error: 'e'.repeat(5000) }];
    const [key, value] = registryWrites(DEFAULT_REGISTRY_SETTINGS, 'rolled-back', long).tags[0];
    expect(key).toBe('model_rollout_rolled_back');
    expect(value).toHaveLength(1000);
    expect(value.endsWith('…')).toBe(true);
  });

  it(`writes one summary tag instead of a tag per region beyond ${MAX_REGION_TAGS} regions`, () => {
    const many: RegionEnd[] = Array.from({ length: MAX_REGION_TAGS + 1 }, (_, i) => ({
      region: `r${i}`,
      outcome: i === 7 ? 'rolled-back' : 'promoted',
      error: i === 7 ? 'gate failed' : undefined,
    }));
    const { tags } = registryWrites(DEFAULT_REGISTRY_SETTINGS, 'partially-failed', many);
    expect(tags.map(([key]) => key)).toEqual([
      'model_rollout_rolled_back',
      'model_rollout_outcome',
      'model_rollout_regions',
    ]);
    expect(tags[2][1]).toMatch(/^rolled-back: r7; promoted: r0, r1, r2, r3, r4, r5, r6, r8, /);
  });
});

describe('rollbackReason', () => {
  it('names a region whose rollback failed too, and says so when it gave no error', () => {
    expect(rollbackReason([{ region: 'eu-west-1', outcome: 'rollback-failed' }])).toBe('eu-west-1: rollback-failed');
    expect(rollbackReason(promoted)).toBeUndefined();
  });
});

describe('rollbackReason under rollback-all', () => {
  it('gives the region that failed, not one the policy cancelled', () => {
    const regions: RegionEnd[] = [
      { region: 'us-east-1', outcome: 'rolled-back' },
      { region: 'eu-west-1', outcome: 'rolled-back', error: 'cancelled' },
      { region: 'ap-southeast-1', outcome: 'rolled-back', error: 'UPDATE_FAILED' },
    ];
    expect(rollbackReason(regions)).toBe('ap-southeast-1: UPDATE_FAILED');
  });
  it('gives an untouched region whose failure made the policy restore the others', () => {
    const regions: RegionEnd[] = [
      { region: 'us-east-1', outcome: 'rolled-back' },
      { region: 'eu-west-1', outcome: 'untouched', error: 'did not appear in eu-west-1 within 2s' },
    ];
    expect(rollbackReason(regions)).toBe('eu-west-1: did not appear in eu-west-1 within 2s');
  });
});

describe('what the operator is told', () => {
  const recorded = {
    region: 'us-east-1',
    tags: { model_rollout_outcome: 'succeeded', stage: 'prod' },
    alias: 'live',
  };
  it('says which tags were set and which alias moved, where', () => {
    expect(describeRegistryRecord(recorded, 12)).toBe(
      'registry (us-east-1): tagged v12 model_rollout_outcome=succeeded, stage=prod; moved alias live to v12',
    );
  });
  it('says when the alias was not moved, and when nothing could be recorded', () => {
    expect(
      describeRegistryRecord(
        {
          region: 'us-east-1',
          tags: { model_rollout_outcome: 'partially-failed' },
          aliasNotMoved: 'live not moved: x',
        },
        3,
      ),
    ).toBe('registry (us-east-1): tagged v3 model_rollout_outcome=partially-failed; live not moved: x');
    expect(describeRegistryRecord({ region: 'us-east-1', tags: {}, failed: 'PERMISSION_DENIED' }, 3)).toBe(
      'registry (us-east-1): NOT RECORDED: PERMISSION_DENIED',
    );
  });
  it('in the step summary and in the follow lines', () => {
    const report: RolloutReport = {
      rolloutId: 'rollout-main.ml.m-v12',
      model: 'main.ml.m',
      version: 12,
      phase: 'done',
      outcome: 'succeeded',
      paused: false,
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
      regions: [],
      registry: recorded,
    };
    // Markdown-escaped, as all free text in the summary.
    expect(renderStepSummary(report)).toContain(
      '- registry (us-east-1): tagged v12 model\\_rollout\\_outcome=succeeded, stage=prod; moved alias live to v12\n',
    );
    const before = { ...report, registry: undefined };
    expect(describeChanges(before, report)).toContain(
      'rollout: registry (us-east-1): tagged v12 model_rollout_outcome=succeeded, stage=prod; moved alias live to v12',
    );
    expect(describeChanges(report, report)).toEqual([]);
  });
});
