/** How a rollout that did not succeed fails its workflow (src/shared/rollout-failure.ts). */
import { isRolloutFailureType, rolloutFailureMessage, rolloutFailureType } from '../../src/shared/rollout-failure';
import { ROLLOUT_OUTCOMES } from '../../src/shared/phases';
import type { RegionReport, RolloutReport } from '../../src/shared/types';

const region = (name: string, outcome: RegionReport['outcome'], error?: string): RegionReport => ({
  region: name,
  phase: outcome === 'skipped' ? 'skipped' : outcome === 'promoted' ? 'promoted' : 'rolled-back',
  outcome,
  challengerWeight: outcome === 'promoted' ? 100 : 0,
  phaseSince: '2026-01-01T00:00:00.000Z',
  paused: false,
  checks: [],
  approvals: [],
  timeline: [],
  ...(error ? { error } : {}),
});
const report = (outcome: RolloutReport['outcome'], regions: RegionReport[], error?: string): RolloutReport => ({
  rolloutId: 'rollout-main.ml.fraud-v12',
  model: 'main.ml.fraud',
  version: 12,
  phase: 'done',
  outcome,
  paused: false,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:05:00.000Z',
  regions,
  ...(error ? { error } : {}),
});

it('types each outcome but success, and recognises only those types', () => {
  const failed = ROLLOUT_OUTCOMES.filter((o) => o !== 'succeeded');
  expect(failed.map(rolloutFailureType)).toEqual([
    'RolloutRolledBack',
    'RolloutPartiallyFailed',
    'RolloutFailed',
    'RolloutAborted',
    'RolloutSuperseded',
    'RolloutRefused',
  ]);
  expect(failed.every((o) => isRolloutFailureType(rolloutFailureType(o)))).toBe(true);
  for (const other of ['RegionRolledBack', 'CheckFailed', 'Rollout', '', null, undefined])
    expect(isRolloutFailureType(other)).toBe(false);
});

it('reads as a sentence: what happened, where, and the first cause', () => {
  const health = 'health failed in stage canary: 2 of 3 queries answered';
  expect(
    rolloutFailureMessage(
      report('rolled-back', [region('eu-west-1', 'rolled-back', health), region('ap-south-1', 'skipped')], health),
    ),
  ).toBe(`rolled back in eu-west-1: ${health}`);
  expect(
    rolloutFailureMessage(
      report(
        'partially-failed',
        [region('us-east-1', 'promoted'), region('eu-west-1', 'rolled-back', 'UPDATE_FAILED')],
        'UPDATE_FAILED',
      ),
    ),
  ).toBe('partially failed: promoted in us-east-1, not in eu-west-1: UPDATE_FAILED');
  // Pre-flight and operator stops say the outcome themselves.
  expect(
    rolloutFailureMessage(report('aborted', [region('eu-west-1', 'rolled-back')], 'aborted by ana: bad data')),
  ).toBe('aborted by ana: bad data');
  expect(rolloutFailureMessage(report('failed', [], 'pre-flight failed, nothing was touched: x'))).toBe(
    'failed: pre-flight failed, nothing was touched: x',
  );
  const many = Array.from({ length: 20 }, (_, i) => region(`region-${i}`, 'rolled-back', 'x'.repeat(100)));
  const long = rolloutFailureMessage(report('rolled-back', many, 'y'.repeat(600)));
  expect(long).toMatch(/^rolled back in region-0, region-1, region-2 and 17 more: y+\.\.\.$/);
  expect(long).toHaveLength(500);
});
