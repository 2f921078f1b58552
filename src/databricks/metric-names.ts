/**
 * The names and the label of the serving-endpoint metrics export (GET /api/2.0/serving-endpoints/{name}/metrics),
 * shared by the emulator that writes it and the reader that parses it (serving-metrics.ts).
 *
 * UNCONFIRMED: Databricks documents the metric *concepts* (docs/databricks-api.md §1.8: request rate, request error
 * rate over 4xx and 5xx, latency P50/P99, model-inference latency P50/P99, CPU and memory usage %, provisioned
 * concurrency, all per-minute aggregates published as gauges), but no primary source gives their exact names or labels.
 * Every name below, and the label `served_entity_name`, is our choice; this module is the only place that spells them,
 * so that correcting them against a real workspace is a change here and nowhere else.
 *
 * Pure: constants only.
 */

/** The label naming the served entity a sample describes (UNCONFIRMED). */
export const SERVED_ENTITY_LABEL = 'served_entity_name';

/** The per-minute gauges (UNCONFIRMED names). Rates are per second over the last minute: the minute's count ÷ 60. */
export const METRIC = {
  /** Requests per second over the last minute (every status). */
  requestRate: 'request_rate',
  /** 4xx answers per second, 429 included (as Databricks counts them in its error rate). */
  request4xxRate: 'request_4xx_rate',
  /** 5xx answers per second. */
  request5xxRate: 'request_5xx_rate',
  /** 4xx + 5xx answers per second: Databricks' "request error rate". */
  requestErrorRate: 'request_error_rate',
  /**
   * EMULATOR EXTENSION: 429 answers per second (already inside `request_4xx_rate`), so that a judge can tell
   * throttling from a model rejecting inputs. Databricks documents no such gauge; a reader must do without it.
   */
  request429Rate: 'request_429_rate',
  cpuUsagePercentage: 'cpu_usage_percentage',
  memUsagePercentage: 'mem_usage_percentage',
  provisionedConcurrency: 'provisioned_concurrency',
} as const;

export interface QuantileGauge {
  /** 0.5, 0.99, ... */
  q: number;
  /** The key in `quantilesMs` (src/analysis/batch.ts quantileKey): "p50", "p99", ... */
  key: string;
  /** End-to-end latency of the minute's 2xx answers, ms (UNCONFIRMED name). */
  latency: string;
  /** Model-inference latency of the minute's 2xx answers, ms (UNCONFIRMED name). */
  inference: string;
  /** True for quantiles Databricks does not document (p90, p95): an emulator extension. */
  extension: boolean;
}

/**
 * The latency quantiles exported, nearest rank over the minute. p50 and p99 are Databricks' documented set; p90 and
 * p95 are EMULATOR EXTENSIONS (a reader must not rely on them against a real workspace).
 */
export const LATENCY_QUANTILES: readonly QuantileGauge[] = [
  { q: 0.5, key: 'p50', latency: 'latency_p50_ms', inference: 'model_inference_latency_p50_ms', extension: false },
  { q: 0.9, key: 'p90', latency: 'latency_p90_ms', inference: 'model_inference_latency_p90_ms', extension: true },
  { q: 0.95, key: 'p95', latency: 'latency_p95_ms', inference: 'model_inference_latency_p95_ms', extension: true },
  { q: 0.99, key: 'p99', latency: 'latency_p99_ms', inference: 'model_inference_latency_p99_ms', extension: false },
];

/** Seconds in the window every rate is divided by. */
export const RATE_WINDOW_SECONDS = 60;
/** The length of a metric minute, ms. */
export const METRIC_MINUTE_MS = 60_000;
