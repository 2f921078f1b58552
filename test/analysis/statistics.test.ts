import { binomSf, erfc, median, normCdf, normInv, normSf, quantile } from '../../src/analysis/distributions';
import {
  pooledTail,
  fisherExact,
  mannWhitney,
  predictionDrift,
  tailExceedance,
  twoProportions,
  wilsonInterval,
} from '../../src/analysis/tests';
import { REF } from './scipy-reference';

/** |a − b| ≤ rel·|b| + abs */
function expectClose(actual: number, expected: number, rel = 1e-9, abs = 0): void {
  expect(Number.isNaN(actual)).toBe(false);
  const tolerance = rel * Math.abs(expected) + abs;
  if (Math.abs(actual - expected) > tolerance) {
    throw new Error(`expected ${actual} to be within ${tolerance} of ${expected}`);
  }
}

describe('normal distribution (scipy.stats.norm)', () => {
  it.each(REF.cdf)('Φ(%p) = %p', (z, p) => expectClose(normCdf(z), p, 1e-12, 1e-300));
  it.each(REF.sf)('1 − Φ(%p) = %p', (z, p) => expectClose(normSf(z), p, 1e-12));
  it.each(REF.ppf)('Φ⁻¹(%p) = %p', (p, z) => expectClose(normInv(p), z, 1e-12, 1e-12));
  it.each(REF.erfc)('erfc(%p) = %p (math.erfc)', (x, v) => expectClose(erfc(x), v, 1e-13));

  it('inverse round-trips and handles the ends', () => {
    for (let p = 0.001; p < 1; p += 0.0137) expectClose(normCdf(normInv(p)), p, 1e-13);
    expect(normInv(0)).toBe(-Infinity);
    expect(normInv(1)).toBe(Infinity);
    expect(normCdf(-Infinity)).toBe(0);
    expect(normCdf(Infinity)).toBe(1);
  });
});

describe('binomial tail (scipy.stats.binomtest, alternative="greater")', () => {
  it.each(REF.binom)('P(X ≥ %p | n=%p, p=%p) = %p', (k, n, p, expected) =>
    expectClose(binomSf(k, n, p), expected, 1e-9, 1e-15),
  );
});

describe('quantiles (numpy.quantile, linear)', () => {
  const data = REF.mw[0].cp;
  it.each(REF.quant)('q=%p → %p', (q, v) => expectClose(quantile(data, q), v, 1e-12));
  it('median ignores non-finite values and is 0 for empty input', () => {
    expect(median([3, NaN, 1, Infinity, 2])).toBe(2);
    expect(median([])).toBe(0);
  });
});

describe('Mann-Whitney U (scipy.stats.mannwhitneyu(challenger, champion, use_continuity=True, method="asymptotic"))', () => {
  it.each(REF.mw.map((r) => [r.alt, r.cp.length, r.ch.length, r]))(
    '%s, n_champion=%p, n_challenger=%p',
    (_alt, _n1, _n2, r) => {
      const ref = r;
      const result = mannWhitney(ref.cp, ref.ch, ref.alt as 'greater' | 'two-sided');
      expect(result.u).toBe(ref.u);
      expectClose(result.pValue, ref.p, 1e-10);
      expectClose(result.relativeMedianDifference, ref.relMed, 1e-12);
      expectClose(result.commonLanguageEffect, ref.u / (ref.cp.length * ref.ch.length), 1e-15);
    },
  );

  it('is order-independent and O(n log n) on large inputs', () => {
    const a = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 1000);
    const b = Array.from({ length: 50_000 }, (_, i) => ((i * 104729) % 1000) + 50);
    const r1 = mannWhitney(a, b, 'greater');
    const r2 = mannWhitney([...a].reverse(), [...b].reverse(), 'greater');
    expect(r1).toEqual(r2);
    expect(r1.pValue).toBeLessThan(0.05);
  });

  it('all-identical and empty samples give p = 1, never NaN', () => {
    const same = mannWhitney([5, 5, 5], [5, 5], 'greater');
    expect(same).toMatchObject({ u: 3, z: 0, pValue: 1, relativeMedianDifference: 0, commonLanguageEffect: 0.5 });
    expect(mannWhitney([], [1, 2], 'greater')).toMatchObject({ pValue: 1, relativeMedianDifference: 0 });
    expect(mannWhitney([1, 2], [], 'two-sided')).toMatchObject({ pValue: 1, commonLanguageEffect: 0.5 });
  });
});

