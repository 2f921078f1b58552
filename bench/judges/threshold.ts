/**
 * Baseline 2: a Flagger / Argo Rollouts-style threshold check, written from their public documentation; no code of
 * theirs is used.
 *
 * Sources (read 2026-12-03):
 * - [F1] Flagger, "Metrics Analysis", https://docs.flagger.app/usage/metrics — the builtin checks:
 *   `request-success-rate` ("minimum req success rate (non 5xx responses)", percentage, `thresholdRange.min: 99`)
 *   and `request-duration` ("maximum req duration P99", milliseconds, `thresholdRange.max: 500`), each over the
 *   metric `interval` (1m in the examples).
 * - [F2] Flagger, "Deployment Strategies" (docs/gitbook/usage/deployment-strategies.md) — the analysis runs every
 *   `interval` (default 60s); `threshold` is the "max number of failed metric checks before rollback" (A/B testing
 *   and Blue/Green: `iterations` checks to pass before promotion; a check that fails halts advancement, so it does
 *   not count as an iteration). In the controller (pkg/controller/scheduler.go at 15bd6ad5) failed checks are counted
 *   over the whole analysis, never reset by a later success, and the canary is rolled back once
 *   `failedChecks ≥ threshold`; the threshold defaults to 1 when unset (pkg/apis/flagger/v1beta1/canary.go). The
 *   docs' examples use 5 to 10; our default is 5.
 * - [F3] No traffic: when a metric query returns nothing, Flagger records "Halt advancement no values found for …
 *   metric request-success-rate probably … is not receiving traffic" and the check fails
 *   (pkg/controller/scheduler_metrics.go; fluxcd/flagger issues #1035, #1689). We count an interval without
 *   challenger requests, or without a latency value, as a failed check.
 * - [A] Argo Rollouts, "Analysis" (docs/features/analysis.md) — the canonical success-rate AnalysisTemplate counts
 *   `response_code!~"5.*"` over all requests with `successCondition: result[0] >= 0.95`, and `failureLimit` is "the
 *   maximum number of failed run an analysis is allowed": the run fails when failed > failureLimit
 *   (analysis/analysis.go). So Argo's `failureLimit: n` is our `failureLimit: n + 1`.
 *
 * What counts as success: every status but 5xx (4xx and 429 are successes, as in [F1] and [A]); probes' timeouts and
 * network errors are in `errors5xx` already. Success rate = 100 × (1 − Σ5xx / Σrequests) over the interval's batches,
 * passing when ≥ `minSuccessRatePercent` (Flagger fails a value < min). Latency: the challenger's quantile (default
 * p99) must be ≤ the limit (Flagger fails a value > max): either a fixed `maxMs` as Flagger configures it, or
 * `championFactor` × the champion's same quantile in the same interval (not a Flagger builtin: it is what a custom
 * MetricTemplate comparing canary with primary would do; our default, factor 1.5, because the bench's scenarios have
 * no one fixed latency). For an interval of several batches the latency is the request-weighted mean of the batches'
 * quantiles (exact for the default one-minute interval; Flagger's histogram_quantile over the window has no exact
 * counterpart in per-minute quantiles).
 *
 * Timing: Flagger rolls back or promotes at the scheduler tick after the deciding check; we decide at the deciding
 * check itself (one interval earlier than Flagger would act), which only flatters the baseline's minutes to a verdict.
 *
 * Pure and deterministic: no I/O, no clocks.
 */
import type { Batch, VersionAggregate } from '../../src/analysis/batch';
import type { BenchJudge, Verdict } from './harness';

export type LatencyLimit = { quantile?: string; maxMs: number } | { quantile?: string; championFactor: number };

export interface ThresholdOptions {
  /** Passing checks needed to promote (Flagger `analysis.iterations`). */
  iterations: number;
  /** Batches (metric minutes) per check (Flagger `analysis.interval`); default 1. */
  intervalMinutes?: number;
  /** Failed checks that roll back (Flagger `analysis.threshold`; Argo `failureLimit` + 1); default 5. */
  failureLimit?: number;
  /** Flagger request-success-rate `thresholdRange.min`, in percent; default 99. */
  minSuccessRatePercent?: number;
  /** Default `{ quantile: 'p99', championFactor: 1.5 }`. */
  latency?: LatencyLimit;
}

export interface ThresholdCheck {
  /** 1-based index of the check. */
  check: number;
  challengerRequests: number;
  /** Percent; NaN when the challenger had no requests. */
  successRatePercent: number;
  /** The challenger's latency quantile; NaN when there was none. */
  latencyMs: number;
  /** NaN when the limit is relative and the champion had no latency value. */
  latencyLimitMs: number;
  passed: boolean;
  reason: string;
}

