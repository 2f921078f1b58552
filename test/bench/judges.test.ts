/**
 * The bench's baselines (bench/judges): the Kayenta-style classifier against scipy, the Kayenta-style judge and the
 * threshold judge on seeded synthetic minutes, and the harness's counting.
 *
 * SCIPY_REFERENCE was computed once with Python 3.11, scipy 1.17.1, numpy 2.4.6 in a throwaway venv (nothing Python
 * lives in the repo; re-run this script there to regenerate). It implements Kayenta's interval independently of
 * bench/judges/kayenta.ts: R's asymptotic wilcox.test inversion (ranks of x − μ and y with average ties, tie- and
 * continuity-corrected z), solved for μ with scipy's brentq, where kayenta.ts reads the roots off the sorted
 * pairwise differences; the estimate is numpy's median of the pairwise differences, the p-value scipy's
 * mannwhitneyu (two-sided, asymptotic, continuity).
 *
 *   import json, math, numpy as np
 *   from scipy import stats
 *   from scipy.optimize import brentq
 *
 *   def wdiff(mu, q, x, y):
 *       # R wilcox.test asymptotic CI inversion (correct=TRUE), as Kayenta's MannWhitney.scala describes it
 *       nx, ny = len(x), len(y)
 *       r = stats.rankdata(np.concatenate([np.asarray(x) - mu, y]))
 *       _, counts = np.unique(r, return_counts=True)
 *       dz = r[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
 *       corr = np.sign(dz) * 0.5
 *       sigma = math.sqrt(nx * ny / 12 * ((nx + ny + 1) - (counts**3 - counts).sum() / ((nx + ny) * (nx + ny - 1))))
 *       return (dz - corr) / sigma - q
 *
 *   def invert(x, y, conf):
 *       a = 1 - conf
 *       lo, hi = min(x) - max(y), max(x) - min(y)
 *       def root(q):
 *           fl, fu = wdiff(lo, q, x, y), wdiff(hi, q, x, y)
 *           if fl <= 0: return lo
 *           if fu >= 0: return hi
 *           return brentq(lambda m: wdiff(m, q, x, y), lo, hi, xtol=1e-12, rtol=1e-14, maxiter=500)
 *       zq = stats.norm.ppf(a / 2)
 *       return root(-zq), root(zq)
 *
 *   rng = np.random.default_rng(20261203)
 *   cases = []
 *   # control (champion), experiment (challenger)
 *   cases.append(([31.0, 28.5, 35.2, 30.1, 29.9, 33.4, 27.8, 32.6, 30.7, 34.1, 29.2, 31.8],
 *                 [36.5, 33.0, 38.9, 35.1, 40.2, 34.4, 37.7, 39.0, 35.8, 33.9]))
 *   cases.append(([0, 0, 0.002, 0, 0.001, 0, 0, 0.003, 0, 0.001, 0, 0, 0.002, 0, 0],
 *                 [0, 0.004, 0.002, 0.006, 0, 0.003, 0.005, 0, 0.004, 0.002, 0.007, 0.003, 0, 0.005, 0.004]))
 *   cases.append(([float(v) for v in np.round(rng.lognormal(4, 0.3, 30), 1)],
 *                 [float(v) for v in np.round(rng.lognormal(4, 0.3, 30), 1)]))
 *   cases.append(([float(v) for v in np.round(rng.lognormal(4, 0.3, 25), 0)],
 *                 [float(v) for v in np.round(rng.lognormal(3.85, 0.3, 20), 0)]))
 *   out = []
 *   for cp, ch in cases:
 *       row = dict(control=cp, experiment=ch)
 *       row['p'] = float(stats.mannwhitneyu(ch, cp, alternative='two-sided', use_continuity=True, method='asymptotic').pvalue)
 *       d = np.subtract.outer(np.array(ch), np.array(cp)).ravel()
 *       row['hl'] = float(np.median(d))
 *       for conf in (0.95, 0.98):
 *           lo, hi = invert(ch, cp, conf)
 *           row[f'ci{int(conf*100)}'] = [float(lo), float(hi)]
 *       out.append(row)
 *   print(json.dumps(out))
 */