describe('two proportions (statsmodels proportions_ztest / confint_proportions_2indep(method="newcomb"))', () => {
  it.each(REF.props.map((r) => [`${r.che}/${r.chn} vs ${r.cpe}/${r.cpn}`, r]))('%s', (_name, r) => {
    const ref = r;
    const g = twoProportions(ref.cpe, ref.cpn, ref.che, ref.chn, 'greater');
    expectClose(g.z, ref.z, 1e-12);
    expectClose(g.pValue, ref.pg, 1e-10);
    expectClose(g.interval.lower, ref.lo, 1e-9);
    expectClose(g.interval.upper, ref.hi, 1e-9);
    expectClose(twoProportions(ref.cpe, ref.cpn, ref.che, ref.chn, 'two-sided').pValue, ref.p2, 1e-10);
  });

  it('zero counts and empty samples give p = 1 and no NaN', () => {
    const zero = twoProportions(0, 1800, 0, 200, 'greater');
    expect(zero).toMatchObject({ difference: 0, z: 0, pValue: 1 });
    expect(zero.interval.lower).toBeLessThan(0);
    expect(zero.interval.upper).toBeGreaterThan(0);
    const empty = twoProportions(0, 0, 0, 0, 'two-sided');
    expect(empty).toMatchObject({ championRate: 0, challengerRate: 0, z: 0, pValue: 1 });
    expect(Object.values(empty.interval).every(Number.isFinite)).toBe(true);
    expect(twoProportions(200, 200, 10, 10, 'greater').pValue).toBe(1);
  });

  it.each(REF.wilson)(
    'Wilson interval %p/%p = [%p, %p] (binomtest(...).proportion_ci(method="wilson"))',
    (x, n, lo, hi) => {
      const w = wilsonInterval(x, n);
      expectClose(w.lower, lo, 1e-10, 1e-15);
      expectClose(w.upper, hi, 1e-10, 1e-15);
    },
  );
});

describe('Fisher exact (scipy.stats.fisher_exact([[ch_err, ch_ok], [cp_err, cp_ok]]))', () => {
  it.each(REF.props.map((r) => [`${r.che}/${r.chn} vs ${r.cpe}/${r.cpn}`, r]))('%s', (_name, r) => {
    const ref = r;
    expectClose(fisherExact(ref.cpe, ref.cpn, ref.che, ref.chn, 'greater').pValue, ref.fg, 1e-9);
    expectClose(fisherExact(ref.cpe, ref.cpn, ref.che, ref.chn, 'two-sided').pValue, ref.f2, 1e-9);
  });

  it('one error in three requests does not look significant', () => {
    expect(fisherExact(4, 1800, 1, 3, 'greater').pValue).toBeGreaterThan(0.005);
    expect(twoProportions(4, 1800, 1, 3, 'greater').pValue).toBeLessThan(1e-10); // the z-test would fail it
  });
});

