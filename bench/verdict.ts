/**
 * Item 2: time to a verdict on real rollouts whose canary stage gets a bad challenger at 10% weight while users query
 * the endpoint, judged on probes: time from the canary's start (the region's `judging` phase) to the verdict and to
 * the rollback finished (`rolled-back`), read from the region's timeline in the rollout report. The judge's power on
 * live traffic, and its comparison with other judges, is the `judge` section (bench/judge.ts).
 */
import type { Client } from '@temporalio/client';
import { DatabricksClient } from '../src/databricks';
import { generateWorld } from '../src/emulator/generate-world';
import { invocationSender } from '../src/load/databricks-target';
import { runLoad } from '../src/load/generator';
import { BENCH_POLL } from './fanout-world';
import { quantile } from './figures';
import { benchPlan, registerVersion, runRollout, startBenchEmulator, startWorkerProcess } from './harness';

const MODEL = 'main.ml.fraud_detector';
const FORMULA = { formula: 'round(sigmoid(0.004 * amount - 2), 4)' };
const CHAMPION = { latency: { distribution: 'lognormal', median: '20ms', p99: '60ms' }, error_rate: 0.002 };
export const BAD_CHALLENGERS = {
  'errors +5 points': { ...CHAMPION, error_rate: 0.052, prediction: FORMULA },
  'p99 +50%': { ...CHAMPION, latency: { distribution: 'lognormal', median: '20ms', p99: '90ms' }, prediction: FORMULA },
};
/** Users' requests per second through the endpoint's 90/10 split while the canary runs. */
const USER_RPS = 50;

export interface RollbackRun {
  case: string;
  outcome: string;
  /** The canary check failed the challenger (the right verdict for a bad one). */
  detected: boolean;
  /** The canary judge's own summary (tests, p-values, sample sizes). */
  summary?: string;
  secondsToVerdict?: number;
  secondsToRolledBack?: number;
  note?: string;
}

export interface VerdictFigures {
  rollouts: {
    runs: RollbackRun[];
    byCase: Record<
      string,
      {
        n: number;
        detected: number;
        medianToVerdict: number;
        p95ToVerdict: number;
        medianToRolledBack: number;
        p95ToRolledBack: number;
      }
    >;
  };
}

const seconds = (from: string | undefined, to: string | undefined) =>
  from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined;

export async function runVerdict(options: {
  client: Client;
  address: string;
  bundlePath: string;
  /** The compiled worker entry (harness compileWorker); undefined runs it under tsx. */
  workerEntry?: string;
  rolloutsPerCase: number;
  log: (line: string) => void;
}): Promise<VerdictFigures> {
  const { log } = options;
  const world = generateWorld({ regions: 1, seed: 3, configUpdateDuration: '1s' });
  const bench = await startBenchEmulator(world);
  const region = world.primary;
  const worker = await startWorkerProcess({
    address: options.address,
    configFile: bench.configFile,
    regions: [region],
    bundlePath: options.bundlePath,
    compiledEntry: options.workerEntry,
    poll: BENCH_POLL,
  });
  const runs: RollbackRun[] = [];
  try {
    const api = new DatabricksClient({ host: bench.emu.url(region), token: bench.emu.token(region), env: {} });
    for (const [name, behavior] of Object.entries(BAD_CHALLENGERS))
      for (let i = 0; i < options.rolloutsPerCase; i++) {
        const version = await registerVersion(bench.emu, MODEL, behavior);
        const plan = benchPlan(MODEL, region, [region], {
          tests: {
            health: { input: { amount: 100 }, queries: 1 },
            canary: { probe_rps: 300, quantiles: [0.5, 0.99], max_extension: '20s' },
          },
          stages: [{ name: 'canary', traffic: 10, bake: '3s', gate: ['canary'] }],
        });
        const abort = new AbortController();
        const traffic = runLoad({
          rps: USER_RPS,
          durationMs: 120_000,
          concurrency: 32,
          timeoutMs: 5000,
          payloads: [{ dataframe_records: [{ amount: 100 }] }],
          send: invocationSender(api, 'fraud-detector'),
          signal: abort.signal,
        });
        const { report } = await runRollout(options.client, plan, version);
        abort.abort();
        await traffic;
        const r = report.regions[0];
        const judging = r.timeline.find((t) => t.phase === 'judging')?.at;
        const canary = r.checks.find((c) => c.check === 'canary');
        runs.push({
          case: name,
          outcome: report.outcome,
          detected: canary?.passed === false,
          secondsToVerdict: seconds(judging, canary?.at),
          secondsToRolledBack: seconds(judging, r.timeline.find((t) => t.phase === 'rolled-back')?.at),
          summary: canary?.summary,
          note: judging ? undefined : `no canary stage reached: ${r.error ?? r.phase}`,
        });
        // A missed bad version was promoted: serve the champion (v1) again, or the next rollout would judge the bad
        // version against itself.
        if (report.outcome !== 'rolled-back') {
          await api.serving.updateEndpointConfig('fraud-detector', {
            served_entities: [
              { entity_name: MODEL, entity_version: '1', workload_size: 'Small', scale_to_zero_enabled: false },
            ],
          });
          await api.serving.waitForEndpointNotUpdating('fraud-detector');
        }
      }
  } finally {
    await worker.stop();
    await bench.close();
  }
  const byCase: VerdictFigures['rollouts']['byCase'] = {};
  for (const name of Object.keys(BAD_CHALLENGERS)) {
    const all = runs.filter((r) => r.case === name);
    // Times count the right verdicts only: a quick pass of a bad challenger is a miss, not a fast verdict.
    const judged = all.filter((r) => r.detected && r.secondsToVerdict !== undefined);
    const toVerdict = judged.map((r) => r.secondsToVerdict!);
    const toRolledBack = judged.flatMap((r) => (r.secondsToRolledBack === undefined ? [] : [r.secondsToRolledBack]));
    byCase[name] = {
      n: all.length,
      detected: judged.length,
      medianToVerdict: quantile(toVerdict, 0.5),
      p95ToVerdict: quantile(toVerdict, 0.95),
      medianToRolledBack: quantile(toRolledBack, 0.5),
      p95ToRolledBack: quantile(toRolledBack, 0.95),
    };
    log(
      `rollout with a bad challenger (${name}): ${judged.length}/${all.length} failed by the canary; verdict after ${byCase[name].medianToVerdict.toFixed(2)} s median ` +
        `(p95 ${byCase[name].p95ToVerdict.toFixed(2)} s), rolled back after ${byCase[name].medianToRolledBack.toFixed(2)} s median ` +
        `(p95 ${byCase[name].p95ToRolledBack.toFixed(2)} s); outcomes ${runs
          .filter((r) => r.case === name)
          .map((r) => r.outcome)
          .join(',')}`,
    );
  }
  return { rollouts: { runs, byCase } };
}
