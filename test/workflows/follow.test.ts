import { describeChanges } from '../../src/follow';
import type { RegionStatus, RolloutStatus } from '../../src/shared/types';

const region = (overrides: Partial<RegionStatus> = {}): RegionStatus => ({
  region: 'eu-west-1',
  phase: 'baking',
  stage: 'canary',
  challengerWeight: 10,
  phaseSince: '2026-01-01T00:00:00.000Z',
  paused: false,
  checks: [],
  approvals: [],
  timeline: [],
  ...overrides,
});
const status = (regions: RegionStatus[], overrides: Partial<RolloutStatus> = {}): RolloutStatus => ({
  rolloutId: 'r',
  model: 'm',
  version: 2,
  phase: 'rolling-out',
  wave: 'pilot',
  paused: false,
  startedAt: '2026-01-01T00:00:00.000Z',
  regions,
  ...overrides,
});

describe('describeChanges', () => {
  it('describes everything the first time, then only what changed, results before the phase they cause', () => {
    const first = status([region()]);
    expect(describeChanges(undefined, first)).toEqual([
      'rollout: rolling-out (wave pilot)',
      'eu-west-1: baking [canary], new version at 10%',
    ]);
    expect(describeChanges(first, first)).toEqual([]);
    const failed = status([
      region({
        phase: 'rolling-back',
        checks: [
          {
            check: 'edge-cases',
            stage: 'canary',
            passed: false,
            summary: '1 of 2 passed',
            failures: ['a: off'],
            at: 'x',
          },
        ],
        error: 'edge-cases failed',
      }),
    ]);
    // The region's error says what the failed check said: told once.
    expect(describeChanges(first, failed)).toEqual([
      'eu-west-1: edge-cases (canary) FAILED: 1 of 2 passed - a: off',
      'eu-west-1: rolling-back [canary], new version at 10%',
    ]);
    // An error the checks did not tell (an update that failed) is told.
    const updateFailed = status([region({ ...failed.regions[0], error: 'the update failed (UPDATE_FAILED)' })]);
    expect(describeChanges(failed, updateFailed)).toEqual(['eu-west-1: the update failed (UPDATE_FAILED)']);
    const approved = status([
      region({
        phase: 'promoting',
        approvals: [{ stage: 'canary', decision: 'approved', by: 'ann', reason: 'ok', at: 'x' }],
      }),
    ]);
    expect(describeChanges(first, approved)).toEqual([
      'eu-west-1: stage canary approved by ann (ok)',
      'eu-west-1: promoting [canary], new version at 10%',
    ]);
    expect(describeChanges(first, status([region({ paused: true })]))).toEqual([
      'eu-west-1: baking [canary], new version at 10% (paused)',
    ]);
  });

  it('tells the phases entered and left between two looks, in order with the results', () => {
    const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
    const check = (name: string, s: number) => ({ check: name, passed: true, summary: 'ok', failures: [], at: at(s) });
    const updating = region({
      phase: 'updating',
      challengerWeight: 0,
      timeline: [
        { phase: 'waiting-for-replication', at: at(0) },
        { phase: 'updating', stage: 'canary', at: at(1) },
      ],
    });
    const shadowTesting = region({
      phase: 'shadow-testing',
      challengerWeight: 0,
      checks: [check('health', 3), check('edge-cases', 4)],
      timeline: [
        ...updating.timeline,
        { phase: 'testing', stage: 'canary', at: at(2) },
        { phase: 'shadow-testing', stage: 'canary', at: at(5) },
      ],
    });
    expect(describeChanges(status([updating]), status([shadowTesting]))).toEqual([
      'eu-west-1: testing [canary]',
      'eu-west-1: health passed: ok',
      'eu-west-1: edge-cases passed: ok',
      'eu-west-1: shadow-testing [canary], new version at 0%',
    ]);
  });

  it('tells the weight of a phase entered and left between two looks, from its timeline entry', () => {
    const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;
    const updating = region({
      phase: 'updating',
      challengerWeight: 0,
      timeline: [{ phase: 'updating', stage: 'canary', at: at(1), weight: 0 }],
    });
    const promoting = region({
      phase: 'promoting',
      challengerWeight: 10,
      timeline: [
        ...updating.timeline,
        { phase: 'baking', stage: 'canary', at: at(2), weight: 10 },
        { phase: 'promoting', stage: 'canary', at: at(3), weight: 10 },
      ],
    });
    expect(describeChanges(status([updating]), status([promoting]))).toEqual([
      'eu-west-1: baking [canary], new version at 10%',
      'eu-west-1: promoting [canary], new version at 10%',
    ]);
  });
  it("tells a region's promotion before the next wave it lets start", () => {
    const pilot = status([
      region({ region: 'us-east-1' }),
      region({ phase: 'pending', stage: undefined, challengerWeight: 0 }),
    ]);
    const next = status(
      [
        region({ region: 'us-east-1', phase: 'promoted', stage: 'canary', challengerWeight: 100 }),
        region({ phase: 'waiting-for-replication', stage: undefined, challengerWeight: 0 }),
      ],
      { wave: 'rest' },
    );
    expect(describeChanges(pilot, next)).toEqual([
      'us-east-1: promoted [canary], new version at 100%',
      'eu-west-1: waiting-for-replication, new version at 0%',
      'rollout: rolling-out (wave rest)',
    ]);
  });
  it('orders what happened across regions by time, not by plan order', () => {
    const at = (s: number) => `2026-01-01T00:01:${String(s).padStart(2, '0')}.000Z`;
    const look = status([
      region({ region: 'us-east-1', phase: 'pending', stage: undefined, challengerWeight: 0 }),
      region({ phase: 'promoting', stage: 'half', challengerWeight: 50 }),
    ]);
    const next = status(
      [
        region({
          region: 'us-east-1',
          phase: 'waiting-for-replication',
          stage: undefined,
          challengerWeight: 0,
          phaseSince: at(5),
        }),
        region({ phase: 'promoted', stage: 'half', challengerWeight: 100, phaseSince: at(3) }),
      ],
      { wave: 'rest' },
    );
    expect(describeChanges(look, next)).toEqual([
      'eu-west-1: promoted [half], new version at 100%',
      'us-east-1: waiting-for-replication, new version at 0%',
      'rollout: rolling-out (wave rest)',
    ]);
  });
});