describe('tail exceedance (numpy.quantile threshold + scipy.stats.binomtest, alternative="greater")', () => {
  it.each(REF.tail.map((r) => [r.q, r.cp.length, r.ch.length, r]))(
    'q=%p, n_champion=%p, n_challenger=%p',
    (_q, _a, _b, r) => {
      const ref = r;
      const t = tailExceedance(ref.cp, ref.ch, ref.q);
      expectClose(t.threshold, ref.thr, 1e-12);
      expect(t.exceedances).toBe(ref.ex);
      expectClose(t.pValue, ref.p, 1e-9);
      expectClose(t.effect, ref.ex / ref.ch.length / (1 - ref.q), 1e-12);
      expectClose(t.challengerQuantile, ref.chq, 1e-12);
    },
  );

  it('catches a heavier tail with the same median that Mann-Whitney misses', () => {
    // Deterministic quantile grids: same median (20 ms), champion σ=0.47, challenger σ=0.65 in log space.
    const grid = (n: number, sigma: number) =>
      Array.from({ length: n }, (_, i) => 20 * Math.exp(sigma * normInv((i + 0.5) / n)));
    const champion = grid(3000, 0.47);
    const challenger = grid(400, 0.65);
    expect(mannWhitney(champion, challenger, 'greater').pValue).toBeGreaterThan(0.3);
    const tail = tailExceedance(champion, challenger, 0.95);
    expect(tail.pValue).toBeLessThan(1e-6);
    expect(tail.effect).toBeGreaterThan(2);
  });

  it('degenerate inputs give p = 1', () => {
    expect(tailExceedance([], [1], 0.95)).toMatchObject({ pValue: 1, effect: 0 });
    expect(tailExceedance([1], [], 0.95)).toMatchObject({ pValue: 1, effect: 0 });
    expect(tailExceedance([7, 7, 7], [7, 7], 0.95)).toMatchObject({ exceedances: 0, pValue: 1, effect: 0 });
  });
});

describe('prediction drift', () => {
  it('summarises paired differences', () => {
    const r = predictionDrift(
      [
        [0.1, 0.1],
        [0.5, 0.7],
        [1, 0.95],
        [NaN, 1],
      ],
      0.1,
    );
    expect(r.n).toBe(3);
    expectClose(r.meanAbsoluteDifference, (0 + 0.2 + 0.05) / 3, 1e-12);
    expectClose(r.maxAbsoluteDifference, 0.2, 1e-12);
    expectClose(r.shareBeyondTolerance, 1 / 3, 1e-12);
    expect(predictionDrift([], 0.1)).toEqual({
      n: 0,
      meanAbsoluteDifference: 0,
      maxAbsoluteDifference: 0,
      shareBeyondTolerance: 0,
    });
  });
});

describe('pooledTail (two-sample tail test)', () => {
  // Reference: numpy.quantile(pooled, 0.8) = 44.2; 0 of 10 champion and 5 of 12 challenger values above it;
  // scipy.stats.fisher_exact([[5, 7], [0, 10]], alternative='greater').pvalue = 0.03007518796992481.
  it('counts both versions above the pooled quantile and compares them with Fisher exact', () => {
    const result = pooledTail(
      [10, 12, 12, 13, 15, 18, 20, 22, 25, 40],
      [11, 14, 19, 23, 30, 35, 41, 45, 50, 60, 61, 70],
      0.8,
    );
    expect(result.threshold).toBeCloseTo(44.2, 10);
    expect([result.championAbove, result.challengerAbove]).toEqual([0, 5]);
    expect(result.pValue).toBeCloseTo(0.03007518796992481, 12);
  });

  it('does not reject more than alpha for identical distributions with few champion samples', () => {
    // The case that made a champion-only threshold reject too often: 60 samples each.
    let state = 12345;
    const uniform = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const draw = () =>
      Array.from({ length: 60 }, () =>
        Math.exp(3 + 0.47 * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())),
      );
    let rejections = 0;
    for (let i = 0; i < 2000; i++) if (pooledTail(draw(), draw(), 0.95).pValue < 0.01) rejections++;
    expect(rejections / 2000).toBeLessThanOrEqual(0.01);
  });

  it('returns p = 1 for empty samples', () => {
    expect(pooledTail([], [1, 2, 3]).pValue).toBe(1);
  });
});
