/**
 * The worker's metrics configuration (`ROLLOUT_METRICS_ADDRESS`) and the example Grafana dashboard: every query in
 * examples/grafana/model-rollout.json names only metrics the code emits (src/shared/rollout-metrics.ts) or the SDK
 * core metrics the end-to-end test finds (SDK_METRICS), and every metric of ours has a panel, so neither drifts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLLOUT_METRICS, rolloutHistogramBuckets, type MetricDefinition } from '../src/shared/rollout-metrics';
import { parseMetricsAddress, SDK_METRICS } from '../src/worker-metrics';

describe('ROLLOUT_METRICS_ADDRESS', () => {
  it.each([
    ['0.0.0.0:9464', '0.0.0.0:9464'],
    [' 127.0.0.1:19464 ', '127.0.0.1:19464'],
    ['[::]:9464', '[::]:9464'],
    ['', undefined],
    [undefined, undefined],
  ])('%p is %p', (value, expected) => {
    expect(parseMetricsAddress(value)).toBe(expected);
  });

  it.each([
    ['9464', /ROLLOUT_METRICS_ADDRESS="9464": it is not <ip>:<port>; for example 0\.0\.0\.0:9464/],
    ['localhost:9464', /"localhost" is not an IP address \(use 0\.0\.0\.0/],
    ['0.0.0.0:0', /port 0 is not between 1 and 65535/],
    ['0.0.0.0:70000', /port 70000 is not between 1 and 65535/],
    [':::9464', /not <ip>:<port>|IPv6 address goes in brackets/],
    ['[127.0.0.1]:9464', /only an IPv6 address goes in brackets/],
    ['http://0.0.0.0:9464', /ROLLOUT_METRICS_ADDRESS=/],
  ])('refuses %p, naming the variable and the fix', (value, message) => {
    expect(() => parseMetricsAddress(value)).toThrow(message);
  });
});

describe('metric names', () => {
  const definitions: MetricDefinition[] = Object.values(ROLLOUT_METRICS);

  it('follow the Prometheus naming rules: one prefix, snake_case, _total counters, _seconds histograms', () => {
    for (const { name, kind, labels } of definitions) {
      expect(name).toMatch(/^model_rollout_[a-z0-9]+(_[a-z0-9]+)*$/);
      expect(name.endsWith('_total')).toBe(kind === 'counter');
      if (kind === 'histogram') expect(name).toMatch(/_seconds$/);
      for (const label of labels) expect(label).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
    expect(new Set(definitions.map((d) => d.name)).size).toBe(definitions.length);
  });

  it('give every histogram its buckets, ascending', () => {
    const buckets = rolloutHistogramBuckets();
    for (const { name, kind } of definitions) {
      if (kind !== 'histogram') continue;
      expect(buckets[name]?.length).toBeGreaterThan(3);
      expect(buckets[name]).toEqual([...buckets[name]].sort((a, b) => a - b));
    }
  });
});

/** The series names a PromQL expression reads: what is left once strings, matchers, ranges, grouping and calls go. */
function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/label_values\(([^,)]+)(?:,[^)]*)?\)/g, '$1') // a dashboard variable's query: its metric, its label
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$[a-zA-Z_]+/g, '');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)]
    .filter((m) => m[2] === undefined && !keywords.has(m[1]))
    .map((m) => m[1]);
}

describe('the example Grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(join(__dirname, '..', 'examples', 'grafana', 'model-rollout.json'), 'utf8'),
  ) as {
    panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; query?: string | { query: string } }> };
  };
  const exprs = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
    ...dashboard.templating.list
      .filter((v) => typeof v.query === 'object')
      .map((v) => ({ where: `variable ${v.name}`, expr: (v.query as { query: string }).query })),
  ];
  /** Every series name the code emits: counters and gauges as named, histograms as _bucket, _sum, _count. */
  const emitted = new Set(
    [...Object.values(ROLLOUT_METRICS), ...Object.values(SDK_METRICS)].flatMap(({ name, kind }) =>
      kind === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
    ),
  );

  it('reads only metrics the code emits', () => {
    expect(exprs.length).toBeGreaterThan(10);
    const unknown = exprs.flatMap(({ where, expr }) => {
      const names = seriesNames(expr);
      if (names.length === 0) return [`${where}: reads no metric: ${expr}`];
      return names.filter((n) => !emitted.has(n)).map((n) => `${where}: ${n}`);
    });
    expect(unknown).toEqual([]);
  });

  it('shows every metric of ours and every SDK metric it names', () => {
    const read = new Set(exprs.flatMap(({ expr }) => seriesNames(expr)));
    const unshown = [...Object.values(ROLLOUT_METRICS), ...Object.values(SDK_METRICS)]
      .filter(({ name }) => ![name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((n) => read.has(n)))
      .map(({ name }) => name);
    expect(unshown).toEqual([]);
  });

  it('sees a name the code does not emit (the check can fail)', () => {
    expect(seriesNames('sum by (region) (rate(model_rollout_rollout_total{region=~"$region"}[5m]))')).toEqual([
      'model_rollout_rollout_total',
    ]);
    expect(
      seriesNames('histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_execution_latency_bucket[1m])))'),
    ).toEqual(['temporal_workflow_task_execution_latency_bucket']);
    expect(seriesNames('label_values(model_rollout_databricks_requests_total, region)')).toEqual([
      'model_rollout_databricks_requests_total',
    ]);
  });
});
