/** The one definition of phases (src/shared/phases.ts) and the sets derived from it. */
import {
  ACTIVE_REGION_PHASES,
  CRITICAL_PHASES,
  ENDED_REGION_PHASES,
  PERSON_WAIT_PHASES,
  REGION_PHASES,
  ROLLOUT_OUTCOMES,
  ROLLOUT_STATUS_VALUES,
  STAGE_PHASES,
  type RegionPhase,
} from '../../src/shared/phases';

const all = Object.keys(REGION_PHASES) as RegionPhase[];

it('puts every region phase in exactly one of: not started, active, ended', () => {
  for (const phase of all) {
    const memberships = [phase === 'pending', ACTIVE_REGION_PHASES.has(phase), ENDED_REGION_PHASES.has(phase)];
    expect([phase, memberships.filter(Boolean).length]).toEqual([phase, 1]);
  }
});

it('counts every phase a region can be stopped or paused in as active, the three measuring phases included', () => {
  // judging, shadow-testing and ab-testing were missing from the hand-kept list once, so pause skipped them.
  expect([...ACTIVE_REGION_PHASES].sort()).toEqual(
    [
      'ab-testing',
      'awaiting-approval',
      'baking',
      'gating',
      'judging',
      'promoting',
      'recording-baseline',
      'recording-rollback-point',
      'rollback-failed',
      'rolling-back',
      'shadow-testing',
      'testing',
      'updating',
      'waiting-for-endpoint',
      'watching',
      'waiting-for-replication',
    ].sort(),
  );
  expect([...ENDED_REGION_PHASES].sort()).toEqual(['failed', 'promoted', 'rolled-back', 'skipped', 'unchanged']);
});

it('derives the sets the CLI and the charts use', () => {
  expect([...PERSON_WAIT_PHASES].sort()).toEqual(['awaiting-approval', 'rollback-failed']);
  expect([...CRITICAL_PHASES].sort()).toEqual(['failed', 'rollback-failed', 'rolled-back', 'rolling-back']);
  expect(STAGE_PHASES.has('judging')).toBe(true);
  expect(STAGE_PHASES.has('promoting')).toBe(false);
  expect(STAGE_PHASES.has('watching')).toBe(false);
});

it('lists every value of the RolloutStatus search attribute once, outcomes last', () => {
  expect(new Set(ROLLOUT_STATUS_VALUES).size).toBe(ROLLOUT_STATUS_VALUES.length);
  expect(ROLLOUT_STATUS_VALUES).not.toContain('done');
  expect(ROLLOUT_STATUS_VALUES.slice(-ROLLOUT_OUTCOMES.length)).toEqual([...ROLLOUT_OUTCOMES]);
  expect(ROLLOUT_STATUS_VALUES).toEqual(expect.arrayContaining(['pre-flight', 'paused', 'rollback-failed']));
});
