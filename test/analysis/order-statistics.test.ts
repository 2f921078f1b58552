/**
 * The exact null of "the challenger's nearest-rank quantile is above the champion's": cross-checked against scipy on
 * inputs used nowhere else, and against a simulation of the samples themselves (which checks the formula, not only
 * its arithmetic).
 *
 * Reference values: Python 3.11, scipy 1.17.1, in a throwaway venv (nothing Python lives in the repo):
 *   from scipy import stats; import math
 *   rank = lambda n, q: min(n, max(1, math.ceil(q * n - 1e-9)))
 *   [[m, n, q, stats.hypergeom.cdf(rank(m, q) - 1, m + n, m, rank(m, q) + rank(n, q) - 1)] for m, n, q in CASES]
 */
import { nearestRank } from '../../src/analysis/batch';
import { quantileExceedanceNull } from '../../src/analysis/order-statistics';
import { Random } from '../../src/emulator/random';

const SCIPY: [number, number, number, number][] = [
  [6, 54, 0.5, 0.36829940799610733],
  [6, 54, 0.99, 0.1],
  [30, 270, 0.5, 0.43909408007686396],
  [30, 270, 0.99, 0.2718143251554398],
  [1, 1, 0.5, 0.5],
  [3, 97, 0.9, 0.27346938775510204],
  [50, 50, 0.95, 0.5],
  [7, 13, 0.25, 0.4058307533539731],
  [120, 1080, 0.99, 0.34118874112795583],
  [2, 500, 0.5, 0.251497005988024],
];

test.each(SCIPY)('m=%d, n=%d, q=%d agrees with scipy.stats.hypergeom (to 1e-10)', (m, n, q, expected) => {
  expect(quantileExceedanceNull(m, n, q)).toBeCloseTo(expected, 10);
});

test.each([
  [6, 54, 0.5],
  [6, 54, 0.99],
  [12, 20, 0.9],
])('m=%d, n=%d, q=%d matches the frequency of the event over simulated samples', (m, n, q) => {
  const random = Random.stream(5, `${m}-${n}-${q}`);
  const draw = (count: number) =>
    Array.from({ length: count }, () => Math.exp(0.5 * random.normal())).sort((a, b) => a - b);
  const runs = 20_000;
  let above = 0;
  for (let i = 0; i < runs; i++) if (nearestRank(draw(m), q) > nearestRank(draw(n), q)) above++;
  const p = quantileExceedanceNull(m, n, q);
  // 5 standard errors: a wrong formula (e.g. 0.5 for the medians of 6 vs 54, instead of 0.368) is far outside.
  expect(Math.abs(above / runs - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / runs));
});

test('no samples on a side: no null probability', () => {
  expect(quantileExceedanceNull(0, 10, 0.5)).toBeNaN();
  expect(quantileExceedanceNull(10, 0, 0.5)).toBeNaN();
});
