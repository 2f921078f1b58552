/**
 * Baseline 1: a Kayenta-style fixed-horizon canary judge (Netflix/Spinnaker Kayenta, judge "NetflixACAJudge-v1.0"
 * with its "MannWhitneyClassifier"), written from its public description; no Kayenta code is used.
 *
 * Sources (read 2026-12-03):
 * - [J] "How canary judgment works", https://spinnaker.io/docs/guides/user/canary/judge/ — the four steps: data
 *   validation and NaN handling, data cleaning, metric comparison (Mann–Whitney U test with a confidence interval),
 *   score = percentage of metrics classified Pass.
 * - [C] Kayenta docs/canary-config.md — metric `direction` (increase | decrease | either), `nanStrategy`,
 *   `effectSize.allowedIncrease` ("Defaults to 1. The multiplier increase that must be met for the metric to fail").
 * - [S] Kayenta sources, github.com/spinnaker/kayenta at a69573be (2025-04-08), read for the exact numbers:
 *   NetflixACAJudge.scala builds the classifier with `tolerance = 0.25, confLevel = 0.98` and effect-size measure
 *   "meanRatio" (default thresholds 1.0); MannWhitneyClassifier.scala marks a metric High when the lower end of the
 *   interval is above `tolerance × |estimate|` (and the mean ratio experiment/control ≥ allowedIncrease, skipped when
 *   that ratio is undefined), Low when the upper end is below `−tolerance × |estimate|`, else Pass; identical data,
 *   or data with a single distinct value, is Pass; empty data is Nodata. kayenta-mannwhitney/MannWhitney.scala gets
 *   the interval and the estimate by inverting the two-sided normal-approximation rank-sum test (R's
 *   `wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)`, x = experiment, y = control): the roots in
 *   μ of (W(μ) − n_x n_y/2 − ½·sign)/σ(μ) = ±z_{1−α/2} and = 0. WeightedSumScorer.scala: score = 100 × Pass /
 *   (Pass + High + Low) per group, and 0 when ≥ 50 % of the metrics are Nodata. Kayenta's json-formats.md gives the
 *   score thresholds used in its examples: pass 95, marginal 75 ([J]: "marginal" may let a multi-interval canary go
 *   on; at the final interval only a score ≥ pass is a success).
 *
 * Note on the numbers: the issue summarises the rule with a 95 % interval; Kayenta's judge uses 98 % (the classifier's
 * own default, 95 %, is overridden by the judge). We default to 0.98 like Kayenta and take `confidence` as an option.
 *
 * How the interval is computed here. The rank-sum statistic at shift μ counts the pairwise differences
 * D = {e_i − c_j} above μ, so (W(μ) − n_x n_y/2) is a step function of μ that jumps at the order statistics of D, and
 * between jumps σ(μ) is the tie-corrected σ of the two samples' own ties. The roots Kayenta finds numerically are
 * therefore order statistics of D: with N = n_x n_y, z = z_{1−α/2},
 *   lower = D_(⌈N/2 − ½ − zσ⌉),  upper = D_(⌈N/2 + ½ + zσ⌉)   (ranks clamped to [1, N]),
 * the distribution-free Hodges–Lehmann interval with Kayenta's continuity correction, computed exactly instead of by
 * root finding. The estimate is the Hodges–Lehmann shift, the median of D, which is a root of the centred statistic
 * (Kayenta's solver returns some point of that root's plateau). Where Kayenta adds Gaussian noise to two constant
 * samples (to keep its solver off a degenerate bracket), the exact formula needs none: D is then a single value, so
 * the bench stays deterministic.
 *
 * The metrics, all with direction "increase" (an increase is bad), one value per metric minute (per batch):
 * `errors-5xx` = 5xx / requests, `errors-4xx` = 4xx (without 429) / requests, and `latency-<q>` = the batch's
 * nearest-rank quantile for each key in `quantiles` (e.g. "p50", "p99"). A minute without requests (or without a
 * quantile) gives NaN, removed before the comparison (nanStrategy "remove"). No outlier removal (Kayenta's default
 * outlier strategy is "none"), no critical metrics, one group.
 *
 * Horizon: Kayenta judges at the end of the configured interval (and optionally at intermediate intervals). This
 * baseline makes one decision, after `horizonMinutes` batches: 'continue' before, then 'pass' when the score is
 * ≥ `passThreshold`, else 'fail' (a marginal score at the last interval is not a success).
 *
 * Pure and deterministic: no I/O, no clocks, no randomness.
 */
