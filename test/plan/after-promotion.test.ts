/** The plan's after_promotion section: its defaults, its bad windows, and what `rollout plan` says about it. */
import { describePlan, estimateDuration } from '../../src/plan/describe';
import { estimateRolloutHistoryEvents } from '../../src/plan/limits';
import { planSchema } from '../../src/plan/schema';
import { parsePlan, planInput } from './helpers';

const withWatch = (afterPromotion: unknown) => ({ ...planInput(), after_promotion: afterPromotion });

function problems(input: unknown): string[] {
  const result = planSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

it('defaults the rollback window to the whole watch and the baseline to 10 minutes', () => {
  expect(parsePlan(withWatch({ watch: '30m' })).after_promotion).toEqual({
    watch: 30 * 60_000,
    rollback_window: 30 * 60_000,
    baseline: 10 * 60_000,
  });
  expect(parsePlan(withWatch({ watch: '1h', rollback_window: '15m', baseline: '5m' })).after_promotion).toEqual({
    watch: 60 * 60_000,
    rollback_window: 15 * 60_000,
    baseline: 5 * 60_000,
  });
  expect(parsePlan(planInput()).after_promotion).toBeUndefined();
});

it('refuses a rollback window longer than the watch, naming the field and the fix', () => {
  expect(problems(withWatch({ watch: '30m', rollback_window: '45m' }))).toEqual([
    'after_promotion.rollback_window: rollback_window (45m) is longer than watch (30m): nothing is judged after the watch ends; make rollback_window at most 30m, or watch longer',
  ]);
});

it('refuses watches and baselines shorter than a metric minute, a missing watch, and unknown keys', () => {
  expect(problems(withWatch({ watch: '30s' }))).toEqual([
    'after_promotion.watch: must be at least 1m (one metric minute)',
  ]);
  expect(problems(withWatch({ watch: '30m', baseline: '10s' }))).toEqual([
    'after_promotion.baseline: must be at least 1m (one metric minute)',
  ]);
  expect(problems(withWatch({ watch: '30m', baseline: '2h' }))).toEqual([
    'after_promotion.baseline: must be at most 1h',
  ]);
  expect(problems(withWatch({ rollback_window: '5m' }))).toEqual([expect.stringMatching(/^after_promotion\.watch: /)]);
  expect(problems(withWatch({ watch: '30m', window: '5m' }))).toEqual([
    expect.stringMatching(/^after_promotion: Unrecognized key: "window"/),
  ]);
});

it('counts the baseline and the watch in the duration estimates, and says what a regression does', () => {
  const plain = estimateDuration(parsePlan(planInput()));
  const watched = estimateDuration(parsePlan(withWatch({ watch: '30m', rollback_window: '10m', baseline: '20m' })));
  // Replication's default (15m) is shorter than the 20m baseline: the region waits for the baseline instead.
  expect(watched.region.worstMs - plain.region.worstMs).toBe((20 - 15 + 30) * 60_000);
  expect(watched.region.bakeMs - plain.region.bakeMs).toBe((20 + 30) * 60_000);
  const text = describePlan(parsePlan(withWatch({ watch: '30m', rollback_window: '10m', baseline: '20m' })), []);
  expect(text).toContain(
    "then: watch 30m at 100%: the new version's live traffic, minute by minute, against the current version's own 20m recorded before the first change",
  );
  expect(text).toContain(
    'a clear regression found within 10m of the promotion restores the rollback point automatically; one found later is reported as a warning and the version stays',
  );
  expect(text).toMatch(/per region: max\(replication 15m, baseline 20m\) \+ .* \+ watch 30m = /);
  expect(describePlan(parsePlan(planInput()), [])).not.toContain('watch');
});

it('adds the watch to the history estimate', () => {
  expect(estimateRolloutHistoryEvents(3, 2, true)).toBeGreaterThan(estimateRolloutHistoryEvents(3, 2));
});
