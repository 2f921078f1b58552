/**
 * The watcher (issue 14): how soon after a version becomes READY in the primary its rollout first changes an
 * endpoint, and what watching costs in Databricks calls while nothing happens, for several poll intervals.
 *
 * One watcher per poll interval, on a worker process as production runs it, against a three-region emulated world
 * with no quiet period and no minimum interval (both add to the latency exactly as set). Per interval: an idle
 * window with no new version (calls per minute to the primary, from the emulator's request log), then versions
 * registered one at a time, each at a random moment of the poll cycle; for each, the time from READY (the
 * registration call's answer) to the first `PUT .../config` of its rollout in any region.
 */
import type { Client } from '@temporalio/client';
import { generateWorld } from '../src/emulator/generate-world';
import { rolloutWorkflowId, watcherStatusQuery } from '../src/shared/messages';
import { startWatcher } from '../src/watchers';
import { benchPlan, registerVersion, sleep, startBenchEmulator, startWorkerProcess } from './harness';
import { quantile } from './figures';
import { BENCH_POLL } from './fanout-world';
import { rolloutReport } from '../src/rollouts';

const MODEL = 'main.ml.fraud_detector';

export interface WatchRow {
  pollMs: number;
  /** Calls to the primary's API per minute while idle (the watcher's reads of the registry). */
  idleCallsPerMinute: number;
  idleWindowMs: number;
  /** READY → first endpoint config update of its rollout, per version (ms). */
  readyToFirstUpdateMs: number[];
  medianMs: number;
  maxMs: number;
  /** The poll interval's share of the median: the rest is the rollout's pre-flight, replication check and lease. */
  rolloutStartToUpdateMedianMs: number;
}

export interface WatchFigures {
  regions: number;
  versionsPerInterval: number;
  rows: WatchRow[];
}

const CONFIG_PUT = /^\/api\/2\.0\/serving-endpoints\/[^/]+\/config$/;

export async function runWatchBench(options: {
  client: Client;
  address: string;
  bundlePath: string;
  workerEntry?: string;
  pollIntervalsMs: number[];
  versionsPerInterval: number;
  idleWindowMs: number;
  log: (line: string) => void;
}): Promise<WatchFigures> {
  const world = generateWorld({ regions: 3, replicationDelay: '1s', configUpdateDuration: '1s' });
  const bench = await startBenchEmulator(world);
  const regions = bench.emu.regions;
  const primary = bench.emu.world.primary;
  const worker = await startWorkerProcess({
    address: options.address,
    configFile: bench.configFile,
    regions,
    bundlePath: options.bundlePath,
    poll: BENCH_POLL,
    compiledEntry: options.workerEntry,
  });
  const rows: WatchRow[] = [];
  try {
    for (const pollMs of options.pollIntervalsMs) {
      const plan = benchPlan(MODEL, primary, regions, {
        stages: [{ name: 'canary', traffic: 10, bake: 500 }],
        watch: { on: 'version-ready', poll: pollMs },
      });
      const { handle } = await startWatcher(options.client, {
        plan,
        edgeCases: [],
        planName: `bench-poll-${pollMs}`,
        triggeredBy: 'bench',
      });
      // The baseline read, then an idle window: only the watcher calls the primary.
      await until(async () => (await handle.query(watcherStatusQuery)).polls >= 1);
      const idleFrom = Date.now();
      await sleep(options.idleWindowMs);
      const idleTo = Date.now();
      const idleCalls = bench.requests.filter(
        (r) => r.region === primary && r.path.startsWith('/api/') && r.at >= idleFrom && r.at < idleTo,
      ).length;
      const latencies: number[] = [];
      const startToUpdate: number[] = [];
      for (let i = 0; i < options.versionsPerInterval; i++) {
        // A random moment of the poll cycle, as a training job's would be.
        await sleep(Math.random() * pollMs);
        const version = await registerVersion(bench.emu, MODEL, 'candidate-good');
        const readyAt = Date.now();
        const firstUpdate = await until(async () =>
          bench.requests.find((r) => r.at >= readyAt && r.method === 'PUT' && CONFIG_PUT.test(r.path)),
        );
        const started = (await handle.query(watcherStatusQuery)).started.find((s) => s.version === version);
        latencies.push(firstUpdate.at - readyAt);
        if (started) startToUpdate.push(firstUpdate.at - Date.parse(started.at));
        // Let the rollout finish before the next version, so that each is measured alone.
        await rolloutReport(options.client.workflow.getHandle(rolloutWorkflowId(MODEL, version)));
      }
      await handle.terminate('bench done');
      const row: WatchRow = {
        pollMs,
        idleCallsPerMinute: Math.round((idleCalls / (idleTo - idleFrom)) * 60_000 * 10) / 10,
        idleWindowMs: idleTo - idleFrom,
        readyToFirstUpdateMs: latencies,
        medianMs: quantile(latencies, 0.5),
        maxMs: Math.max(...latencies),
        rolloutStartToUpdateMedianMs: startToUpdate.length ? quantile(startToUpdate, 0.5) : NaN,
      };
      options.log(
        `watch: poll ${pollMs} ms: ${row.idleCallsPerMinute} calls/min idle; READY → first update median ${row.medianMs} ms, max ${row.maxMs} ms`,
      );
      rows.push(row);
    }
  } finally {
    await worker.stop();
    await bench.close();
  }
  return { regions: regions.length, versionsPerInterval: options.versionsPerInterval, rows };
}

async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('watch bench: timed out');
    await sleep(20);
  }
}

/** The section of the summary: one row per poll interval. */
export function renderWatch(figures: WatchFigures): string[] {
  return [
    '## Continuous delivery: the watcher',
    '',
    `${figures.regions} regions; ${figures.versionsPerInterval} versions per poll interval, each registered at a random moment of the poll cycle; no quiet period or minimum interval (they add exactly what they are set to). Latency: from the version READY in the primary to its rollout's first endpoint config update. Idle cost: the watcher's calls to the primary's API per minute with nothing new.`,
    '',
    '| poll | idle calls/min | READY → first update, median | max | of which the rollout (start → first update), median |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...figures.rows.map(
      (r) =>
        `| ${formatMs(r.pollMs)} | ${r.idleCallsPerMinute} | ${formatMs(r.medianMs)} | ${formatMs(r.maxMs)} | ${Number.isNaN(r.rolloutStartToUpdateMedianMs) ? 'n/a' : formatMs(r.rolloutStartToUpdateMedianMs)} |`,
    ),
    '',
  ];
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
