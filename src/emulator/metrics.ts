/**
 * Per served entity counters, exported in Prometheus text at GET /api/2.0/serving-endpoints/{name}/metrics.
 * Metric names follow Databricks' metrics-export page (request_count_total, request_4xx_count_total,
 * request_5xx_count_total, request_latency_ms); the exact names and labels are UNCONFIRMED by the reference, so the
 * label `served_entity_name` is our choice (see docs/emulator.md).
 */

/** Upper bounds (ms) of the latency histogram buckets. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10000];

export class EntityMetrics {
  requests = 0;
  errors4xx = 0;
  errors5xx = 0;
  latencySumMs = 0;
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);

  record(status: number, latencyMs: number) {
    this.requests++;
    if (status >= 400 && status < 500) this.errors4xx++;
    if (status >= 500) this.errors5xx++;
    this.latencySumMs += latencyMs;
    const index = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
    this.buckets[index < 0 ? LATENCY_BUCKETS_MS.length : index]++;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * An endpoint's metrics by served entity name. It takes the map, not the endpoint's record, so that serving.ts and
 * this module do not import each other.
 */
export function renderPrometheus(metricsByEntity: ReadonlyMap<string, EntityMetrics>): string {
  const entries = [...metricsByEntity.entries()].sort(([a], [b]) => a.localeCompare(b));
  const lines: string[] = [];
  const counter = (name: string, help: string, pick: (m: EntityMetrics) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [entity, metrics] of entries)
      lines.push(`${name}{served_entity_name="${escapeLabel(entity)}"} ${pick(metrics)}`);
  };
  counter('request_count_total', 'Number of requests processed by the served entity.', (m) => m.requests);
  counter('request_4xx_count_total', 'Number of requests answered with a 4xx status.', (m) => m.errors4xx);
  counter('request_5xx_count_total', 'Number of requests answered with a 5xx status.', (m) => m.errors5xx);
  lines.push(
    '# HELP request_latency_ms Model latency of the served entity in milliseconds.',
    '# TYPE request_latency_ms histogram',
  );
  for (const [entity, metrics] of entries) {
    const label = `served_entity_name="${escapeLabel(entity)}"`;
    let cumulative = 0;
    LATENCY_BUCKETS_MS.forEach((bound, i) => {
      cumulative += metrics.buckets[i];
      lines.push(`request_latency_ms_bucket{${label},le="${bound}"} ${cumulative}`);
    });
    cumulative += metrics.buckets[LATENCY_BUCKETS_MS.length];
    lines.push(`request_latency_ms_bucket{${label},le="+Inf"} ${cumulative}`);
    lines.push(`request_latency_ms_sum{${label}} ${+metrics.latencySumMs.toFixed(3)}`);
    lines.push(`request_latency_ms_count{${label}} ${metrics.requests}`);
  }
  return lines.join('\n') + '\n';
}