import { aggregate, type Answer, type Batch, type VersionAggregate } from '../../src/analysis/batch';
import { Random } from '../../src/emulator/random';
import {
  adaptDecidingJudge,
  compareJudges,
  formatComparison,
  runJudge,
  type BenchCase,
  type BenchJudge,
  type Verdict,
} from '../../bench/judges/harness';
import {
  classifyMetric,
  hodgesLehmannShift,
  kayentaJudge,
  kayentaScore,
  metricSeries,
  type MetricComparison,
} from '../../bench/judges/kayenta';
import { thresholdJudge } from '../../bench/judges/threshold';

const SCIPY_REFERENCE: {
  control: number[];
  experiment: number[];
  p: number;
  hl: number;
  ci95: [number, number];
  ci98: [number, number];
}[] = [
  {
    control: [31.0, 28.5, 35.2, 30.1, 29.9, 33.4, 27.8, 32.6, 30.7, 34.1, 29.2, 31.8],
    experiment: [36.5, 33.0, 38.9, 35.1, 40.2, 34.4, 37.7, 39.0, 35.8, 33.9],
    p: 0.0005366804361047722,
    hl: 5.199999999999999,
    ci95: [3.0999999999997403, 7.6000000000000245],
    ci98: [2.499999999999913, 8.000000000000528],
  },
  {
    control: [0, 0, 0.002, 0, 0.001, 0, 0, 0.003, 0, 0.001, 0, 0, 0.002, 0, 0],
    experiment: [0, 0.004, 0.002, 0.006, 0, 0.003, 0.005, 0, 0.004, 0.002, 0.007, 0.003, 0, 0.005, 0.004],
    p: 0.003296646920394659,
    hl: 0.003,
    ci95: [4.1320739629275545e-13, 0.003999999999394548],
    ci98: [1.5770743173889492e-13, 0.004000000000345168],
  },
  {
    control: [
      34.4, 30.7, 46.8, 93.1, 63.0, 57.5, 48.3, 51.0, 61.5, 57.9, 48.5, 60.6, 61.2, 70.6, 93.8, 28.7, 51.7, 61.6, 74.7,
      71.5, 46.7, 75.1, 49.2, 45.1, 70.6, 35.3, 87.0, 36.5, 69.0, 50.0,
    ],
    experiment: [
      67.2, 56.6, 41.2, 71.8, 49.0, 57.3, 90.0, 55.3, 42.0, 30.6, 63.3, 61.7, 65.3, 65.1, 49.1, 50.7, 72.7, 94.5, 44.0,
      79.7, 48.3, 59.9, 44.3, 37.0, 38.1, 51.7, 47.5, 34.2, 40.6, 35.7,
    ],
    p: 0.4733281168194794,
    hl: -3.3000000000000007,
    ci95: [-12.199999999999257, 5.300000000000606],
    ci98: [-13.400000000000203, 7.200000000000584],
  },
  {
    control: [
      67.0, 69.0, 44.0, 35.0, 53.0, 59.0, 73.0, 65.0, 54.0, 41.0, 72.0, 58.0, 40.0, 97.0, 75.0, 56.0, 53.0, 66.0, 47.0,
      41.0, 46.0, 58.0, 25.0, 59.0, 64.0,
    ],
    experiment: [
      47.0, 66.0, 40.0, 67.0, 37.0, 57.0, 79.0, 38.0, 35.0, 52.0, 49.0, 45.0, 45.0, 100.0, 59.0, 53.0, 68.0, 29.0, 54.0,
      78.0,
    ],
    p: 0.5296788774673584,
    hl: -3.0,
    ci95: [-12.999999999999288, 7.00000000000024],
    ci98: [-14.999999999999416, 9.00000000000044],
  },
];

// ---- A small seeded generator of live metric minutes --------------------------------------------------------------

interface Version {
  requestsPerMinute: number;
  p5xx: number;
  p4xx: number;
  medianMs: number;
  /** Log-scale spread of the lognormal latency. */
  sigma: number;
}

const CHAMPION: Version = { requestsPerMinute: 900, p5xx: 0.002, p4xx: 0.005, medianMs: 40, sigma: 0.4 };
const CHALLENGER: Version = { ...CHAMPION, requestsPerMinute: 100 };

function poisson(rand: Random, lambda: number): number {
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rand.normal()));
  let k = 0;
  let p = Math.exp(-lambda);
  let cumulative = p;
  const u = rand.next();
  while (u > cumulative) {
    k++;
    p *= lambda / k;
    cumulative += p;
  }
  return k;
}

