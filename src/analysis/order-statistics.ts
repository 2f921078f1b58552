/**
 * The exact null distribution of a comparison of two batches' nearest-rank quantiles.
 *
 * The metrics export gives, per version and per minute, a count and a few latency quantiles, not the latencies. If
 * both versions' latencies come from one continuous distribution, every interleaving of the two samples is equally
 * likely, so whether the challenger's i-th smallest latency (its nearest-rank q-quantile, of m) lies above the
 * champion's j-th smallest (of n) has a probability that depends only on (m, n, q): it is the probability that
 * among the first i + j − 1 values of the pooled sample at most i − 1 are the challenger's, a hypergeometric tail.
 * This is the classical result on exceedances of order statistics (Gumbel & von Schelling 1950; see David &
 * Nagaraja, "Order Statistics", 3rd ed., 2003, §2.6 on the distribution-free comparison of order statistics).
 *
 * If the challenger is stochastically no slower than the champion (scaled by 1 + floor), the probability of
 * "challenger's quantile > (1 + floor) × champion's" is at most that value, and at least it when the challenger is
 * stochastically slower than the scaled champion: exactly what the judge's shifted nulls need.
 *
 * Pure: no I/O, no Node builtins, no clocks.
 */
import { nearestRankIndex } from './batch';
import { hypergeometricPmf } from './distributions';

/**
 * P(challenger's nearest-rank q-quantile of `challengerCount` values > champion's of `championCount` values) when
 * both samples come from one continuous distribution.
 */
export function quantileExceedanceNull(challengerCount: number, championCount: number, q: number): number {
  const m = Math.floor(challengerCount);
  const n = Math.floor(championCount);
  if (!(m > 0 && n > 0)) return NaN;
  const i = nearestRankIndex(m, q);
  const j = nearestRankIndex(n, q);
  const { lo, hi, pmf } = hypergeometricPmf(m + n, m, i + j - 1);
  let cdf = 0;
  for (let x = lo; x <= Math.min(hi, i - 1); x++) cdf += pmf[x - lo];
  return Math.min(1, Math.max(0, cdf));
}