import type { Batch } from '../../src/analysis/batch';
import { normInv } from '../../src/analysis/distributions';
import { mannWhitney } from '../../src/analysis/tests';
import type { BenchJudge, Verdict } from './harness';

const { abs, ceil, max, min, sqrt } = Math;

export type MetricDirection = 'increase' | 'decrease' | 'either';
export type MetricClass = 'Pass' | 'High' | 'Low' | 'Nodata';

export interface LocationShift {
  /** Hodges–Lehmann estimate of experiment − control: the median of all pairwise differences. */
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/** Σ (t³ − t) over the groups of equal values of one ascending sample. */
function tieTerm(sorted: readonly number[]): number {
  let term = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    const t = j - i;
    term += t * t * t - t;
    i = j;
  }
  return term;
}

const ascending = (values: readonly number[]): number[] => values.filter(Number.isFinite).sort((a, b) => a - b);

/**
 * Hodges–Lehmann shift of `experiment` over `control` with the interval Kayenta's Mann–Whitney inversion gives
 * (see the module comment). Non-finite values are dropped; throws when a sample is then empty.
 */
export function hodgesLehmannShift(
  control: readonly number[],
  experiment: readonly number[],
  confidence: number,
): LocationShift {
  if (!(confidence > 0 && confidence < 1))
    throw new Error(`hodgesLehmannShift: confidence must be in (0, 1), e.g. 0.98 (got ${confidence})`);
  const y = ascending(control);
  const x = ascending(experiment);
  if (x.length === 0 || y.length === 0)
    throw new Error('hodgesLehmannShift: control and experiment need at least one finite value each');
  const differences = new Float64Array(x.length * y.length);
  let k = 0;
  for (const xi of x) for (const yj of y) differences[k++] = xi - yj;
  differences.sort();
  const n = differences.length;
  const total = x.length + y.length;
  const ties = tieTerm(x) + tieTerm(y);
  const sigma = sqrt(((x.length * y.length) / 12) * (total + 1 - ties / (total * (total - 1))));
  const z = normInv(1 - (1 - confidence) / 2);
  const at = (rank: number): number => differences[min(n, max(1, rank)) - 1];
  const middle = n % 2 === 1 ? at((n + 1) / 2) : (at(n / 2) + at(n / 2 + 1)) / 2;
  return {
    estimate: middle,
    lower: at(ceil(n / 2 - 0.5 - z * sigma)),
    upper: at(ceil(n / 2 + 0.5 + z * sigma)),
    confidence,
  };
}

export interface ClassifierOptions {
  direction?: MetricDirection;
  /** Confidence of the interval; Kayenta's judge uses 0.98. */
  confidence?: number;
  /** High when lower > tolerance × |estimate| (Low: upper < −tolerance × |estimate|); Kayenta: 0.25. */
  tolerance?: number;
  /** Mean ratio experiment/control a High needs (Kayenta `allowedIncrease`, default 1). */
  allowedIncrease?: number;
  /** Mean ratio a Low needs at most (Kayenta `allowedDecrease`, default 1). */
  allowedDecrease?: number;
}

