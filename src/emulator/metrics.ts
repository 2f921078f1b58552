/**
 * The serving-endpoint metrics export (GET /api/2.0/serving-endpoints/{name}/metrics) as Databricks describes it
 * (docs/databricks-api.md §1.8): per-minute aggregates published as gauges, each reading describing the last completed
 * metric minute, per served entity. Names and the label are UNCONFIRMED and live in src/databricks/metric-names.ts.
 *
 * Requests (HTTP invocations through the endpoint or a per-served-model route, and simulated live traffic) are
 * bucketed by the metric-clock minute they were answered in; each entity keeps its last KEEP_MINUTES minutes.
 */
import { nearestRank } from '../analysis/batch';
import {
  LATENCY_QUANTILES,
  METRIC,
  METRIC_MINUTE_MS,
  RATE_WINDOW_SECONDS,
  SERVED_ENTITY_LABEL,
} from '../databricks/metric-names';

/** Minutes kept per served entity (older ones are dropped as newer ones arrive). */
export const KEEP_MINUTES = 60;

/**
 * The metric clock: it starts at the emulator's start and runs `scale` times faster than real time. Metric minutes
 * are aligned on the epoch (minute m spans [m·60000, (m+1)·60000) ms of metric time).
 */
export class MetricClock {
  constructor(
    readonly startedAt: number,
    readonly scale: number,
  ) {}

  /** Metric time (ms since the epoch) at real time `real`. */
  at(real: number): number {
    return this.startedAt + (real - this.startedAt) * this.scale;
  }

  /** The metric minute in progress at real time `real`. */
  minute(real: number): number {
    return Math.floor(this.at(real) / METRIC_MINUTE_MS);
  }
}

/** One entity's minute. Latency arrays hold 2xx answers only, unsorted until exported. */
export interface MinuteBucket {
  requests: number;
  /** 4xx answers other than 429. */
  errors4xx: number;
  errors5xx: number;
  /** 429 answers. */
  throttled: number;
  /** Sum of every answer's latency, ms. */
  busyMs: number;
  latenciesMs: number[];
  inferenceMs: number[];
}

export class EntityMinutes {
  readonly minutes = new Map<number, MinuteBucket>();
  /** Since the emulator started, for the served model's logs. */
  totalRequests = 0;
  totalErrors = 0;
  private newest = -Infinity;

  bucket(minute: number): MinuteBucket {
    let bucket = this.minutes.get(minute);
    if (!bucket) {
      bucket = { requests: 0, errors4xx: 0, errors5xx: 0, throttled: 0, busyMs: 0, latenciesMs: [], inferenceMs: [] };
      this.minutes.set(minute, bucket);
      if (minute > this.newest) {
        this.newest = minute;
        for (const old of this.minutes.keys()) if (old <= minute - KEEP_MINUTES) this.minutes.delete(old);
      }
    }
    return bucket;
  }

  /** One answered request: its status, its end-to-end latency and the model's (inference) latency. */
  record(minute: number, status: number, latencyMs: number, inferenceMs: number) {
    const bucket = this.bucket(minute);
    bucket.requests++;
    bucket.busyMs += latencyMs;
    this.totalRequests++;
    if (status >= 400) this.totalErrors++;
    if (status === 429) bucket.throttled++;
    else if (status >= 400 && status < 500) bucket.errors4xx++;
    else if (status >= 500) bucket.errors5xx++;
    else {
      bucket.latenciesMs.push(latencyMs);
      bucket.inferenceMs.push(inferenceMs);
    }
  }

  /** A simulated minute of live traffic (live-traffic.ts MinuteOutcome) (its latency is the model's: no network or server overhead is simulated). */
  add(
    minute: number,
    outcome: {
      requests: number;
      errors4xx: number;
      errors5xx: number;
      throttled: number;
      busyMs: number;
      latenciesMs: ArrayLike<number>;
    },
  ) {
    if (outcome.requests === 0) return;
    const bucket = this.bucket(minute);
    bucket.requests += outcome.requests;
    bucket.errors4xx += outcome.errors4xx;
    bucket.errors5xx += outcome.errors5xx;
    bucket.throttled += outcome.throttled;
    bucket.busyMs += outcome.busyMs;
    for (let i = 0; i < outcome.latenciesMs.length; i++) {
      bucket.latenciesMs.push(outcome.latenciesMs[i]);
      bucket.inferenceMs.push(outcome.latenciesMs[i]);
    }
    this.totalRequests += outcome.requests;
    this.totalErrors += outcome.errors4xx + outcome.errors5xx + outcome.throttled;
  }

  /** The newest minute holding anything (-Infinity when none). */
  get newestMinute(): number {
    return this.newest;
  }
}

/** A served entity of the endpoint's current config, for the gauges that describe its capacity. */
export interface ServedForMetrics {
  name: string;
  /** Absent for entities sized by provisioned concurrency (they count as Small here). */
  workloadSize: string | undefined;
  scaleToZeroEnabled: boolean;
}

/** Provisioned concurrency per workload size (the upper end of Databricks' documented ranges: 4, 16, 64). */
const CONCURRENCY: Record<string, number> = { Small: 4, Medium: 16, Large: 64 };

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * The export at a moment whose metric minute in progress is `currentMinute`: every gauge describes minute
 * currentMinute - 1 and carries its end as the timestamp (with `minutes` > 1, an emulator extension, also the minutes
 * before it, each with its own timestamp). Entities: those served now, and any other that answered requests in the
 * minute. An entity without requests in a minute reports rates of 0 and no latency gauges; one with requests but no
 * 2xx answer reports no latency gauges either (quantiles are over 2xx answers).
 */
