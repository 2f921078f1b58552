/**
 * The load generator end to end: the typed client against the emulator, whose model versions sleep a seeded, known
 * latency distribution. This test checks that what is measured is the configured distribution (the right
 * percentiles, in the right unit, with no request lost); the precision of the measurement (percentile error at 100
 * and 500 rps) is a figure of `npm run bench -- --only load`, not an assertion here, because it depends on how busy
 * the machine is.
 *
 * The bounds are asymmetric. A response cannot arrive before the model's sleep ends, so the measured quantile may sit
 * below the configured one only by the sampling error of this seeded sample (about -3% at the p50 and -4% at the p90
 * for n = 500). Above, a busy host adds event-loop delay, so the margin is wide (+20%) yet still narrower than the
 * gap between neighbouring percentiles (the p90 is 46% above the p50), so a mislabelled percentile or a wrong unit
 * still fails.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { quantile } from '../../src/emulator/random';
import type { WorldInput } from '../../src/emulator/world';
import { DatabricksClient } from '../../src/databricks';
import { invocationSender } from '../../src/load/databricks-target';
import { runLoad, type LoadResult } from '../../src/load/generator';

const TOKEN = 'dapi-load-test-000001';
const MODEL = 'main.ml.scorer';
const REGION = 'us-east-1';
const LOGNORMAL = { distribution: 'lognormal' as const, median: 100, p99: 200 };

const world: WorldInput = {
  seed: 11,
  primary: REGION,
  principals: [{ name: 'admin', token: TOKEN }],
  behaviors: {
    instant: { latency: '100ms' },
    lognormal: { latency: LOGNORMAL },
    champion: { latency: '2ms' },
    challenger: { latency: '2ms' },
  },
  models: [
    {
      name: MODEL,
      versions: [
        { version: 1, behavior: 'instant' },
        { version: 2, behavior: 'lognormal' },
        { version: 3, behavior: 'champion' },
        { version: 4, behavior: 'challenger' },
      ],
    },
  ],
  regions: [
    {
      name: REGION,
      endpoints: [
        { name: 'instant', served_entities: [{ entity_name: MODEL, entity_version: 1 }] },
        { name: 'lognormal', served_entities: [{ entity_name: MODEL, entity_version: 2 }] },
        {
          name: 'split',
          served_entities: [
            { name: 'champion', entity_name: MODEL, entity_version: 3 },
            { name: 'challenger', entity_name: MODEL, entity_version: 4 },
          ],
          traffic_config: {
            routes: [
              { served_entity_name: 'champion', traffic_percentage: 90 },
              { served_entity_name: 'challenger', traffic_percentage: 10 },
            ],
          },
        },
      ],
    },
  ],
};

let emu: RunningEmulator;
let client: DatabricksClient;
const report: string[] = [];

beforeAll(async () => {
  emu = await startEmulator(world);
  client = new DatabricksClient({ host: emu.url(REGION), token: TOKEN, env: {} });
});

afterAll(async () => {
  await emu.close();
  console.log(report.join('\n'));
});

async function load(endpoint: string, rps: number, durationMs: number): Promise<LoadResult> {
  return runLoad({
    rps,
    durationMs,
    concurrency: 500,
    timeoutMs: 5000,
    payloads: [{ dataframe_records: [{ tenure: 3 }] }, { dataframe_records: [{ tenure: 7 }] }],
    send: invocationSender(client, endpoint),
  });
}

const pct = (measured: number, expected: number) => (measured - expected) / expected;
const fmt = (x: number) => `${(x * 100).toFixed(1)}%`;

test('percentiles at 100 rps follow the configured lognormal (p50, p90), and nothing is lost', async () => {
  const rps = 100;
  await load('instant', rps, 1000); // warm up connections and JIT
  const base = await load('instant', rps, 2000);
  expect(base.overall.statusClasses['2xx']).toBe(base.scheduled);
  // What the round trip adds to a 100 ms model: the same for every percentile of the lognormal run.
  const overhead = Math.max(0, base.overall.latencyMs.p50 - 100);

  const result = await load('lognormal', rps, 5000);
  expect(result.scheduled).toBe(500);
  expect(result.dropped).toBe(0);
  expect(result.overall.statusClasses['2xx']).toBe(result.scheduled);

  const { p50, p90, p99 } = result.overall.latencyMs;
  const errors = {
    p50: pct(p50 - overhead, quantile(LOGNORMAL, 0.5)),
    p90: pct(p90 - overhead, quantile(LOGNORMAL, 0.9)),
    p99: pct(p99 - overhead, quantile(LOGNORMAL, 0.99)),
  };
  report.push(
    `${rps} rps: n=${result.completed} achieved=${result.achievedRps.toFixed(2)} rps; overhead (100 ms version) ` +
      `${overhead.toFixed(3)} ms; ` +
      `lognormal p50=${p50.toFixed(2)} (expected ${quantile(LOGNORMAL, 0.5).toFixed(2)}+overhead, error ${fmt(errors.p50)}), ` +
      `p90=${p90.toFixed(2)} (expected ${quantile(LOGNORMAL, 0.9).toFixed(2)}+overhead, error ${fmt(errors.p90)}), ` +
      `p99=${p99.toFixed(2)} (expected ${quantile(LOGNORMAL, 0.99).toFixed(2)}+overhead, error ${fmt(errors.p99)})`,
  );
  for (const error of [errors.p50, errors.p90]) {
    expect(error).toBeGreaterThan(-0.08);
    expect(error).toBeLessThan(0.2);
  }
  expect(p50).toBeLessThan(p90);
  expect(p90).toBeLessThan(p99);
});

test('a 90/10 traffic split shows in byVariant within binomial tolerance', async () => {
  const result = await load('split', 200, 3000);
  const n = result.completed;
  expect(n).toBe(600);
  const challenger = result.byVariant.challenger?.requests ?? 0;
  const champion = result.byVariant.champion?.requests ?? 0;
  expect(champion + challenger).toBe(n);
  const sd = Math.sqrt(n * 0.1 * 0.9);
  report.push(`split 90/10: n=${n} challenger=${challenger} (expected ${n * 0.1} ± ${sd.toFixed(1)} sd)`);
  expect(Math.abs(challenger - n * 0.1)).toBeLessThan(4 * sd);
});

test('errors: an HTTP error answer keeps its status and is filed under the served model that answered', async () => {
  const perModel = await runLoad({
    rps: 50,
    durationMs: 200,
    concurrency: 10,
    timeoutMs: 5000,
    payloads: [{ unexpected: 1 }],
    send: invocationSender(client, 'split', 'challenger'),
  });
  expect(perModel.byVariant.challenger.statusClasses['4xx']).toBe(10);
  const routed = await runLoad({
    rps: 50,
    durationMs: 200,
    concurrency: 10,
    timeoutMs: 5000,
    payloads: [{ unexpected: 1 }],
    send: invocationSender(client, 'split'),
  });
  // Routed errors carry the served-model-name header of the entity that failed: nothing is filed under 'unknown'.
  expect(routed.byVariant.unknown).toBeUndefined();
  const routedErrors = (name: string) => routed.byVariant[name]?.statusClasses['4xx'] ?? 0;
  expect(routedErrors('champion') + routedErrors('challenger')).toBe(10);
  expect(routedErrors('champion')).toBeGreaterThan(0);
});

test('timeouts and network errors are classified', async () => {
  const slow = await runLoad({
    rps: 20,
    durationMs: 200,
    concurrency: 10,
    timeoutMs: 5,
    payloads: [{ dataframe_records: [{ tenure: 1 }] }],
    send: invocationSender(client, 'lognormal'),
  });
  expect(slow.overall.statusClasses.timeout).toBe(4);
  const closed = new DatabricksClient({ host: 'http://127.0.0.1:1', token: TOKEN, env: {} });
  const refused = await runLoad({
    rps: 20,
    durationMs: 200,
    concurrency: 10,
    timeoutMs: 2000,
    payloads: [{ dataframe_records: [{ tenure: 1 }] }],
    send: invocationSender(closed, 'lognormal'),
  });
  expect(refused.overall.statusClasses.network).toBe(4);
});
