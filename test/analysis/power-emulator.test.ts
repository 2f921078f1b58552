/**
 * Power of the canary judge on the emulator, over many seeds: the endpoint serves the champion at 90% and the
 * challenger at 10% (with light user traffic through it), and the judge probes both versions over real HTTP.
 *   - an equal challenger must pass in at least 95% of runs (false failures at most 5%);
 *   - a challenger with +5 points of errors must fail in at least 95%;
 *   - a challenger with +50% p99 latency (same median, heavier tail) must fail in at least 95%.
 * POWER_SEEDS sets the number of seeds per case (default 20); the figures are written to
 * test-artifacts/canary-power.json and printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeCanaryWith } from '../../src/activities/analysis';
import { DatabricksClient } from '../../src/databricks';
import { startEmulator } from '../../src/emulator';
import type { WorldInput } from '../../src/emulator/world';
import { invocationSender } from '../../src/load/databricks-target';
import { runLoad } from '../../src/load/generator';
import { planSchema } from '../../src/plan/schema';

const SEEDS = Number(process.env.POWER_SEEDS ?? 20);
const TOKEN = 'dapi-power-test-0001';
const MODEL = 'main.ml.scorer';
const CHAMPION = { latency: { distribution: 'lognormal' as const, median: 20, p99: 60 }, error_rate: 0.002 };
const CASES = {
  equal: CHAMPION,
  'errors +5 points': { ...CHAMPION, error_rate: 0.052 },
  'p99 +50%': { ...CHAMPION, latency: { distribution: 'lognormal' as const, median: 20, p99: 90 } },
};

function world(seed: number, challenger: object): WorldInput {
  return {
    seed,
    primary: 'us-east-1',
    principals: [{ name: 'judge', token: TOKEN }],
    behaviors: { champion: CHAMPION, challenger },
    models: [
      {
        name: MODEL,
        versions: [
          { version: 1, behavior: 'champion' },
          { version: 2, behavior: 'challenger' },
        ],
      },
    ],
    regions: [
      {
        name: 'us-east-1',
        endpoints: [
          {
            name: 'scorer',
            served_entities: [
              { name: 'champion', entity_name: MODEL, entity_version: '1' },
              { name: 'challenger', entity_name: MODEL, entity_version: '2' },
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
}

const canary = planSchema.shape.tests
  .unwrap()
  .shape.canary.unwrap()
  .parse({ probe_rps: 300, min_requests: 200, max_requests: 1500, max_extension: '5s' });

async function run(seed: number, challenger: object) {
  const emu = await startEmulator(world(seed, challenger));
  try {
    const client = new DatabricksClient({ host: emu.url('us-east-1'), token: TOKEN, env: {} });
    const abort = new AbortController();
    // Users keep querying the endpoint through its 90/10 split while the judge probes both versions.
    const users = runLoad({
      rps: 50,
      durationMs: 60_000,
      concurrency: 32,
      timeoutMs: 5000,
      payloads: [{ dataframe_records: [{ x: 1 }] }],
      send: invocationSender(client, 'scorer'),
      signal: abort.signal,
    });
    const result = await judgeCanaryWith(client, {
      region: 'us-east-1',
      workspace: { host: emu.url('us-east-1') },
      endpoint: 'scorer',
      champion: 'champion',
      challenger: 'challenger',
      canary,
      windowMs: 3000,
      payloads: [{ x: 1 }, { x: 2 }],
    });
    abort.abort();
    await users;
    const evidence = result.evidence as { elapsedMs: number; verdict: { decision: string } };
    if (process.env.POWER_DEBUG) console.log(result.summary);
    return { passed: result.passed, decision: evidence.verdict.decision, seconds: evidence.elapsedMs / 1000 };
  } finally {
    await emu.close();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

const figures: Record<string, unknown> = {};
afterAll(() => {
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync(
    join('test-artifacts', 'canary-power.json'),
    JSON.stringify({ seeds: SEEDS, canary, figures }, null, 2),
  );
  console.log(`canary judge power on the emulator (${SEEDS} seeds per case):\n${JSON.stringify(figures, null, 2)}`);
});

it.each(Object.entries(CASES))(
  'judges "%s" correctly in at least 95% of seeds',
  async (name, challenger) => {
    const runs = [];
    for (let seed = 1; seed <= SEEDS; seed++) runs.push(await run(seed * 7919, challenger));
    const failed = runs.filter((r) => !r.passed);
    const correct = name === 'equal' ? runs.length - failed.length : failed.length;
    figures[name] = {
      correct: `${correct}/${runs.length}`,
      rate: correct / runs.length,
      medianSecondsToVerdict: median((name === 'equal' ? runs : failed).map((r) => r.seconds)),
      p95SecondsToVerdict: [...runs.map((r) => r.seconds)].sort((a, b) => a - b)[Math.floor(runs.length * 0.95) - 1],
      decisions: runs.map((r) => r.decision).join(','),
    };
    expect(correct / runs.length).toBeGreaterThanOrEqual(0.95);
  },
  300_000,
);