/** One version's metric minute: Poisson requests, Bernoulli 5xx/4xx, lognormal latencies, nearest-rank p50/p99. */
function minuteOf(rand: Random, v: Version): VersionAggregate {
  const answers: Answer[] = [];
  const n = poisson(rand, v.requestsPerMinute);
  for (let i = 0; i < n; i++) {
    const u = rand.next();
    const status = u < v.p5xx ? 503 : u < v.p5xx + v.p4xx ? 400 : 200;
    answers.push({ status, latencyMs: v.medianMs * Math.exp(v.sigma * rand.normal()) });
  }
  return aggregate(answers, [0.5, 0.99]);
}

function* live(seed: number, challenger: Version, minutes = 120): Generator<Batch> {
  const rand = new Random(seed);
  for (let m = 0; m < minutes; m++)
    yield {
      source: 'live',
      endsAt: 60_000 * (m + 1),
      champion: minuteOf(rand, CHAMPION),
      challenger: minuteOf(rand, challenger),
      challengerShare: 0.1,
    };
}

/** A hand-made aggregate: `requests` answers, `errors5xx` of them 5xx, with the given p99 (p50 = p99 / 2). */
function agg(
  requests: number,
  errors5xx: number,
  p99: number,
  extra: Partial<VersionAggregate> = {},
): VersionAggregate {
  const quantilesMs: Record<string, number> = requests > 0 ? { p50: p99 / 2, p99 } : {};
  return { requests, errors4xx: 0, errors5xx, throttled: 0, quantilesMs, ...extra };
}

function batch(challenger: VersionAggregate, champion: VersionAggregate = agg(900, 2, 100)): Batch {
  return { source: 'live', endsAt: 0, champion, challenger, challengerShare: 0.1 };
}

const GOOD = batch(agg(100, 0, 100));
const BAD = batch(agg(100, 5, 100)); // 95 % success

function feed(judge: BenchJudge, batches: readonly Batch[]): Verdict[] {
  return batches.map((b) => judge.observe(b));
}

// ---- Kayenta ------------------------------------------------------------------------------------------------------

describe('Kayenta interval and test, against scipy', () => {
  it.each(SCIPY_REFERENCE.map((ref, i) => ({ ...ref, i })))('case $i', (ref) => {
    for (const [confidence, [lower, upper]] of [
      [0.95, ref.ci95],
      [0.98, ref.ci98],
    ] as const) {
      const shift = hodgesLehmannShift(ref.control, ref.experiment, confidence);
      expect(shift.estimate).toBeCloseTo(ref.hl, 12);
      // brentq stops within ~1e-12 of the jump; the exact order statistic is the jump itself.
      expect(shift.lower).toBeCloseTo(lower, 9);
      expect(shift.upper).toBeCloseTo(upper, 9);
      expect(shift.lower).toBeLessThanOrEqual(shift.estimate);
      expect(shift.upper).toBeGreaterThanOrEqual(shift.estimate);
    }
    const { pValue } = classifyMetric(ref.control, ref.experiment);
    expect(Math.abs(pValue - ref.p)).toBeLessThan(1e-9 * ref.p);
  });

  it('rejects an empty sample and a confidence outside (0, 1), naming the field', () => {
    expect(() => hodgesLehmannShift([], [1, 2], 0.98)).toThrow(/at least one finite value/);
    expect(() => hodgesLehmannShift([1], [2], 1)).toThrow(/confidence must be in \(0, 1\)/);
  });
});

