/** The reader of the per-minute gauge export: round trip with the emulator's writer, and robustness. */
import { parsePrometheusText } from '../../src/databricks/metrics';
import { readMetricMinutes, toVersionAggregate } from '../../src/databricks/serving-metrics';
import { EntityMinutes, renderMetrics } from '../../src/emulator/metrics';
import { simulateMinute } from '../../src/emulator/live-traffic';
import { behaviorSchema } from '../../src/emulator/world';

const read = (text: string, readAt?: number) => readMetricMinutes(parsePrometheusText(text).samples, readAt);
const served = (name: string) => ({ name, workloadSize: 'Medium', scaleToZeroEnabled: false });

describe('readMetricMinutes', () => {
  it("round-trips the emulator's export of simulated minutes into the judge's VersionAggregate", () => {
    const behavior = (input: unknown) => behaviorSchema.parse(input);
    const entities = [
      {
        name: 'champion',
        percent: 80,
        behavior: behavior({ latency: { distribution: 'lognormal', median: 20, p99: 90 }, error_rate: 0.02 }),
      },
      {
        name: 'challenger',
        percent: 20,
        behavior: behavior({ latency: '30ms', error_rate: 0.1, error_status: 429 }),
      },
    ];
    for (let minute = 1000; minute < 1020; minute++) {
      const outcomes = simulateMinute(entities, 7, minute, 4);
      const metrics = new Map<string, EntityMinutes>();
      for (const [name, outcome] of outcomes) {
        const minutes = new EntityMinutes();
        minutes.add(minute, outcome);
        metrics.set(name, minutes);
      }
      const readings = read(renderMetrics(metrics, [served('champion'), served('challenger')], minute + 1));
      expect(readings.map((r) => r.timestamp)).toEqual([(minute + 1) * 60_000]);
      for (const [name, outcome] of outcomes) {
        const { latenciesMs: _sorted, busyMs: _busy, ...aggregate } = outcome;
        expect([name, toVersionAggregate(readings[0], name)]).toEqual([name, aggregate]);
        expect(readings[0].entities.get(name)!.provisionedConcurrency).toBe(16);
      }
    }
  });

  it('groups several timestamps, oldest first, and leaves missing gauges absent (never NaN)', () => {
    const text = [
      '# TYPE request_rate gauge',
      'request_rate{served_entity_name="a"} 0.5 120000',
      'request_rate{served_entity_name="a"} 0.25 60000',
      'request_5xx_rate{served_entity_name="a"} 0.05 60000',
      'latency_p99_ms{served_entity_name="a"} 41.5 60000',
      'latency_p99_ms{served_entity_name="b"} NaN 60000',
      'request_rate{other="x"} 3 60000',
      'unknown_gauge{served_entity_name="a"} 3 60000',
    ].join('\n');
    const readings = read(text);
    expect(readings.map((r) => r.timestamp)).toEqual([60_000, 120_000]);
    expect(readings[0].entities.get('a')).toEqual({
      requests: 15,
      errors5xx: 3,
      quantilesMs: { p99: 41.5 },
      inferenceQuantilesMs: {},
    });
    expect(readings[0].entities.get('b')).toBeUndefined(); // its only sample was NaN
    expect(readings[1].entities.get('a')).toEqual({ requests: 30, quantilesMs: {}, inferenceQuantilesMs: {} });
    expect(toVersionAggregate(readings[1], 'a')).toEqual({
      requests: 30,
      errors4xx: 0,
      errors5xx: 0,
      throttled: 0,
      quantilesMs: {},
    });
    expect(toVersionAggregate(readings[1], 'nobody')).toBeUndefined();
  });

  it('tells 429 apart when the export has the 429 gauge, and derives 4xx from the error rate without a 4xx gauge', () => {
    const withThrottling = read(
      [
        'request_rate{served_entity_name="a"} 1 60000',
        'request_4xx_rate{served_entity_name="a"} 0.1 60000',
        'request_429_rate{served_entity_name="a"} 0.05 60000',
      ].join('\n'),
    );
    expect(withThrottling[0].entities.get('a')).toMatchObject({ requests: 60, errors4xx: 3, throttled: 3 });
    const databricksOnly = read(
      [
        'request_rate{served_entity_name="a"} 1 60000',
        'request_error_rate{served_entity_name="a"} 0.2 60000',
        'request_5xx_rate{served_entity_name="a"} 0.05 60000',
      ].join('\n'),
    );
    expect(databricksOnly[0].entities.get('a')).toMatchObject({ requests: 60, errors4xx: 9, errors5xx: 3 });
    expect(databricksOnly[0].entities.get('a')!.throttled).toBeUndefined();
  });

  it('attributes samples without a timestamp to the minute completed at readAt, or leaves them out', () => {
    const text = 'request_rate{served_entity_name="a"} 0.5\n';
    expect(read(text)).toEqual([]);
    expect(read(text, 150_000).map((r) => [r.timestamp, r.entities.get('a')!.requests])).toEqual([[120_000, 30]]);
  });
});
