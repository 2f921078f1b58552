/**
 * The worker's own Prometheus metrics: every name, kind, unit and label, in one place. Workflows (through
 * `wf.metricMeter`), activities (through `Context.current().metricMeter`) and the Grafana dashboard
 * (examples/grafana/model-rollout.json, checked by test/metrics/dashboard.test.ts) use these names and no others.
 *
 * Naming follows https://prometheus.io/docs/practices/naming/: one `model_rollout_` prefix, snake_case, base units
 * (seconds), `_total` on counters. The Temporal SDK's own metrics keep their `temporal_` names beside them.
 * Metric-time labels hold bounded values only (regions, outcomes, route templates), never rollout ids or raw paths.
 */

export type MetricKind = 'counter' | 'histogram';

export interface MetricDefinition {
  name: string;
  kind: MetricKind;
  help: string;
  /** Labels we set; the SDK adds its own (namespace, task_queue, workflow_type or activity_type). */
  labels: readonly string[];
  /** Histogram bucket bounds, in the metric's unit (seconds). */
  buckets?: readonly number[];
}

/** Waits of a person or of a whole rollout: seconds to a day. */
const LONG_WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400] as const;
/** One HTTP request to Databricks. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

export const ROLLOUT_METRICS = {
  rollouts: {
    name: 'model_rollout_rollouts_total',
    kind: 'counter',
    help: 'Rollouts that ended, by outcome (succeeded, rolled-back, partially-failed, failed, aborted, superseded, ...).',
    labels: ['outcome'],
  },
  timeToVerdict: {
    name: 'model_rollout_time_to_verdict_seconds',
    kind: 'histogram',
    help: 'Time from a rollout starting to its outcome being known, by outcome.',
    labels: ['outcome'],
    buckets: LONG_WAIT_BUCKETS,
  },
  rollbacks: {
    name: 'model_rollout_rollbacks_total',
    kind: 'counter',
    help: 'Regions whose endpoint was restored to its rollback point after a change, by region.',
    labels: ['region'],
  },
  rollbackFailures: {
    name: 'model_rollout_rollback_failures_total',
    kind: 'counter',
    help: 'Restores that failed and left a region waiting in rollback-failed for an operator, by region.',
    labels: ['region'],
  },
  approvals: {
    name: 'model_rollout_approvals_total',
    kind: 'counter',
    help: 'Approval gates that ended, by region and decision (approved, rejected, timed-out).',
    labels: ['region', 'decision'],
  },
  approvalWait: {
    name: 'model_rollout_approval_wait_seconds',
    kind: 'histogram',
    help: 'Time a region waited at an approval gate, by region and decision.',
    labels: ['region', 'decision'],
    buckets: LONG_WAIT_BUCKETS,
  },
  databricksRequests: {
    name: 'model_rollout_databricks_requests_total',
    kind: 'counter',
    help: 'HTTP requests to Databricks, by region, method, route template and status code (or none).',
    labels: ['region', 'method', 'route', 'code'],
  },
  databricksErrors: {
    name: 'model_rollout_databricks_request_errors_total',
    kind: 'counter',
    help: 'Failed HTTP requests to Databricks, by region, method, route template and error kind.',
    labels: ['region', 'method', 'route', 'error'],
  },
  databricksDuration: {
    name: 'model_rollout_databricks_request_duration_seconds',
    kind: 'histogram',
    help: 'Duration of HTTP requests to Databricks, by region, method and route template.',
    labels: ['region', 'method', 'route'],
    buckets: REQUEST_BUCKETS,
  },
} as const satisfies Record<string, MetricDefinition>;

export type RolloutMetric = keyof typeof ROLLOUT_METRICS;

/** Bucket overrides for the SDK's Prometheus exporter (`histogramBucketOverrides`); its defaults stop at 10 s. */
export function rolloutHistogramBuckets(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const metric of Object.values(ROLLOUT_METRICS) as MetricDefinition[])
    if (metric.buckets) out[metric.name] = [...metric.buckets];
  return out;
}