describe('classifyMetric (Kayenta MannWhitneyClassifier rules)', () => {
  const [shifted, , equal] = SCIPY_REFERENCE;

  it('marks a clearly higher series High and an equal one Pass', () => {
    const high = classifyMetric(shifted.control, shifted.experiment);
    expect(high.classification).toBe('High');
    expect(high.lower).toBeCloseTo(2.5, 9); // 98 % interval, > 0.25 × 5.2
    expect(classifyMetric(equal.control, equal.experiment).classification).toBe('Pass');
  });

  it('needs the lower end above tolerance × |estimate|, not just above 0', () => {
    // lower 2.5, estimate 5.2: bound 0.45 × 5.2 = 2.34 < 2.5 < 2.6 = 0.5 × 5.2
    expect(classifyMetric(shifted.control, shifted.experiment, { tolerance: 0.45 }).classification).toBe('High');
    expect(classifyMetric(shifted.control, shifted.experiment, { tolerance: 0.5 }).classification).toBe('Pass');
  });

  it('needs the mean ratio to reach allowedIncrease (36.45 / 31.19 = 1.169)', () => {
    expect(classifyMetric(shifted.control, shifted.experiment, { allowedIncrease: 1.15 }).classification).toBe('High');
    expect(classifyMetric(shifted.control, shifted.experiment, { allowedIncrease: 1.2 }).classification).toBe('Pass');
  });

  it('passes a lower series when only an increase is bad, and marks it Low for direction either', () => {
    expect(classifyMetric(shifted.experiment, shifted.control).classification).toBe('Pass');
    expect(classifyMetric(shifted.experiment, shifted.control, { direction: 'either' }).classification).toBe('Low');
  });

  it('handles no data, identical data, NaN minutes and two different constants', () => {
    expect(classifyMetric([NaN, NaN], [1, 2]).classification).toBe('Nodata');
    expect(classifyMetric([3, 1, 2], [1, 2, 3])).toMatchObject({ classification: 'Pass', reason: 'identical data' });
    expect(classifyMetric([0, 0, NaN], [0, 0, 0])).toMatchObject({ classification: 'Pass' });
    const constant = classifyMetric(Array(10).fill(0), Array(10).fill(0.01));
    expect(constant).toMatchObject({ classification: 'High', estimate: 0.01, lower: 0.01, upper: 0.01 });
  });
});

describe('kayentaScore', () => {
  const m = (classification: MetricComparison['classification']): MetricComparison => ({
    classification,
    reason: '',
    estimate: 0,
    lower: 0,
    upper: 0,
    pValue: 1,
    meanRatio: 1,
  });
  const score = (...labels: MetricComparison['classification'][]) =>
    kayentaScore(Object.fromEntries(labels.map((l, i) => [`m${i}`, m(l)])));

  it('is the percentage of Pass among the classified metrics, pass from 95', () => {
    expect(score('Pass', 'Pass', 'Pass', 'High')).toMatchObject({ score: 75, classification: 'Marginal' });
    expect(score('Pass', 'Pass', 'High')).toMatchObject({ score: 66.67, classification: 'Fail' });
    expect(score(...Array<'Pass'>(19).fill('Pass'), 'High')).toMatchObject({ score: 95, classification: 'Pass' });
    expect(score('Pass', 'Pass', 'Pass', 'Nodata')).toMatchObject({ score: 100, classification: 'Pass' });
  });

  it('is 0 when half the metrics or more have no data', () => {
    expect(score('Pass', 'Pass', 'Nodata', 'Nodata')).toMatchObject({ score: 0, classification: 'Fail' });
  });
});

describe('kayentaJudge', () => {
  const options = { horizonMinutes: 30, quantiles: ['p50', 'p99'] };

  it('reads per-minute rates and quantiles, NaN for a minute without requests', () => {
    const series = metricSeries([batch(agg(0, 0, 0)), batch(agg(200, 4, 80, { errors4xx: 10 }))], ['p99']);
    expect(series['errors-5xx'].experiment).toEqual([NaN, 0.02]);
    expect(series['errors-4xx'].experiment).toEqual([NaN, 0.05]);
    expect(series['latency-p99']).toEqual({ control: [100, 100], experiment: [NaN, 80] });
  });

  it('continues until the horizon, then passes equal traffic once and for all', () => {
    const judge = kayentaJudge(options);
    const verdicts = feed(judge, [...live(1, CHALLENGER, 32)]);
    expect(verdicts.slice(0, 29).every((v) => v === 'continue')).toBe(true);
    expect(verdicts.slice(29)).toEqual(['pass', 'pass', 'pass']);
    expect(judge.report()?.score).toBe(100);
  });

  it('fails a 5xx regression and a latency regression at the horizon, naming the metric', () => {
    const errors = kayentaJudge(options);
    expect(feed(errors, [...live(2, { ...CHALLENGER, p5xx: 0.03 }, 30)]).at(-1)).toBe('fail');
    expect(errors.report()?.metrics['errors-5xx'].classification).toBe('High');
    const slow = kayentaJudge(options);
    expect(feed(slow, [...live(3, { ...CHALLENGER, medianMs: 52 }, 30)]).at(-1)).toBe('fail');
    expect(slow.report()?.metrics['latency-p50'].classification).toBe('High');
  });

  it('rejects bad options, naming the field', () => {
    expect(() => kayentaJudge({ horizonMinutes: 0, quantiles: [] })).toThrow(/horizonMinutes/);
    expect(() => kayentaJudge({ horizonMinutes: 5, quantiles: ['0.99'] })).toThrow(/quantiles/);
    expect(() => kayentaJudge({ horizonMinutes: 5, quantiles: [], passThreshold: 70 })).toThrow(/marginalThreshold/);
  });
});

