/**
 * Reads the serving-endpoint metrics export (parsed by metrics.ts) as what it is: per-minute aggregates per served
 * entity, published as gauges (docs/databricks-api.md §1.8). A reading describes the last completed minute; reading
 * twice within a minute repeats it, so readings are keyed by their minute's timestamp and never subtracted.
 *
 * Names come from metric-names.ts (UNCONFIRMED). Missing gauges leave fields absent, never NaN.
 *
 * Pure: no I/O, no clocks.
 */
import type { VersionAggregate } from '../analysis/batch';
import { LATENCY_QUANTILES, METRIC, METRIC_MINUTE_MS, RATE_WINDOW_SECONDS, SERVED_ENTITY_LABEL } from './metric-names';
import type { MetricSample } from './metrics';

/** One served entity over one minute. Counts are the rates × 60, rounded. */
export interface EntityMinuteReading {
  requests?: number;
  /** 4xx answers other than 429 when the export tells 429 apart (request_429_rate), else every 4xx. */
  errors4xx?: number;
  errors5xx?: number;
  /** 429 answers; absent when the export has no request_429_rate (an emulator extension). */
  throttled?: number;
  /** Nearest-rank end-to-end latency quantiles of the minute's 2xx answers, ms, keyed p50, p99, ... */
  quantilesMs: Record<string, number>;
  /** The same for model-inference latency. */
  inferenceQuantilesMs: Record<string, number>;
  cpuPercent?: number;
  memPercent?: number;
  provisionedConcurrency?: number;
}

export interface MetricMinuteReading {
  /** The end of the minute described, ms since the epoch. */
  timestamp: number;
  entities: Map<string, EntityMinuteReading>;
}

const count = (rate: number | undefined) => (rate === undefined ? undefined : Math.round(rate * RATE_WINDOW_SECONDS));

const QUANTILE_BY_NAME = new Map<string, { key: string; field: 'quantilesMs' | 'inferenceQuantilesMs' }>(
  LATENCY_QUANTILES.flatMap((g) => [
    [g.latency, { key: g.key, field: 'quantilesMs' as const }],
    [g.inference, { key: g.key, field: 'inferenceQuantilesMs' as const }],
  ]),
);

/**
 * The export's samples as per-minute readings, oldest first, one per distinct timestamp. Samples without a
 * timestamp are taken to describe the minute completed at `readAt` (the end of the last whole minute before it), and
 * are left out when `readAt` is not given. Samples without the entity label, with a non-finite value or with
 * unknown names are ignored.
 */
export function readMetricMinutes(samples: readonly MetricSample[], readAt?: number): MetricMinuteReading[] {
  type Raw = Map<string, number>;
  const byMinute = new Map<number, Map<string, Raw>>();
  const fallback = readAt === undefined ? undefined : Math.floor(readAt / METRIC_MINUTE_MS) * METRIC_MINUTE_MS;
  for (const sample of samples) {
    const entity = sample.labels[SERVED_ENTITY_LABEL];
    const timestamp = sample.timestamp ?? fallback;
    if (entity === undefined || timestamp === undefined || !Number.isFinite(sample.value)) continue;
    let entities = byMinute.get(timestamp);
    if (!entities) byMinute.set(timestamp, (entities = new Map<string, Raw>()));
    let raw = entities.get(entity);
    if (!raw) entities.set(entity, (raw = new Map<string, number>()));
    raw.set(sample.name, sample.value);
  }
  return [...byMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([timestamp, entities]) => ({
      timestamp,
      entities: new Map([...entities.entries()].map(([name, raw]) => [name, entityReading(raw)])),
    }));
}

function entityReading(raw: Map<string, number>): EntityMinuteReading {
  const reading: EntityMinuteReading = { quantilesMs: {}, inferenceQuantilesMs: {} };
  const requests = count(raw.get(METRIC.requestRate));
  const all4xx = count(raw.get(METRIC.request4xxRate));
  const errors5xx = count(raw.get(METRIC.request5xxRate));
  const errors = count(raw.get(METRIC.requestErrorRate));
  const throttled = count(raw.get(METRIC.request429Rate));
  // Without a 4xx gauge, the error rate less the 5xx rate is the 4xx rate.
  const any4xx = all4xx ?? (errors !== undefined && errors5xx !== undefined ? errors - errors5xx : undefined);
  if (requests !== undefined) reading.requests = requests;
  if (errors5xx !== undefined) reading.errors5xx = errors5xx;
  if (throttled !== undefined) reading.throttled = throttled;
  if (any4xx !== undefined) reading.errors4xx = Math.max(0, any4xx - (throttled ?? 0));
  for (const [name, value] of raw) {
    const quantile = QUANTILE_BY_NAME.get(name);
    if (quantile) reading[quantile.field][quantile.key] = value;
  }
  const cpu = raw.get(METRIC.cpuUsagePercentage);
  const mem = raw.get(METRIC.memUsagePercentage);
  const concurrency = raw.get(METRIC.provisionedConcurrency);
  if (cpu !== undefined) reading.cpuPercent = cpu;
  if (mem !== undefined) reading.memPercent = mem;
  if (concurrency !== undefined) reading.provisionedConcurrency = concurrency;
  return reading;
}

/**
 * A reading as the judge's VersionAggregate (src/analysis/batch.ts): absent counts are 0. `undefined` for an entity
 * the minute does not list.
 */
export function toVersionAggregate(
  minute: MetricMinuteReading,
  entity: string,
  quantiles?: readonly string[],
): VersionAggregate | undefined {
  const reading = minute.entities.get(entity);
  if (!reading) return undefined;
  const quantilesMs = quantiles
    ? Object.fromEntries(quantiles.filter((k) => k in reading.quantilesMs).map((k) => [k, reading.quantilesMs[k]]))
    : { ...reading.quantilesMs };
  return {
    requests: reading.requests ?? 0,
    errors4xx: reading.errors4xx ?? 0,
    errors5xx: reading.errors5xx ?? 0,
    throttled: reading.throttled ?? 0,
    quantilesMs,
  };
}
