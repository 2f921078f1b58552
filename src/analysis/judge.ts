/**
 * The canary verdict: champion (current model version) vs challenger (candidate) at one look.
 *
 * Design (see docs/peers.md on Kayenta / Flagger / Argo):
 * - Three one-sided tests, each asking "is the challenger worse?":
 *   - error-rate: Fisher's exact test on errors / requests (exact, so sparse errors — "1 error in 3 requests" — do
 *     not fail a canary, and mostly-zero counts are not mistaken for evidence either way; Kayenta #426);
 *   - latency-rank: Mann–Whitney U (a shift of the whole distribution);
 *   - latency-tail: exceedances of the champion's q-quantile (a heavier tail with the same median, which the rank
 *     test misses; Kayenta #780, spinnaker#6278).
 * - Repeated looks: the look's α is the Lan–DeMets increment α(t) − α(t_prev); the three tests share it equally
 *   (Bonferroni). By the union bound the false-failure probability over all looks and tests is ≤ `alpha`.
 * - Practical significance: a test fails the canary only when it is significant AND its effect (a point estimate)
 *   reaches a floor, so a detectable but harmless difference does not roll a model back once the estimates are
 *   precise. At small n the point estimate is noisy: a true 5% slowdown (floor 10%) was still failed in ~22% of
 *   simulated canaries (Pocock) because its estimated effect overshot the floor. Testing against a floor-shifted
 *   null (challenger latencies ÷ (1 + floor), error difference − floor) would make the floor a hard guarantee.
 * - Floors: error-rate on the absolute rate difference (`errorRateFloor`); latency-rank on the relative median
 *   difference and latency-tail on the relative q-quantile difference, both `latencyEffectFloor`. The tail floor is
 *   expressed on the quantile rather than on the exceedance share because the share is very sensitive (a uniform
 *   10% slowdown of a lognormal with σ ≈ 0.47 already raises the share above p95 from 5% to ~7.5%, ×1.49): a
 *   share-ratio floor of 1 + latencyEffectFloor would fail ~2–3% slowdowns, inconsistent with the median floor.
 * - Three outcomes. Fail fast as soon as any test fails. Pass only at the final look (t = 1) with enough traffic on
 *   both sides. Everything else — including no traffic at all — is `inconclusive`, never a failure (Flagger's
 *   "no values found … not receiving traffic" failures) and never a pass.
 *
 * Pure and deterministic: no I/O, no Node builtins, no clocks. Never returns NaN or ±∞ (payloads are JSON).
 */

import { quantileSorted, sortedFinite } from './distributions';
import { lookAlpha, spendAlpha, type SpendingKind } from './sequential';
import { fisherExact, mannWhitneyFromSorted, pooledTailFromSorted, twoProportions } from './tests';

// Math and Number members are bound once: global lookups are slow inside vm sandboxes (Temporal's workflow
// isolate, jest), and these functions run in tight loops.
const { max, min, round } = Math;
const { isFinite } = Number;

/** What one variant served since the canary started (cumulative, not per look). */
export interface VariantSample {
  requests: number;
  /** 5xx + timeouts. */
  errors: number;
  /** Latencies of (a sample of) the requests, in ms. Non-finite values are ignored. */
  latenciesMs: number[];
}

export interface JudgeConfig {
  /** Overall false-failure rate across looks and tests (default 0.05). */
  alpha: number;
  /** Challenger requests before any pass (default 200). The champion needs as many. */
  minRequests: number;
  /** Challenger requests at which the final look happens (default 2000). */
  maxRequests: number;
  /** Absolute: fail on errors only if challenger − champion error rate ≥ this (default 0.01 = 1 point). */
  errorRateFloor: number;
  /**
   * Relative: fail on latency only if the challenger is at least this much slower (default 0.10 = 10%):
   * at the median for latency-rank, at the q-quantile for latency-tail.
   */
  latencyEffectFloor: number;
  /** Quantile of the champion used as the tail threshold (default 0.95). */
  tailQuantile: number;
  /** Alpha-spending function (default 'pocock': fail fast). */
  spending: SpendingKind;
}

export const DEFAULT_JUDGE: JudgeConfig = {
  alpha: 0.05,
  minRequests: 200,
  maxRequests: 2000,
  errorRateFloor: 0.01,
  latencyEffectFloor: 0.1,
  tailQuantile: 0.95,
  spending: 'pocock',
};

