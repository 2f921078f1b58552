/**
 * The judgement after promotion on constructed minutes: the promoted version's minutes against the replaced version's
 * minutes recorded before the rollout, through the canary's sequential judge (pure, no I/O).
 */
import type { VersionAggregate } from '../../src/analysis/batch';
import { afterPromotionJudge, baselineMinutes } from '../../src/activities/after-promotion';
import { beforeAfterBatches, type RecordedMinute } from '../../src/activities/live-minutes';
import { canarySchema } from '../../src/plan/schema';

const MINUTE = 60_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE);

function minuteOf(requests: number, errors5xx: number, p50: number, p99: number, errors4xx = 0): VersionAggregate {
  return {
    requests,
    errors4xx,
    errors5xx,
    throttled: 0,
    quantilesMs: { p50, p99 },
    latencyCount: requests - errors4xx - errors5xx,
  };
}

/** The old version before the rollout: 10 minutes of about 600 requests with 0.2% errors, p50 20ms, p99 60ms. */
const baseline = Array.from({ length: 10 }, (_, i) => minuteOf(600 + (i % 3) * 7, 1 + (i % 2), 20 + (i % 4), 60 + i));

/** Minutes of the promoted version (entity v2) after the promotion. */
function after(count: number, make: (i: number) => VersionAggregate): RecordedMinute[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: T0 + (i + 1) * MINUTE,
    entities: { v2: make(i), other: minuteOf(10, 10, 1, 1) },
  }));
}

function judge(minutes: RecordedMinute[], canary?: object) {
  const j = afterPromotionJudge(canary ? canarySchema.parse(canary) : undefined);
  let verdict = j.verdict();
  let decidedAt: number | undefined;
  // One minute per look, as the activity reads them.
  minutes.forEach((minute, k) => {
    for (const batch of beforeAfterBatches(baseline, [minute], 'v2', k)) {
      verdict = j.observe(batch);
      if (verdict.decision === 'fail' && decidedAt === undefined) decidedAt = k + 1;
    }
  });
  return { verdict, decidedAt };
}

it('fails a version whose 5xx rate went from 0.2% to 6% after promotion, within a few minutes', () => {
  const { verdict, decidedAt } = judge(after(30, (i) => minuteOf(610 + i, 36 + (i % 5), 21, 62)));
  expect(verdict.decision).toBe('fail');
  expect(decidedAt).toBeLessThanOrEqual(5);
  expect(verdict.reasons.join('; ')).toMatch(
    /errors-5xx \(live\) worse beyond the margin: .* new-version requests vs /,
  );
});

it('fails a version whose p99 latency doubled, the error rate unchanged', () => {
  const { verdict } = judge(after(30, (i) => minuteOf(600, 1 + (i % 2), 40, 140 + i)));
  expect(verdict.decision).toBe('fail');
  expect(verdict.reasons.join('; ')).toMatch(/latency-p99 \(live\) worse beyond the margin/);
});

it('never fails the same behaviour as before the rollout over a 30-minute watch', () => {
  const { verdict } = judge(after(30, (i) => baseline[i % baseline.length]));
  expect(verdict.decision).not.toBe('fail');
  // The split is the realised one: the sample-ratio check has nothing to find.
  expect(verdict.findings).toEqual([]);
});

it('takes the margins from tests.canary: a 0.2% → 0.6% rise fails at ×1.5 and +0.1 points, not at the defaults', () => {
  const worse = after(60, (i) => minuteOf(600, 3 + (i % 2 ? 1 : 0), 20, 60));
  expect(judge(worse).verdict.decision).not.toBe('fail');
  expect(judge(worse, { error_floor: { relative: 1.5, absolute: 0.001 } }).verdict.decision).toBe('fail');
});

it('pairs minutes round robin with the baseline, skipping minutes without traffic on either side', () => {
  const minutes = after(3, (i) => minuteOf(i === 1 ? 0 : 100, 0, 10, 20));
  const batches = beforeAfterBatches(baseline.slice(0, 2), minutes, 'v2', 1);
  expect(batches.map((b) => [b.endsAt - T0, b.champion, b.challengerShare])).toEqual([
    [MINUTE, baseline[1], 100 / (100 + baseline[1].requests)],
    [3 * MINUTE, baseline[1], 100 / (100 + baseline[1].requests)],
  ]);
  expect(beforeAfterBatches([], minutes, 'v2', 0)).toEqual([]);
  expect(beforeAfterBatches(baseline, minutes, 'missing', 0)).toEqual([]);
});

it('keeps as many minutes as the baseline has, at least one', () => {
  expect([baselineMinutes(10 * MINUTE), baselineMinutes(MINUTE), baselineMinutes(90_000), baselineMinutes(1)]).toEqual([
    10, 1, 2, 1,
  ]);
});