export interface MetricComparison {
  classification: MetricClass;
  reason: string;
  /** NaN when the classifier decided without the test (no data, identical data, a single distinct value). */
  estimate: number;
  lower: number;
  upper: number;
  /** Two-sided Mann–Whitney p-value (src/analysis/tests.ts); reported only, Kayenta classifies on the interval. */
  pValue: number;
  /** mean(experiment) / mean(control); NaN when either mean is 0 (then the effect-size check is skipped). */
  meanRatio: number;
}

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** Kayenta's MannWhitneyClassifier on two series (NaN values removed first). */
export function classifyMetric(
  control: readonly number[],
  experiment: readonly number[],
  options: ClassifierOptions = {},
): MetricComparison {
  const direction = options.direction ?? 'increase';
  const confidence = options.confidence ?? 0.98;
  const tolerance = options.tolerance ?? 0.25;
  const allowedIncrease = options.allowedIncrease ?? 1;
  const allowedDecrease = options.allowedDecrease ?? 1;
  const y = ascending(control);
  const x = ascending(experiment);
  const untested = { estimate: NaN, lower: NaN, upper: NaN, pValue: 1 };
  if (x.length === 0 || y.length === 0)
    return { classification: 'Nodata', reason: 'no data for one version', ...untested, meanRatio: NaN };
  if (x.length === y.length && x.every((v, i) => v === y[i]))
    return { classification: 'Pass', reason: 'identical data', ...untested, meanRatio: 1 };
  if (x[0] === x[x.length - 1] && y[0] === y[y.length - 1] && x[0] === y[0])
    return { classification: 'Pass', reason: 'a single distinct value', ...untested, meanRatio: 1 };
  const shift = hodgesLehmannShift(y, x, confidence);
  const pValue = mannWhitney(y, x, 'two-sided').pValue;
  const controlMean = mean(y);
  const experimentMean = mean(x);
  const meanRatio = controlMean === 0 || experimentMean === 0 ? NaN : experimentMean / controlMean;
  const bound = tolerance * abs(shift.estimate);
  const measured = { estimate: shift.estimate, lower: shift.lower, upper: shift.upper, pValue, meanRatio };
  const high =
    (direction === 'increase' || direction === 'either') &&
    shift.lower > bound &&
    (Number.isNaN(meanRatio) || meanRatio >= allowedIncrease);
  if (high)
    return { classification: 'High', reason: `lower ${shift.lower} > ${tolerance} × |${shift.estimate}|`, ...measured };
  const low =
    (direction === 'decrease' || direction === 'either') &&
    shift.upper < -bound &&
    (Number.isNaN(meanRatio) || meanRatio <= allowedDecrease);
  if (low)
    return { classification: 'Low', reason: `upper ${shift.upper} < −${tolerance} × |${shift.estimate}|`, ...measured };
  return { classification: 'Pass', reason: 'interval within the tolerance', ...measured };
}

export interface KayentaOptions {
  /** Batches (metric minutes) before the single decision. */
  horizonMinutes: number;
  /** Quantile keys of `VersionAggregate.quantilesMs` judged as latency metrics, e.g. ["p50", "p99"]. */
  quantiles: string[];
  /** Default 0.98 (NetflixACAJudge). */
  confidence?: number;
  /** Default 0.25 (NetflixACAJudge). */
  tolerance?: number;
  /** Default 1 (Kayenta effectSize.allowedIncrease). */
  allowedIncrease?: number;
  /** Score needed to pass; default 95. */
  passThreshold?: number;
  /** Score from which the result is Marginal rather than Fail (reported only); default 75. */
  marginalThreshold?: number;
}

export interface KayentaReport {
  /** 0–100, two decimals. */
  score: number;
  classification: 'Pass' | 'Marginal' | 'Fail';
  metrics: Record<string, MetricComparison>;
}

/** Kayenta treats ≥ 50 % Nodata metrics as a failed canary (score 0). */
const NODATA_PERCENT = 50;