export interface ThresholdJudge extends BenchJudge {
  checks(): readonly ThresholdCheck[];
}

/** Request-weighted mean of one quantile over the batches that have it; NaN when none has. */
function windowQuantile(sides: readonly VersionAggregate[], key: string): number {
  let weighted = 0;
  let weight = 0;
  for (const side of sides) {
    const value = side.quantilesMs[key];
    if (value === undefined || !Number.isFinite(value) || side.requests <= 0) continue;
    weighted += value * side.requests;
    weight += side.requests;
  }
  return weight > 0 ? weighted / weight : NaN;
}

function checkOptions(
  options: ThresholdOptions,
): Required<Omit<ThresholdOptions, 'latency'>> & { latency: LatencyLimit } {
  const resolved = {
    iterations: options.iterations,
    intervalMinutes: options.intervalMinutes ?? 1,
    failureLimit: options.failureLimit ?? 5,
    minSuccessRatePercent: options.minSuccessRatePercent ?? 99,
    latency: options.latency ?? { quantile: 'p99', championFactor: 1.5 },
  };
  for (const field of ['iterations', 'intervalMinutes', 'failureLimit'] as const)
    if (!(resolved[field] >= 1) || !Number.isInteger(resolved[field]))
      throw new Error(`thresholdJudge: ${field} must be a whole number ≥ 1 (got ${resolved[field]})`);
  if (!(resolved.minSuccessRatePercent >= 0 && resolved.minSuccessRatePercent <= 100))
    throw new Error(
      `thresholdJudge: minSuccessRatePercent is a percentage in [0, 100], e.g. 99 (got ${resolved.minSuccessRatePercent})`,
    );
  const limit = 'maxMs' in resolved.latency ? resolved.latency.maxMs : resolved.latency.championFactor;
  if (!(limit > 0))
    throw new Error(`thresholdJudge: latency.maxMs or latency.championFactor must be > 0 (got ${limit})`);
  return resolved;
}

/** A fresh threshold judge: one check per `intervalMinutes` batches, 'pass' after `iterations` passing checks. */
export function thresholdJudge(options: ThresholdOptions): ThresholdJudge {
  const { iterations, intervalMinutes, failureLimit, minSuccessRatePercent, latency } = checkOptions(options);
  const quantile = latency.quantile ?? 'p99';
  const window: Batch[] = [];
  const checks: ThresholdCheck[] = [];
  let passed = 0;
  let failed = 0;
  let decision: Verdict = 'continue';

  const runCheck = (): ThresholdCheck => {
    const challengers = window.map((b) => b.challenger);
    const requests = challengers.reduce((s, c) => s + c.requests, 0);
    const errors = challengers.reduce((s, c) => s + c.errors5xx, 0);
    const successRatePercent = requests > 0 ? 100 * (1 - errors / requests) : NaN;
    const latencyMs = windowQuantile(challengers, quantile);
    const latencyLimitMs =
      'maxMs' in latency
        ? latency.maxMs
        : latency.championFactor *
          windowQuantile(
            window.map((b) => b.champion),
            quantile,
          );
    const check = {
      check: checks.length + 1,
      challengerRequests: requests,
      successRatePercent,
      latencyMs,
      latencyLimitMs,
    };
    if (requests === 0) return { ...check, passed: false, reason: 'no values found: no challenger requests' };
    if (successRatePercent < minSuccessRatePercent)
      return { ...check, passed: false, reason: `success rate ${successRatePercent}% < ${minSuccessRatePercent}%` };
    if (Number.isNaN(latencyMs) || Number.isNaN(latencyLimitMs))
      return { ...check, passed: false, reason: `no values found: no ${quantile} latency` };
    if (latencyMs > latencyLimitMs)
      return { ...check, passed: false, reason: `${quantile} ${latencyMs} ms > ${latencyLimitMs} ms` };
    return { ...check, passed: true, reason: 'within thresholds' };
  };

  return {
    name: `threshold(${iterations}×${intervalMinutes} min, limit ${failureLimit})`,
    checks: () => checks,
    observe(batch: Batch): Verdict {
      if (decision !== 'continue') return decision;
      window.push(batch);
      if (window.length < intervalMinutes) return 'continue';
      const check = runCheck();
      window.length = 0;
      checks.push(check);
      if (check.passed) passed++;
      else failed++;
      if (failed >= failureLimit) decision = 'fail';
      else if (passed >= iterations) decision = 'pass';
      return decision;
    },
  };
}
