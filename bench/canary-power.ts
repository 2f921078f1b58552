/**
 * Power of the canary judge on the emulator, over many seeds: the endpoint serves the champion at 90% and the
 * challenger at 10% (with light user traffic through it), and the judge probes both versions over real HTTP.
 * Cases: an equal challenger (must pass), +5 points of errors and +50% p99 latency with the same median (must fail).
 *
 * Run it in a process of its own (`npx tsx bench/canary-power.ts --seeds 20 [--json]`): latencies are measured on
 * the client, so a busy host process (a long test run's heap, other suites' threads) would blur the tails it judges.
 */
import { judgeCanaryWith } from '../src/activities/analysis';
import { DatabricksClient } from '../src/databricks';
import { startEmulator } from '../src/emulator';
import type { WorldInput } from '../src/emulator/world';
import { invocationSender } from '../src/load/databricks-target';
import { runLoad } from '../src/load/generator';
import { planSchema } from '../src/plan/schema';
import { quantile } from './figures';

const TOKEN = 'dapi-power-test-0001';
const MODEL = 'main.ml.scorer';
const CHAMPION = { latency: { distribution: 'lognormal' as const, median: 20, p99: 60 }, error_rate: 0.002 };

export const POWER_CASES = {
  equal: { challenger: CHAMPION, expected: 'pass' },
  'errors +5 points': { challenger: { ...CHAMPION, error_rate: 0.052 }, expected: 'fail' },
  'p99 +50%': {
    challenger: { ...CHAMPION, latency: { distribution: 'lognormal' as const, median: 20, p99: 90 } },
    expected: 'fail',
  },
} as const;
export type PowerCase = keyof typeof POWER_CASES;

export const POWER_CANARY = planSchema.shape.tests
  .unwrap()
  .shape.canary.unwrap()
  .parse({ probe_rps: 300, min_requests: 200, max_requests: 1500, max_extension: '5s' });

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

export interface PowerRun {
  seed: number;
  passed: boolean;
  decision: string;
  seconds: number;
  summary: string;
  /** Each test's figures at the deciding look: what a miss is explained by. */
  tests: string[];
}

/** One canary judgement on a fresh emulated workspace. */
export async function runPowerSeed(seed: number, challenger: object): Promise<PowerRun> {
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
      canary: POWER_CANARY,
      windowMs: 3000,
      payloads: [{ x: 1 }, { x: 2 }],
    });
    abort.abort();
    await users;
    const evidence = result.evidence as {
      elapsedMs: number;
      verdict: { decision: string; tests: { test: string; summary: string }[] };
    };
    return {
      seed,
      passed: result.passed,
      decision: evidence.verdict.decision,
      seconds: evidence.elapsedMs / 1000,
      summary: result.summary,
      tests: evidence.verdict.tests.map((t) => `${t.test}: ${t.summary}`),
    };
  } finally {
    await emu.close();
  }
}

export interface PowerFigures {
  expected: 'pass' | 'fail';
  correct: number;
  runs: number;
  rate: number;
  /** Over the runs that reached the expected verdict. */
  medianSecondsToVerdict: number;
  p95SecondsToVerdict: number;
  decisions: string;
  /** Runs that reached the wrong verdict, with the judge's summary. */
  misses: PowerRun[];
}

export async function measurePower(name: PowerCase, seeds: number): Promise<PowerFigures> {
  const { challenger, expected } = POWER_CASES[name];
  const runs: PowerRun[] = [];
  // Seeds are spread out so that neighbouring runs share no random stream.
  for (let i = 1; i <= seeds; i++) runs.push(await runPowerSeed(i * 7919, challenger));
  const right = runs.filter((r) => (expected === 'pass' ? r.passed : !r.passed));
  const seconds = right.map((r) => r.seconds);
  return {
    expected,
    correct: right.length,
    runs: runs.length,
    rate: right.length / runs.length,
    medianSecondsToVerdict: quantile(seconds, 0.5),
    p95SecondsToVerdict: quantile(seconds, 0.95),
    decisions: runs.map((r) => r.decision).join(','),
    misses: runs.filter((r) => !right.includes(r)),
  };
}

function parseArgs(argv: string[]): { seeds: number; cases: PowerCase[]; json: boolean } {
  let seeds = 20;
  const chosen: PowerCase[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--seeds') {
      seeds = Number(argv[++i]);
      if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds: expected a whole number of at least 1');
    } else if (arg === '--case') {
      const name = argv[++i];
      if (!(name in POWER_CASES))
        throw new Error(`--case: unknown case "${name}"; choose one of ${Object.keys(POWER_CASES).join(', ')}`);
      chosen.push(name as PowerCase);
    } else throw new Error(`unknown argument "${arg}"; usage: canary-power [--seeds N] [--case NAME]... [--json]`);
  }
  return { seeds, cases: chosen.length ? chosen : (Object.keys(POWER_CASES) as PowerCase[]), json };
}

async function main() {
  const { seeds, cases, json } = parseArgs(process.argv.slice(2));
  const figures: Record<string, PowerFigures> = {};
  for (const name of cases) {
    figures[name] = await measurePower(name, seeds);
    if (!json) {
      const f = figures[name];
      console.log(
        `${name}: ${f.correct}/${f.runs} ${f.expected === 'pass' ? 'passed' : 'failed'}; ` +
          `median ${f.medianSecondsToVerdict.toFixed(2)} s, p95 ${f.p95SecondsToVerdict.toFixed(2)} s to a verdict`,
      );
    }
  }
  if (json) console.log(JSON.stringify({ seeds, canary: POWER_CANARY, figures }));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  });
}