export function renderMetrics(
  metricsByEntity: Map<string, EntityMinutes>,
  served: readonly ServedForMetrics[],
  currentMinute: number,
  minutes = 1,
): string {
  // Forget entities that are no longer served and have nothing left in the kept window.
  for (const [name, kept] of metricsByEntity)
    if (!served.some((s) => s.name === name) && kept.newestMinute <= currentMinute - KEEP_MINUTES)
      metricsByEntity.delete(name);
  const shown = Math.max(1, Math.min(KEEP_MINUTES, Math.floor(minutes)));
  const rows: ReturnType<typeof rowsOf> = [];
  for (let minute = currentMinute - shown; minute < currentMinute; minute++)
    rows.push(...rowsOf(metricsByEntity, served, minute));
  rows.sort((a, b) => a.name.localeCompare(b.name) || a.timestamp - b.timestamp);
  type Row = (typeof rows)[number];
  const lines: string[] = [];
  const gauge = (name: string, help: string, pick: (row: Row) => number | undefined) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const row of rows) {
      const value = pick(row);
      if (value !== undefined) lines.push(`${name}{${row.label}} ${value} ${row.timestamp}`);
    }
  };
  const rate = (count: (b: MinuteBucket) => number) => (row: Row) =>
    row.bucket ? count(row.bucket) / RATE_WINDOW_SECONDS : 0;
  gauge(
    METRIC.requestRate,
    'Requests per second over the last minute.',
    rate((b) => b.requests),
  );
  gauge(
    METRIC.requestErrorRate,
    '4xx and 5xx answers per second over the last minute.',
    rate((b) => b.errors4xx + b.throttled + b.errors5xx),
  );
  gauge(
    METRIC.request4xxRate,
    '4xx answers (429 included) per second over the last minute.',
    rate((b) => b.errors4xx + b.throttled),
  );
  gauge(
    METRIC.request5xxRate,
    '5xx answers per second over the last minute.',
    rate((b) => b.errors5xx),
  );
  gauge(
    METRIC.request429Rate,
    '429 answers per second over the last minute (emulator extension; also counted in the 4xx rate).',
    rate((b) => b.throttled),
  );
  for (const g of LATENCY_QUANTILES) {
    const extension = g.extension ? ' (emulator extension)' : '';
    gauge(
      g.latency,
      `Nearest-rank ${g.key} latency of the last minute's 2xx answers, ms${extension}.`,
      (row) => row.latencies && nearestRank(row.latencies, g.q),
    );
    gauge(
      g.inference,
      `Nearest-rank ${g.key} model inference latency of the last minute's 2xx answers, ms${extension}.`,
      (row) => row.inference && nearestRank(row.inference, g.q),
    );
  }
  const ofServed = (pick: (row: Row) => number) => (row: Row) => (row.served ? pick(row) : undefined);
  gauge(
    METRIC.cpuUsagePercentage,
    'CPU usage of the served entity over the last minute, %.',
    ofServed((r) => r.cpu),
  );
  gauge(
    METRIC.memUsagePercentage,
    'Memory usage of the served entity over the last minute, %.',
    ofServed((r) => r.mem),
  );
  gauge(
    METRIC.provisionedConcurrency,
    'Provisioned concurrency of the served entity.',
    ofServed((r) => r.concurrency),
  );
  return lines.join('\n') + '\n';
}

/** One row per entity shown for `minute`: the served ones and any other with requests in it. */
function rowsOf(metricsByEntity: Map<string, EntityMinutes>, served: readonly ServedForMetrics[], minute: number) {
  const timestamp = (minute + 1) * METRIC_MINUTE_MS;
  const names = new Set(served.map((s) => s.name));
  for (const [name, kept] of metricsByEntity) if (kept.minutes.has(minute)) names.add(name);
  return [...names].map((name) => {
    const bucket = metricsByEntity.get(name)?.minutes.get(minute);
    const spec = served.find((s) => s.name === name);
    const requests = bucket?.requests ?? 0;
    const concurrency = spec
      ? spec.scaleToZeroEnabled && requests === 0
        ? 0
        : (CONCURRENCY[spec.workloadSize ?? 'Small'] ?? 4)
      : 0;
    const cpu = concurrency > 0 ? Math.min(100, (100 * (bucket?.busyMs ?? 0)) / (METRIC_MINUTE_MS * concurrency)) : 0;
    return {
      name,
      timestamp,
      label: `${SERVED_ENTITY_LABEL}="${escapeLabel(name)}"`,
      bucket,
      latencies: bucket && bucket.latenciesMs.length ? sortedCopy(bucket.latenciesMs) : undefined,
      inference: bucket && bucket.inferenceMs.length ? sortedCopy(bucket.inferenceMs) : undefined,
      served: spec !== undefined,
      concurrency,
      cpu,
      // A model's memory is mostly its weights: a base share while provisioned, growing with the load.
      mem: concurrency > 0 ? Math.min(100, 25 + cpu / 2) : 0,
    };
  });
}
