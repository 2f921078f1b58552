/**
 * Deterministic numerical building blocks for canary judgement: the standard normal distribution, log-gamma,
 * binomial and hypergeometric tails, and order statistics.
 *
 * Pure functions only: no I/O, no Node builtins, no clocks, no randomness. Safe inside Temporal workflows.
 * Accuracy: `erfc` is computed with a positive-term series (x < 1.5) and a continued fraction (x ≥ 1.5), both run
 * to double precision; relative error is ~1e-14 or better over the whole range, including deep tails.
 */

// Math and Number members are bound once: global lookups are slow inside vm sandboxes (Temporal's workflow
// isolate, jest), and these functions run in tight loops.
const { PI, SQRT2, abs, exp, floor, log, log1p, max, min, sin, sqrt } = Math;
const { isFinite, isNaN } = Number;

const SQRT_PI = sqrt(PI);
const SQRT_2PI = sqrt(2 * PI);
const LOG_SQRT_2PI = 0.5 * log(2 * PI);

/** erf(x) for 0 ≤ x < ~3 via erf(x) = 2/√π · e^{-x²} · Σ (2x²)^n x / (1·3·…·(2n+1)); all terms positive. */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / SQRT_PI) * exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 1.5 (≤ ~100 iterations) via the continued fraction e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) (Lentz). */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let j = 1; j < 5000; j++) {
    const a = j / 2;
    d = x + a * d;
    if (abs(d) < tiny) d = tiny;
    c = x + a / c;
    if (abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (abs(delta - 1) < 1e-16) break;
  }
  return exp(-x * x) / (SQRT_PI * f);
}

/** Complementary error function. */
export function erfc(x: number): number {
  if (isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x > 27) return 0; // below the smallest subnormal (also handles +∞)
  if (x < 1.5) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

/** Standard normal CDF Φ(z) = P(Z ≤ z). Accurate in relative terms in the lower tail. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Standard normal survival function 1 − Φ(z) = P(Z > z). Accurate in relative terms in the upper tail. */
export function normSf(z: number): number {
  return 0.5 * erfc(z / SQRT2);
}

// Acklam's rational approximation to Φ⁻¹ (relative error ≤ 1.15e-9), refined below with Halley steps.
const A = [
  -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function acklam(p: number): number {
  if (p < P_LOW) {
    const q = sqrt(-2 * log(p));
    return (
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}

/**
 * Inverse standard normal CDF Φ⁻¹(p): the z with P(Z ≤ z) = p. Returns −∞ for p ≤ 0 and +∞ for p ≥ 1.
 * Acklam's approximation followed by two Halley steps against `normCdf` (full double precision in practice).
 */
export function normInv(p: number): number {
  if (isNaN(p)) return NaN;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p > 0.5) return -normInv(1 - p); // 1 − p is exact for p ≥ 0.5
  let x = acklam(p);
  for (let i = 0; i < 2; i++) {
    const e = normCdf(x) - p;
    const u = e * SQRT_2PI * exp(0.5 * x * x);
    x = x - u / (1 + 0.5 * x * u);
  }
  return x;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) return log(PI / abs(sin(PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (y + i);
  return LOG_SQRT_2PI + (y + 0.5) * log(t) - t + log(a);
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * Binomial upper tail P(X ≥ k) for X ~ Binomial(n, p): the one-sided exact binomial test p-value
 * (scipy.stats.binomtest(k, n, p, alternative='greater')). O(n) at worst, no approximation.
 */
export function binomSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const logOdds = log(p) - log1p(-p);
  const logPmf = (j: number): number => logChoose(n, j) + j * log(p) + (n - j) * log1p(-p);
  if (k - 1 < n * p) {
    // k is below the mean: 1 − P(X ≤ k − 1), summing downwards (terms decrease below the mode).
    let term = exp(logPmf(k - 1));
    let sum = term;
    const ratio = exp(-logOdds);
    for (let j = k - 1; j > 0; j--) {
      term *= (j / (n - j + 1)) * ratio;
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return min(1, max(0, 1 - sum));
  }
  let term = exp(logPmf(k));
  let sum = term;
  const ratio = exp(logOdds);
  for (let j = k; j < n; j++) {
    term *= ((n - j) / (j + 1)) * ratio;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return min(1, sum);
}

/**
 * Hypergeometric probabilities for X = successes in `draws` draws without replacement from a population of
 * `population` items of which `successes` are successes. Returns the support start and the pmf over the support.
 */
export function hypergeometricPmf(
  population: number,
  successes: number,
  draws: number,
): { lo: number; hi: number; pmf: number[] } {
  const lo = max(0, draws - (population - successes));
  const hi = min(successes, draws);
  const logDenominator = logChoose(population, draws);
  const pmf: number[] = [];
  for (let x = lo; x <= hi; x++) {
    pmf.push(exp(logChoose(successes, x) + logChoose(population - successes, draws - x) - logDenominator));
  }
  return { lo, hi, pmf };
}

/** A finite-only, ascending copy of the values (non-finite values are dropped). */
export function sortedFinite(values: readonly number[]): Float64Array {
  let count = 0;
  for (const v of values) if (isFinite(v)) count++;
  const out = new Float64Array(count);
  let i = 0;
  for (const v of values) if (isFinite(v)) out[i++] = v;
  return out.sort();
}

/**
 * Quantile of ascending data with linear interpolation between order statistics (Hyndman–Fan type 7, the default
 * of numpy.quantile and R). Returns 0 for empty data (callers report emptiness separately; never NaN).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const h = (n - 1) * min(1, max(0, q));
  const lo = floor(h);
  const hi = min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Quantile (type 7) of unsorted data; non-finite values are ignored; 0 for empty data. */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(sortedFinite(values), q);
}

/** Median of unsorted data; non-finite values are ignored; 0 for empty data. */
export function median(values: readonly number[]): number {
  return quantileSorted(sortedFinite(values), 0.5);
}
