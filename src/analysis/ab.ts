/**
 * The A/B decision: two versions served side by side for a fixed time, compared on one metric (lower is better),
 * with a two-sided test at `alpha`. Unlike the canary judge, which only asks "is the new version worse?", an A/B
 * stage asks "which is better?", so either side can win; no significant difference is a tie (the plan says what a
 * tie means). Pure and deterministic, like `judge`.
 */
import { quantileSorted, sortedFinite } from './distributions';
import type { VariantSample } from './judge';
import { mannWhitneyFromSorted, pooledTailFromSorted, twoProportions } from './tests';

export type AbMetric = 'error_rate' | 'latency_p50' | 'latency_p99';
export type AbWinner = 'champion' | 'challenger' | 'tie';

export interface AbVariantReport {
  requests: number;
  errors: number;
  errorRate: number;
  /** From the latency samples, in ms (0 without samples). */
  p50: number;
  p90: number;
  p99: number;
}

export interface AbDecision {
  metric: AbMetric;
  winner: AbWinner;
  method: string;
  /** Two-sided. */
  pValue: number;
  alpha: number;
  champion: AbVariantReport;
  challenger: AbVariantReport;
  summary: string;
}

const METRIC_LABEL: Record<AbMetric, string> = {
  error_rate: 'error rate',
  latency_p50: 'median latency',
  latency_p99: 'p99 latency',
};

function report(sample: VariantSample, sorted: Float64Array): AbVariantReport {
  const requests = Math.max(0, sample.requests);
  const errors = Math.min(requests, Math.max(0, Math.round(sample.errors)));
  return {
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : 0,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
  };
}

const finiteP = (p: number) => (Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 1);

export function decideAb(
  champion: VariantSample,
  challenger: VariantSample,
  metric: AbMetric,
  alpha: number,
): AbDecision {
  const cpSorted = sortedFinite(champion.latenciesMs);
  const chSorted = sortedFinite(challenger.latenciesMs);
  const cp = report(champion, cpSorted);
  const ch = report(challenger, chSorted);
  let method: string;
  let pValue: number;
  // Which side the point estimate favours: > 0 means the challenger is worse (higher).
  let direction: number;
  if (metric === 'error_rate') {
    method = 'two-proportion z-test, two-sided';
    const test = twoProportions(cp.errors, Math.max(1, cp.requests), ch.errors, Math.max(1, ch.requests), 'two-sided');
    pValue = cp.requests && ch.requests ? finiteP(test.pValue) : 1;
    direction = ch.errorRate - cp.errorRate;
  } else if (metric === 'latency_p50') {
    method = 'Mann-Whitney U, two-sided';
    pValue =
      cpSorted.length && chSorted.length ? finiteP(mannWhitneyFromSorted(cpSorted, chSorted, 'two-sided').pValue) : 1;
    direction = ch.p50 - cp.p50;
  } else {
    method = "Fisher's exact test on the shares above the pooled p99, two-sided (twice the smaller one-sided p)";
    if (cpSorted.length && chSorted.length) {
      const challengerWorse = pooledTailFromSorted(cpSorted, chSorted, 0.99).pValue;
      const championWorse = pooledTailFromSorted(chSorted, cpSorted, 0.99).pValue;
      pValue = finiteP(2 * Math.min(challengerWorse, championWorse));
      direction = challengerWorse <= championWorse ? 1 : -1;
    } else {
      pValue = 1;
      direction = 0;
    }
  }
  const winner: AbWinner = pValue < alpha && direction !== 0 ? (direction > 0 ? 'champion' : 'challenger') : 'tie';
  const figure = (v: AbVariantReport) =>
    metric === 'error_rate'
      ? `${(100 * v.errorRate).toFixed(2)}% errors of ${v.requests}`
      : `${(metric === 'latency_p50' ? v.p50 : v.p99).toFixed(1)} ms over ${v.requests}`;
  const summary =
    `${METRIC_LABEL[metric]}: new ${figure(ch)} vs current ${figure(cp)}; ${method} p=${pValue.toPrecision(2)} vs α=${alpha}: ` +
    (winner === 'tie'
      ? 'no significant difference (tie)'
      : `${winner === 'challenger' ? 'the new version' : 'the current version'} is better`);
  return { metric, winner, method, pValue, alpha, champion: cp, challenger: ch, summary };
}