// ---- Threshold ----------------------------------------------------------------------------------------------------

describe('thresholdJudge', () => {
  it('fails at exactly failureLimit failed checks, counted over the whole analysis', () => {
    const pattern = [GOOD, BAD, GOOD, BAD, GOOD, BAD];
    expect(feed(thresholdJudge({ iterations: 10, failureLimit: 3 }), pattern)).toEqual([
      'continue',
      'continue',
      'continue',
      'continue',
      'continue',
      'fail',
    ]);
    expect(feed(thresholdJudge({ iterations: 10, failureLimit: 4 }), pattern).at(-1)).toBe('continue');
  });

  it('passes after `iterations` passing checks; a failed check is not an iteration', () => {
    expect(feed(thresholdJudge({ iterations: 3 }), [GOOD, BAD, GOOD, GOOD])).toEqual([
      'continue',
      'continue',
      'continue',
      'pass',
    ]);
  });

  it('counts only 5xx against the success rate, from 99 % inclusive', () => {
    const judge = thresholdJudge({ iterations: 10, failureLimit: 1 });
    expect(judge.observe(batch(agg(200, 2, 100, { errors4xx: 50, throttled: 30 })))).toBe('continue'); // 99.0 %
    expect(judge.observe(batch(agg(200, 3, 100)))).toBe('fail'); // 98.5 %
    expect(judge.checks().map((c) => c.successRatePercent)).toEqual([99, 98.5]);
  });

  it('fails an interval without challenger traffic (Flagger: no values found)', () => {
    const judge = thresholdJudge({ iterations: 10, failureLimit: 1 });
    expect(judge.observe(batch(agg(0, 0, 0)))).toBe('fail');
    expect(judge.checks()[0].reason).toMatch(/no values found/);
  });

  it('limits p99 to 1.5 × the champion p99 by default, or to a fixed maxMs', () => {
    const relative = thresholdJudge({ iterations: 2, failureLimit: 1 });
    expect(relative.observe(batch(agg(100, 0, 150)))).toBe('continue');
    expect(relative.observe(batch(agg(100, 0, 151)))).toBe('fail');
    const fixed = thresholdJudge({ iterations: 1, failureLimit: 1, latency: { maxMs: 500 } });
    expect(fixed.observe(batch(agg(100, 0, 500)))).toBe('pass');
    expect(
      thresholdJudge({ iterations: 1, failureLimit: 1, latency: { maxMs: 500 } }).observe(batch(agg(100, 0, 501))),
    ).toBe('fail');
  });

  it('pools the batches of a longer interval', () => {
    const judge = thresholdJudge({ iterations: 1, intervalMinutes: 2, failureLimit: 1 });
    expect(judge.observe(batch(agg(100, 2, 100)))).toBe('continue'); // 98 % alone, but no check yet
    expect(judge.observe(batch(agg(100, 0, 100)))).toBe('pass'); // 99 % over the interval
    expect(judge.checks()).toHaveLength(1);
  });

  it('rejects bad options, naming the field', () => {
    expect(() => thresholdJudge({ iterations: 0 })).toThrow(/iterations/);
    expect(() => thresholdJudge({ iterations: 1, minSuccessRatePercent: 150 })).toThrow(/minSuccessRatePercent/);
    expect(() => thresholdJudge({ iterations: 1, latency: { championFactor: 0 } })).toThrow(/championFactor/);
  });
});

// ---- Harness ------------------------------------------------------------------------------------------------------

/** A judge that fails on the first batch with a challenger 5xx and passes on the first with exactly 7 requests. */
const scripted = (name: string) => (): BenchJudge => ({
  name,
  observe: (b) => (b.challenger.errors5xx > 0 ? 'fail' : b.challenger.requests === 7 ? 'pass' : 'continue'),
});
const CLEAN = batch(agg(100, 0, 100));
const ERROR = batch(agg(100, 1, 100));
const PASSING = batch(agg(7, 0, 100));

function* forever(b: Batch): Generator<Batch> {
  for (;;) yield b;
}