export type TestName = 'error-rate' | 'latency-rank' | 'latency-tail';

export interface TestEvidence {
  test: TestName;
  method: string;
  statistic: number;
  /** One-sided p-value for "challenger worse". */
  pValue: number;
  /** This test's share of the look's α increment. */
  alphaAtLook: number;
  /** error-rate: absolute rate difference; latency-rank: relative median difference; latency-tail: relative q-quantile difference. */
  effect: number;
  floor: number;
  /** pValue < alphaAtLook. */
  significant: boolean;
  /** The point estimate goes the wrong way (effect > 0). */
  worse: boolean;
  summary: string;
}

export interface VariantSummary {
  requests: number;
  errorRate: number;
  /** 0 when there are no latency samples. */
  p50: number;
  p99: number;
}

export interface Verdict {
  decision: 'pass' | 'fail' | 'inconclusive';
  look: number;
  informationFraction: number;
  /** Cumulative α spent up to and including this look. */
  alphaSpent: number;
  champion: VariantSummary;
  challenger: VariantSummary;
  tests: TestEvidence[];
  reasons: string[];
}

const TEST_COUNT = 3;

function fmtP(p: number): string {
  return p === 0 ? '0' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}

function pct(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}

function signedPct(x: number, digits = 1): string {
  return `${x >= 0 ? '+' : ''}${pct(x, digits)}`;
}

function summarise(sample: VariantSample, sorted: Float64Array): VariantSummary {
  const requests = max(0, sample.requests);
  return {
    requests,
    errorRate: requests > 0 ? min(1, max(0, sample.errors) / requests) : 0,
    p50: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
  };
}

function finite(x: number): number {
  return isFinite(x) ? x : 0;
}

/**
 * Judge one look. `previousFraction` is the information fraction at the previous look (0 for the first);
 * `look` is the caller's 1-based look counter, echoed in the verdict (it does not affect the decision).
 */