/** Scores classified metrics the way Kayenta's WeightedSumScorer does for a single group without critical metrics. */
export function kayentaScore(
  metrics: Record<string, MetricComparison>,
  passThreshold = 95,
  marginalThreshold = 75,
): KayentaReport {
  const labels = Object.values(metrics).map((m) => m.classification);
  const nodata = labels.filter((l) => l === 'Nodata').length;
  const counted = labels.length - nodata;
  const passed = labels.filter((l) => l === 'Pass').length;
  let score = 0;
  if (labels.length > 0 && (100 * nodata) / labels.length < NODATA_PERCENT)
    score = Math.round((10_000 * passed) / counted) / 100;
  const classification = score >= passThreshold ? 'Pass' : score >= marginalThreshold ? 'Marginal' : 'Fail';
  return { score, classification, metrics };
}

/** The per-minute series Kayenta would be given: metric name → one value per batch, per version. */
export function metricSeries(
  batches: readonly Batch[],
  quantiles: readonly string[],
): Record<string, { control: number[]; experiment: number[] }> {
  const rate = (count: number, requests: number) => (requests > 0 ? count / requests : NaN);
  const series: Record<string, { control: number[]; experiment: number[] }> = {};
  const push = (name: string, control: number, experiment: number) => {
    series[name] ??= { control: [], experiment: [] };
    series[name].control.push(control);
    series[name].experiment.push(experiment);
  };
  for (const { champion, challenger } of batches) {
    push('errors-5xx', rate(champion.errors5xx, champion.requests), rate(challenger.errors5xx, challenger.requests));
    push('errors-4xx', rate(champion.errors4xx, champion.requests), rate(challenger.errors4xx, challenger.requests));
    for (const q of quantiles) push(`latency-${q}`, champion.quantilesMs[q] ?? NaN, challenger.quantilesMs[q] ?? NaN);
  }
  return series;
}

export interface KayentaJudge extends BenchJudge {
  /** The scored analysis once the horizon was reached. */
  report(): KayentaReport | undefined;
}

function checkOptions(options: KayentaOptions): void {
  const { horizonMinutes, quantiles } = options;
  if (!(horizonMinutes >= 1) || !Number.isInteger(horizonMinutes))
    throw new Error(`kayentaJudge: horizonMinutes must be a whole number ≥ 1, e.g. 30 (got ${horizonMinutes})`);
  if (!Array.isArray(quantiles) || quantiles.some((q) => !/^p\d+(\.\d+)?$/.test(q)))
    throw new Error(`kayentaJudge: quantiles must be keys like "p50", "p99" (got ${JSON.stringify(quantiles)})`);
  const { passThreshold = 95, marginalThreshold = 75 } = options;
  if (!(marginalThreshold >= 0 && marginalThreshold <= passThreshold && passThreshold <= 100))
    throw new Error(
      `kayentaJudge: need 0 ≤ marginalThreshold ≤ passThreshold ≤ 100 (got ${marginalThreshold}, ${passThreshold})`,
    );
}

/** A fresh Kayenta-style judge: 'continue' until `horizonMinutes` batches, then one final verdict (kept after). */
export function kayentaJudge(options: KayentaOptions): KayentaJudge {
  checkOptions(options);
  const batches: Batch[] = [];
  let report: KayentaReport | undefined;
  const classifier: ClassifierOptions = {
    direction: 'increase',
    confidence: options.confidence ?? 0.98,
    tolerance: options.tolerance ?? 0.25,
    allowedIncrease: options.allowedIncrease ?? 1,
  };
  const verdict = (): Verdict =>
    report === undefined ? 'continue' : report.classification === 'Pass' ? 'pass' : 'fail';
  return {
    name: `kayenta(${options.horizonMinutes} min)`,
    report: () => report,
    observe(batch: Batch): Verdict {
      if (report !== undefined) return verdict();
      batches.push(batch);
      if (batches.length < options.horizonMinutes) return 'continue';
      const metrics: Record<string, MetricComparison> = {};
      for (const [name, { control, experiment }] of Object.entries(metricSeries(batches, options.quantiles)))
        metrics[name] = classifyMetric(control, experiment, classifier);
      report = kayentaScore(metrics, options.passThreshold, options.marginalThreshold);
      return verdict();
    },
  };
}
