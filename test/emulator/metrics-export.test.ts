/**
 * The metrics export as Databricks describes it (docs/databricks-api.md §1.8): per-minute gauges per served entity,
 * each stamped with the end of the last completed metric minute; the metric clock runs at the world's time_scale.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { parsePrometheusText } from '../../src/databricks/metrics';
import { LATENCY_QUANTILES, METRIC } from '../../src/databricks/metric-names';
import { readMetricMinutes } from '../../src/databricks/serving-metrics';
import { EntityMinutes, KEEP_MINUTES, MetricClock, renderMetrics } from '../../src/emulator/metrics';
import { call, QUERY_TOKEN, testWorld } from '../support/emulator';

const MINUTE = 60_000;
const served = (name: string, extra: Partial<{ workloadSize: string; scaleToZeroEnabled: boolean }> = {}) => ({
  name,
  workloadSize: 'Small',
  scaleToZeroEnabled: false,
  ...extra,
});

/** Sample values by `name{entity}` and the set of timestamps, from an export. */
function values(text: string) {
  const { samples, families } = parsePrometheusText(text);
  return {
    get: (name: string, entity: string) =>
      samples.find((s) => s.name === name && s.labels.served_entity_name === entity)?.value,
    timestamps: new Set(samples.map((s) => s.timestamp)),
    families,
    samples,
  };
}

describe('renderMetrics', () => {
  const M = 29_000_000; // a metric minute index (minute M ends at (M + 1) * 60000)
  const latencies = [5, 1, 4, 2, 3, 10, 7, 6, 9, 8];
  const entity = () => {
    const minutes = new EntityMinutes();
    latencies.forEach((ms) => minutes.record(M, 200, ms, ms / 2));
    minutes.record(M, 400, 50, 50);
    minutes.record(M, 429, 1, 0);
    minutes.record(M, 503, 70, 60);
    return minutes;
  };

  it('publishes gauges of the last completed minute, stamped with its end, rates recovering the counts', () => {
    const text = renderMetrics(new Map([['champion', entity()]]), [served('champion')], M + 1);
    const v = values(text);
    for (const [name, info] of v.families) expect([name, info.type]).toEqual([name, 'gauge']);
    expect(v.timestamps).toEqual(new Set([(M + 1) * MINUTE]));
    const count = (name: string) => Math.round(v.get(name, 'champion')! * 60);
    expect(v.get(METRIC.requestRate, 'champion')).toBe(13 / 60);
    expect(
      [
        METRIC.requestRate,
        METRIC.request4xxRate,
        METRIC.request5xxRate,
        METRIC.request429Rate,
        METRIC.requestErrorRate,
      ].map(count),
    ).toEqual([13, 2, 1, 1, 3]);
    expect(v.get(METRIC.provisionedConcurrency, 'champion')).toBe(4);
    expect(v.get(METRIC.cpuUsagePercentage, 'champion')).toBeGreaterThan(0);
    expect(v.get(METRIC.memUsagePercentage, 'champion')).toBeGreaterThan(0);
  });

  it('gives nearest-rank quantiles of the 2xx latencies, exact on a known set', () => {
    const v = values(renderMetrics(new Map([['champion', entity()]]), [served('champion')], M + 1));
    // 1..10: nearest rank ceil(q*10) gives p50 = 5, p90 = 9, p95 = 10, p99 = 10; errors' latencies are left out.
    const expected: Record<string, number> = { p50: 5, p90: 9, p95: 10, p99: 10 };
    for (const g of LATENCY_QUANTILES) {
      expect([g.key, v.get(g.latency, 'champion')]).toEqual([g.key, expected[g.key]]);
      expect([g.key, v.get(g.inference, 'champion')]).toEqual([g.key, expected[g.key] / 2]);
    }
  });

  it('counts a minute once: the next minute without requests reads 0, with no latency gauges', () => {
    const minutes = entity();
    minutes.record(M + 2, 200, 3, 3); // the minute in progress at M + 2 is not shown yet
    const v = values(renderMetrics(new Map([['champion', minutes]]), [served('champion')], M + 2));
    expect(v.timestamps).toEqual(new Set([(M + 2) * MINUTE]));
    expect(v.get(METRIC.requestRate, 'champion')).toBe(0);
    expect(v.get(METRIC.request5xxRate, 'champion')).toBe(0);
    expect(v.get('latency_p50_ms', 'champion')).toBeUndefined();
    expect(v.get('model_inference_latency_p99_ms', 'champion')).toBeUndefined();
    const next = values(renderMetrics(new Map([['champion', minutes]]), [served('champion')], M + 3));
    expect(next.get(METRIC.requestRate, 'champion')).toBe(1 / 60);
  });

  it('lists every served entity, and an entity no longer served while its minute is shown', () => {
    const metrics = new Map([['old', entity()]]);
    const text = renderMetrics(
      metrics,
      [served('champion'), served('idle', { scaleToZeroEnabled: true, workloadSize: 'Large' })],
      M + 1,
    );
    const v = values(text);
    expect(v.get(METRIC.requestRate, 'old')).toBe(13 / 60);
    expect(v.get(METRIC.cpuUsagePercentage, 'old')).toBeUndefined(); // capacity gauges: served entities only
    expect(v.get(METRIC.requestRate, 'champion')).toBe(0);
    expect(v.get(METRIC.provisionedConcurrency, 'champion')).toBe(4);
    expect(v.get(METRIC.provisionedConcurrency, 'idle')).toBe(0); // scaled to zero without requests
    // A minute later 'old' has nothing to show, and once its kept minutes are past it is forgotten.
    expect(values(renderMetrics(metrics, [served('champion')], M + 2)).get(METRIC.requestRate, 'old')).toBeUndefined();
    renderMetrics(metrics, [served('champion')], M + KEEP_MINUTES + 1);
    expect(metrics.has('old')).toBe(false);
  });

  it('shows several completed minutes, each with its own timestamp, when asked to (emulator extension)', () => {
    const minutes = entity();
    minutes.record(M + 1, 200, 3, 3);
    const readings = readMetricMinutes(
      parsePrometheusText(renderMetrics(new Map([['champion', minutes]]), [served('champion')], M + 2, 3)).samples,
    );
    expect(readings.map((r) => [r.timestamp, r.entities.get('champion')!.requests])).toEqual([
      [M * MINUTE, 0],
      [(M + 1) * MINUTE, 13],
      [(M + 2) * MINUTE, 1],
    ]);
  });

  it('keeps a bounded number of minutes per entity', () => {
    const minutes = new EntityMinutes();
    for (let m = 0; m < 500; m++) minutes.record(m, 200, 1, 1);
    expect(minutes.minutes.size).toBeLessThanOrEqual(KEEP_MINUTES);
    expect(Math.min(...minutes.minutes.keys())).toBe(500 - KEEP_MINUTES);
    expect(minutes.totalRequests).toBe(500);
  });
});

