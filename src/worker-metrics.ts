/**
 * The worker's Prometheus endpoint: `ROLLOUT_METRICS_ADDRESS=<ip>:<port>` makes the Temporal runtime serve
 * `http://<ip>:<port>/metrics`, with the SDK core's metrics (`temporal_*`: task latencies, slots, polls) and ours
 * (`model_rollout_*`, src/shared/rollout-metrics.ts) through the one exporter.
 *
 * Off unless set: one machine often runs several workers (per-region workers, the benchmarks' worker processes), and
 * a default port would make the second one fail to start; 9464 is the port to choose when only one runs.
 */
import { isIP } from 'node:net';
import type { MetricsExporterConfig } from '@temporalio/worker';
import { rolloutHistogramBuckets } from './shared/rollout-metrics';

export const METRICS_ADDRESS_VARIABLE = 'ROLLOUT_METRICS_ADDRESS';

/**
 * The SDK core's metrics the example dashboard shows (examples/grafana/model-rollout.json), as the core names them
 * (https://docs.temporal.io/references/sdk-metrics); test/workflows/metrics.test.ts finds each one in a scrape.
 * Histograms are in seconds here (`useSecondsForDurations`), without a unit suffix in their names.
 */
export const SDK_METRICS = {
  workflowTaskExecutionLatency: { name: 'temporal_workflow_task_execution_latency', kind: 'histogram' },
  workflowTaskScheduleToStartLatency: { name: 'temporal_workflow_task_schedule_to_start_latency', kind: 'histogram' },
  activityScheduleToStartLatency: { name: 'temporal_activity_schedule_to_start_latency', kind: 'histogram' },
  activityExecutionLatency: { name: 'temporal_activity_execution_latency', kind: 'histogram' },
  taskSlotsAvailable: { name: 'temporal_worker_task_slots_available', kind: 'gauge' },
  pollers: { name: 'temporal_num_pollers', kind: 'gauge' },
  stickyCacheSize: { name: 'temporal_sticky_cache_size', kind: 'gauge' },
  stickyCacheHits: { name: 'temporal_sticky_cache_hit', kind: 'counter' },
} as const;

/**
 * The bind address in `value` (`0.0.0.0:9464`, `127.0.0.1:9464`, `[::]:9464`), undefined when unset or empty. The
 * runtime binds an IP address, not a host name, so a host name is refused here with the fix, not later in the core.
 */
export function parseMetricsAddress(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const why = !match
    ? 'it is not <ip>:<port>'
    : isIP(host!) === 0
      ? `"${host}" is not an IP address (use 0.0.0.0 for every interface, 127.0.0.1 for this machine only)`
      : match[1] !== undefined && isIP(host!) !== 6
        ? 'only an IPv6 address goes in brackets'
        : match[2] !== undefined && isIP(host!) === 6
          ? 'an IPv6 address goes in brackets ([::]:9464)'
          : !(port >= 1 && port <= 65535)
            ? `port ${match[3]} is not between 1 and 65535`
            : undefined;
  if (why) throw new Error(`${METRICS_ADDRESS_VARIABLE}="${text}": ${why}; for example 0.0.0.0:9464`);
  return text;
}

/**
 * The runtime's metrics exporter: durations in seconds (the SDK's default is milliseconds, against Prometheus'
 * base units), and our histograms' buckets (its defaults stop at 10 s; an approval waits hours).
 */
export function prometheusMetrics(bindAddress: string): MetricsExporterConfig {
  return {
    prometheus: {
      bindAddress,
      useSecondsForDurations: true,
      histogramBucketOverrides: rolloutHistogramBuckets(),
    },
  };
}