describe('runJudge', () => {
  it('stops at the first verdict and counts the minutes', () => {
    expect(runJudge(scripted('s'), [CLEAN, CLEAN, ERROR, PASSING], 10)).toEqual({ decision: 'fail', minutes: 3 });
    expect(runJudge(scripted('s'), [CLEAN, PASSING, ERROR], 10)).toEqual({ decision: 'pass', minutes: 2 });
  });

  it('is undecided when the batches or maxMinutes run out', () => {
    expect(runJudge(scripted('s'), [CLEAN, CLEAN], 10)).toEqual({ decision: 'undecided', minutes: 2 });
    expect(runJudge(scripted('s'), forever(CLEAN), 25)).toEqual({ decision: 'undecided', minutes: 25 });
    expect(runJudge(scripted('s'), [ERROR], 0)).toEqual({ decision: 'undecided', minutes: 0 });
    expect(() => runJudge(scripted('s'), [], -1)).toThrow(/maxMinutes/);
  });

  it('takes a judge whose observe returns { decision } through the adapter', () => {
    const make = adaptDecidingJudge('sequential', () => ({
      observe: (b: Batch) => ({ decision: b.challenger.errors5xx > 0 ? ('fail' as const) : ('continue' as const) }),
    }));
    expect(make().name).toBe('sequential');
    expect(runJudge(make, [CLEAN, ERROR], 5)).toEqual({ decision: 'fail', minutes: 2 });
  });
});

describe('compareJudges', () => {
  const cases: BenchCase[] = [
    {
      name: 'equal',
      expected: 'pass',
      // odd seeds: a false failure at minute 2; even seeds: a pass at minute seed + 1
      batches: (seed) => (seed % 2 === 1 ? [CLEAN, ERROR] : [...Array<Batch>(seed).fill(CLEAN), PASSING]),
    },
    { name: 'bad', expected: 'fail', batches: () => forever(CLEAN) },
  ];

  it('counts decisions, false failures, misses and minutes to a verdict', () => {
    const rows = compareJudges({ cases, judges: [scripted('s')], seeds: 5, maxMinutes: 10 });
    expect(rows).toEqual([
      {
        judge: 's',
        case: 'equal',
        expected: 'pass',
        runs: 5,
        pass: 2,
        fail: 3,
        undecided: 0,
        falseFailureRate: 0.6,
        missRate: null,
        medianMinutes: 2, // decided minutes 2, 2, 2, 3, 5
        p90Minutes: 5,
      },
      {
        judge: 's',
        case: 'bad',
        expected: 'fail',
        runs: 5,
        pass: 0,
        fail: 0,
        undecided: 5,
        falseFailureRate: null,
        missRate: 1,
        medianMinutes: null,
        p90Minutes: null,
      },
    ]);
    const table = formatComparison(rows);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('| s | equal | pass | 5 | 2 | 3 | 0 | 60.0% | — | 2 | 5 |');
    expect(table).toContain('| s | bad | fail | 5 | 0 | 0 | 5 | — | 100.0% | — | — |');
  });

  it('runs both baselines on simulated minutes: Kayenta decides at its horizon, the threshold check at its limit', () => {
    const simulated: BenchCase[] = [
      { name: 'equal', expected: 'pass', batches: (seed) => live(seed, CHALLENGER, 40) },
      { name: '5xx ×25', expected: 'fail', batches: (seed) => live(seed, { ...CHALLENGER, p5xx: 0.05 }, 40) },
    ];
    const rows = compareJudges({
      cases: simulated,
      judges: [
        () => kayentaJudge({ horizonMinutes: 20, quantiles: ['p50', 'p99'] }),
        () => thresholdJudge({ iterations: 10, failureLimit: 5 }),
      ],
      seeds: 4,
      maxMinutes: 40,
    });
    const row = (judge: string, name: string) => rows.find((r) => r.judge.startsWith(judge) && r.case === name)!;
    expect(row('kayenta', 'equal')).toMatchObject({ pass: 4, falseFailureRate: 0, medianMinutes: 20 });
    expect(row('kayenta', '5xx ×25')).toMatchObject({ fail: 4, missRate: 0, medianMinutes: 20, p90Minutes: 20 });
    expect(row('threshold', 'equal')).toMatchObject({ pass: 4, falseFailureRate: 0 });
    // ~5 % 5xx on ~100 requests a minute fails nearly every one-minute check: rollback at the 5th failed check
    expect(row('threshold', '5xx ×25')).toMatchObject({ fail: 4, missRate: 0, medianMinutes: 5 });
  });
});