describe('MetricClock', () => {
  it('runs scale times faster than real time from the start', () => {
    const clock = new MetricClock(1_000_000, 600);
    expect(clock.at(1_000_000)).toBe(1_000_000);
    expect(clock.at(1_000_100)).toBe(1_000_000 + 60_000);
    expect(clock.minute(1_000_100) - clock.minute(1_000_000)).toBe(1);
  });
});

describe('over HTTP', () => {
  let emu: RunningEmulator;
  afterEach(() => emu?.close());
  const metrics = async () => {
    const reply = await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints/churn/metrics');
    expect(reply.status).toBe(200);
    return reply.text;
  };
  const query = () =>
    call(emu, 'us-east-1', 'POST', '/serving-endpoints/churn/invocations', {
      body: { dataframe_records: [{ tenure: 1 }] },
      token: QUERY_TOKEN,
    });

  it('advances metric minutes at the time scale (timestamps), and repeats a reading within a minute', async () => {
    emu = await startEmulator({ ...testWorld(), time_scale: 600 });
    const first = readMetricMinutes(parsePrometheusText(await metrics()).samples);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = readMetricMinutes(parsePrometheusText(await metrics()).samples);
    const elapsed = performance.now() - started;
    expect([first.length, second.length]).toEqual([1, 1]);
    const minutes = (second[0].timestamp - first[0].timestamp) / MINUTE;
    // 600x: a metric minute per 100 ms of real time (the reads themselves take a little time too).
    expect(Number.isInteger(minutes)).toBe(true);
    expect(Math.abs(minutes - (elapsed * 600) / MINUTE)).toBeLessThanOrEqual(2);
    await emu.close();

    // Real time: two readings in quick succession describe the same minute, identically (or, across a minute
    // boundary, consecutive minutes).
    emu = await startEmulator(testWorld());
    const [a, b] = [await metrics(), await metrics()];
    const [ta, tb] = [values(a).timestamps, values(b).timestamps];
    expect(ta.size).toBe(1);
    const [at] = [...ta] as number[];
    // At scale 1 the metric clock is the wall clock: the last completed minute ends at the current minute's start.
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    expect([now, now - MINUTE]).toContain(at);
    if (tb.has(at)) expect(b).toBe(a);
    else expect([...tb]).toEqual([at + MINUTE]);
  });

  it('shows metrics_export_minutes consecutive minutes when the world asks for them', async () => {
    emu = await startEmulator({ ...testWorld(), time_scale: 600, metrics_export_minutes: 5 });
    const readings = readMetricMinutes(parsePrometheusText(await metrics()).samples);
    expect(readings).toHaveLength(5);
    expect(readings.map((r) => r.timestamp - readings[0].timestamp)).toEqual([0, 1, 2, 3, 4].map((m) => m * MINUTE));
  });

  it('counts each invocation once, in the minute it was answered in', async () => {
    emu = await startEmulator({ ...testWorld(), time_scale: 60 }); // a metric minute per second
    const seen = new Map<number, number>();
    const read = async () => {
      for (const minute of readMetricMinutes(parsePrometheusText(await metrics()).samples))
        seen.set(minute.timestamp, minute.entities.get('churn-1')?.requests ?? 0);
    };
    await read();
    const before = new Set(seen.keys());
    const answers = await Promise.all(Array.from({ length: 7 }, query));
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(200));
    const sentAt = Date.now();
    // Read every 100 ms (a metric minute is 1 s) until the minutes of the requests are complete.
    while (Date.now() < sentAt + 2200) {
      await read();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const counted = [...seen].filter(([t]) => !before.has(t)).reduce((sum, [, n]) => sum + n, 0);
    expect(counted).toBe(7);
  });
});
