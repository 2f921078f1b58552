/**
 * Item 5: the load generator's accuracy at 100 and 500 requests per second: achieved rate against the target, and
 * measured percentiles (minus the round trip's fixed overhead, measured on a constant 100 ms version) against the
 * emulator's configured lognormal (median 100 ms, p99 200 ms). Same method as test/load/emulator-accuracy.test.ts.
 */
import { DatabricksClient } from '../src/databricks';
import { startEmulator, type WorldInput } from '../src/emulator';
import { quantile as distributionQuantile } from '../src/emulator/random';
import { invocationSender } from '../src/load/databricks-target';
import { runLoad } from '../src/load/generator';

const TOKEN = 'dapi-bench-load-000001';
const MODEL = 'main.ml.scorer';
const REGION = 'us-east-1';
const LOGNORMAL = { distribution: 'lognormal' as const, median: 100, p99: 200 };

const world: WorldInput = {
  seed: 5,
  primary: REGION,
  principals: [{ name: 'bench', token: TOKEN }],
  behaviors: { constant: { latency: '100ms' }, lognormal: { latency: LOGNORMAL } },
  models: [
    {
      name: MODEL,
      versions: [
        { version: 1, behavior: 'constant' },
        { version: 2, behavior: 'lognormal' },
      ],
    },
  ],
  regions: [
    {
      name: REGION,
      endpoints: [
        { name: 'constant', served_entities: [{ entity_name: MODEL, entity_version: 1 }] },
        { name: 'lognormal', served_entities: [{ entity_name: MODEL, entity_version: 2 }] },
      ],
    },
  ],
};

export interface LoadRow {
  targetRps: number;
  achievedRps: number;
  rateError: number;
  requests: number;
  dropped: number;
  overheadMs: number;
  percentiles: Record<'p50' | 'p90' | 'p99', { measuredMs: number; expectedMs: number; error: number }>;
}

export async function runLoadAccuracy(options: {
  rates: number[];
  durationMs: number;
  log: (line: string) => void;
}): Promise<LoadRow[]> {
  const emu = await startEmulator(world);
  try {
    const client = new DatabricksClient({ host: emu.url(REGION), token: TOKEN, env: {} });
    const load = (endpoint: string, rps: number, durationMs: number) =>
      runLoad({
        rps,
        durationMs,
        concurrency: 1000,
        timeoutMs: 5000,
        payloads: [{ dataframe_records: [{ x: 1 }] }],
        send: invocationSender(client, endpoint),
      });
    const rows: LoadRow[] = [];
    for (const rps of options.rates) {
      await load('constant', rps, 1000); // warm up connections and JIT at this rate
      const base = await load('constant', rps, 2000);
      const overheadMs = base.overall.latencyMs.p50 - 100;
      const result = await load('lognormal', rps, options.durationMs);
      const percentiles = Object.fromEntries(
        (['p50', 'p90', 'p99'] as const).map((p) => {
          const expectedMs = distributionQuantile(LOGNORMAL, Number(p.slice(1)) / 100);
          const measuredMs = result.overall.latencyMs[p];
          return [p, { measuredMs, expectedMs, error: (measuredMs - overheadMs - expectedMs) / expectedMs }];
        }),
      ) as LoadRow['percentiles'];
      const row: LoadRow = {
        targetRps: rps,
        achievedRps: result.achievedRps,
        rateError: (result.achievedRps - rps) / rps,
        requests: result.completed,
        dropped: result.dropped,
        overheadMs,
        percentiles,
      };
      options.log(
        `load generator at ${rps} rps: achieved ${row.achievedRps.toFixed(1)} rps (${(row.rateError * 100).toFixed(2)}%), ` +
          `${row.dropped} dropped; percentile error p50 ${(percentiles.p50.error * 100).toFixed(1)}%, p90 ` +
          `${(percentiles.p90.error * 100).toFixed(1)}%, p99 ${(percentiles.p99.error * 100).toFixed(1)}% ` +
          `(round-trip overhead ${overheadMs.toFixed(2)} ms subtracted)`,
      );
      rows.push(row);
    }
    return rows;
  } finally {
    await emu.close();
  }
}