export function judge(
  champion: VariantSample,
  challenger: VariantSample,
  config: JudgeConfig = DEFAULT_JUDGE,
  previousFraction = 0,
  look = 1,
): Verdict {
  const cpSorted = sortedFinite(champion.latenciesMs);
  const chSorted = sortedFinite(challenger.latenciesMs);
  const cp = summarise(champion, cpSorted);
  const ch = summarise(challenger, chSorted);
  const maxRequests = config.maxRequests > 0 ? config.maxRequests : 1;
  const t = min(1, ch.requests / maxRequests);
  const prev = min(1, max(0, finite(previousFraction)));
  const alphaSpent = spendAlpha(config.alpha, t, config.spending);
  const verdict = (decision: Verdict['decision'], tests: TestEvidence[], reasons: string[]): Verdict => ({
    decision,
    look,
    informationFraction: t,
    alphaSpent,
    champion: cp,
    challenger: ch,
    tests,
    reasons,
  });

  if (ch.requests === 0) return verdict('inconclusive', [], ['no challenger traffic yet']);
  if (cp.requests === 0) return verdict('inconclusive', [], ['no champion traffic yet']);

  const share = lookAlpha(config.alpha, prev, t, config.spending) / TEST_COUNT;
  const tests: TestEvidence[] = [];
  const reasons: string[] = [];
  const evidence = (
    e: Omit<TestEvidence, 'alphaAtLook' | 'significant' | 'worse' | 'pValue' | 'effect' | 'statistic'> & {
      pValue: number;
      effect: number;
      statistic: number;
    },
  ): TestEvidence => {
    const pValue = min(1, max(0, finite(e.pValue)));
    const effect = finite(e.effect);
    return {
      ...e,
      statistic: finite(e.statistic),
      pValue,
      effect,
      alphaAtLook: share,
      significant: pValue < share,
      worse: effect > 0,
    };
  };

  // error-rate
  {
    const errorsCp = min(cp.requests, max(0, round(champion.errors)));
    const errorsCh = min(ch.requests, max(0, round(challenger.errors)));
    const fisher = fisherExact(errorsCp, cp.requests, errorsCh, ch.requests, 'greater');
    const ci = twoProportions(errorsCp, cp.requests, errorsCh, ch.requests, 'greater').interval;
    tests.push(
      evidence({
        test: 'error-rate',
        method: "Fisher's exact test, one-sided (challenger error rate greater)",
        statistic: errorsCh,
        pValue: fisher.pValue,
        effect: fisher.difference,
        floor: config.errorRateFloor,
        summary:
          `errors ${pct(fisher.challengerRate)} vs ${pct(fisher.championRate)} ` +
          `(${fisher.difference >= 0 ? '+' : ''}${(100 * fisher.difference).toFixed(2)} points, ` +
          `95% CI ${(100 * ci.lower).toFixed(2)}…${(100 * ci.upper).toFixed(2)}; floor ${(100 * config.errorRateFloor).toFixed(2)}), ` +
          `p=${fmtP(fisher.pValue)} vs α=${fmtP(share)}`,
      }),
    );
  }

  // latency tests
  if (chSorted.length === 0 || cpSorted.length === 0) {
    reasons.push(chSorted.length === 0 ? 'no challenger latency samples yet' : 'no champion latency samples yet');
  } else {
    const mw = mannWhitneyFromSorted(cpSorted, chSorted, 'greater');
    tests.push(
      evidence({
        test: 'latency-rank',
        method:
          'Mann-Whitney U, one-sided (challenger slower), normal approximation with tie and continuity correction',
        statistic: mw.u,
        pValue: mw.pValue,
        effect: mw.relativeMedianDifference,
        floor: config.latencyEffectFloor,
        summary:
          `median ${mw.challengerMedian.toFixed(1)} ms vs ${mw.championMedian.toFixed(1)} ms ` +
          `(${signedPct(mw.relativeMedianDifference)}; floor ${pct(config.latencyEffectFloor, 0)}), ` +
          `P(challenger slower)=${mw.commonLanguageEffect.toFixed(3)}, p=${fmtP(mw.pValue)} vs α=${fmtP(share)}`,
      }),
    );
    const tail = pooledTailFromSorted(cpSorted, chSorted, config.tailQuantile);
    const qName = `p${+(100 * tail.quantile).toFixed(2)}`;
    tests.push(
      evidence({
        test: 'latency-tail',
        method: `Fisher's exact test, one-sided: shares of each version above the pooled ${qName}`,
        statistic: tail.challengerAbove,
        pValue: tail.pValue,
        effect: tail.relativeQuantileDifference,
        floor: config.latencyEffectFloor,
        summary:
          `${pct(tail.challengerShare, 1)} of challenger vs ${pct(tail.championShare, 1)} of champion requests above the pooled ${qName} ` +
          `(${tail.threshold.toFixed(1)} ms); ${qName} ${tail.challengerQuantile.toFixed(1)} ms vs ${tail.championQuantile.toFixed(1)} ms ` +
          `(${signedPct(tail.relativeQuantileDifference)}; floor ${pct(config.latencyEffectFloor, 0)}), ` +
          `p=${fmtP(tail.pValue)} vs α=${fmtP(share)}`,
      }),
    );
  }

  const failed = tests.filter((e) => e.significant && e.effect >= e.floor);
  if (failed.length > 0) {
    return verdict(
      'fail',
      tests,
      failed.map((e) => `${e.test}: ${e.summary}`),
    );
  }
  // `blockers` (already holding a missing-latency reason, if any) prevent a pass; `notes` only explain.
  const blockers = reasons;
  const notes = tests
    .filter((e) => e.significant)
    .map((e) => `${e.test}: significant but below its floor: ${e.summary}`);
  if (t < 1) {
    if (share === 0) blockers.push('no new information since the previous look');
    blockers.push(`final look not reached: ${ch.requests} of ${maxRequests} challenger requests (t=${t.toFixed(2)})`);
  }
  if (ch.requests < config.minRequests) {
    blockers.push(`challenger has ${ch.requests} requests, fewer than minRequests ${config.minRequests}`);
  }
  if (cp.requests < config.minRequests) {
    blockers.push(`champion has ${cp.requests} requests, fewer than minRequests ${config.minRequests}`);
  }
  if (blockers.length > 0) return verdict('inconclusive', tests, [...blockers, ...notes]);
  return verdict('pass', tests, [
    `final look (${ch.requests} challenger requests): no test found the challenger worse by at least its floor`,
    ...notes,
  ]);
}
