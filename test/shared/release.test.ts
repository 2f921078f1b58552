/** How a release reads in status lines and tables (src/shared/release.ts). */
import { describeChanges } from '../../src/follow';
import { describeRelease, weightWithRelease } from '../../src/shared/release';
import type { RegionStatus, ReleaseMemberStatus, RolloutStatus } from '../../src/shared/types';

const member = { name: 'features', model: 'main.ml.fraud_features', version: 7, endpoint: 'fraud-features' };
const shown = (state: ReleaseMemberStatus['state'], challengerWeight: number): ReleaseMemberStatus => ({
  ...member,
  state,
  challengerWeight,
});

it('names the version and every member, or nothing without a release', () => {
  expect(describeRelease({ model: 'main.ml.fraud', version: 12, release: [member] })).toBe(
    'release: main.ml.fraud v12 with features (main.ml.fraud_features v7 on fraud-features)',
  );
  expect(describeRelease({ model: 'main.ml.fraud', version: 12 })).toBeUndefined();
});

it("shows each member's weight beside the region's, with its state once it left the stages", () => {
  expect(weightWithRelease({ challengerWeight: 10 })).toBe('10%');
  expect(weightWithRelease({ challengerWeight: 10, release: [shown('serving', 10)] })).toBe('10% (features 10%)');
  expect(weightWithRelease({ challengerWeight: 0, release: [shown('rolled-back', 0)] })).toBe(
    '0% (features rolled-back 0%)',
  );
});

it('follows a member moving even when the region weight does not', () => {
  const region = (release: ReleaseMemberStatus[]): RegionStatus => ({
    region: 'eu-west-1',
    phase: 'rolling-back',
    challengerWeight: 0,
    phaseSince: '2026-01-01T00:00:00.000Z',
    paused: false,
    checks: [],
    approvals: [],
    timeline: [],
    release,
  });
  const status = (release: ReleaseMemberStatus[]): RolloutStatus => ({
    rolloutId: 'r',
    model: 'main.ml.fraud',
    version: 12,
    phase: 'rolling-out',
    paused: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    regions: [region(release)],
    release: [member],
  });
  const first = status([shown('serving', 10)]);
  expect(describeChanges(undefined, first)).toEqual([
    'rollout: rolling-out',
    'rollout: release: main.ml.fraud v12 with features (main.ml.fraud_features v7 on fraud-features)',
    'eu-west-1: rolling-back, new version at 0% (features 10%)',
  ]);
  expect(describeChanges(first, status([shown('rolled-back', 0)]))).toEqual([
    'eu-west-1: rolling-back, new version at 0% (features rolled-back 0%)',
  ]);
});
