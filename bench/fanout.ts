/**
 * Items 1 and 3: fan-out efficiency, the one-job-after-another baseline, and the overhead of a rollout (history
 * events and bytes per region, Temporal commands per stage, Databricks calls per region, polling efficiency).
 *
 * One emulated world of 50 regions whose times are known: every config update takes UPDATE_MS, every stage bakes
 * BAKE_MS, and region i's replica appears a constant 10-14 s after the version is READY (varied across regions).
 * Real replication and container builds take minutes; these are compressed so that the run stays short, and the
 * summary gives the absolute overhead (wall time minus bound) beside the ratio, so it can be scaled.
 * Rollouts over the first 1, 5, 20 and 50 regions run with every region at once, then as one wave with parallelism 1
 * (one region after another: what a single deployment job does, with the same activities).
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { regionNames } from '../src/emulator/generate-world';
import { regionWorkflowId } from '../src/shared/messages';
import {
  benchPlan,
  registerVersion,
  runRollout,
  startBenchEmulator,
  startWorkerProcess,
  type BenchEmulator,
} from './harness';
import { BAKE_MS, BENCH_POLL, fanoutWorld, MAX_REGIONS, UPDATE_MS } from './fanout-world';
import {
  configUpdateNotices,
  criticalPathBound,
  historyCounts,
  managementCalls,
  quantile,
  replicationNotices,
  type RegionInherentTime,
} from './figures';

const MODEL = 'main.ml.fraud_detector';

export interface FanoutRow {
  regions: number;
  parallelWallMs: number;
  boundMs: number;
  slowestRegion: string;
  ratio: number;
  /** Where the overhead went: from the workflow's start to the first region's start (pre-flight checks). */
  preflightMs: number;
  sequentialWallMs?: number;
  speedup?: number;
  outcomes: string;
  /** The same rollout on a stock dev server (its one shard's queue reads at the default 20 per second). */
  stockServer?: { wallMs: number; boundMs: number; ratio: number };
}

export interface OverheadFigures {
  regions: number;
  history: {
    perRegion: { events: number; bytes: number; commands: number; workflowTasks: number };
    parent: { events: number; bytes: number };
    parentPerRegion: { events: number; bytes: number };
    eventTypes: Record<string, number>;
  };
  /** Extra commands and events per region for each stage beyond the first (1-stage run vs 3-stage run). */
  perStage: { commands: number; events: number; bytes: number };
  databricksCallsPerRegion: { mean: number; byKind: Record<string, number> };
  polling: {
    settings: { initialMs: number; maxMs: number };
    configUpdate: { medianLagMs: number; p95LagMs: number; meanCalls: number; n: number };
    replication: { medianLagMs: number; p95LagMs: number; meanCalls: number; n: number };
  };
}

function inherentTimes(bench: BenchEmulator, regions: string[], version: number, stages: number, bakeMs: number) {
  const replication = bench.emu.emulator.catalog.replication;
  return regions.map<RegionInherentTime>((region) => ({
    region,
    visibleAt: replication.get(region)?.visibleAt.get(`${MODEL}#${version}`),
    updates: stages + 1,
    updateMs: UPDATE_MS,
    bakeMs,
  }));
}

async function historyOf(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  const byType: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const name = temporal.api.enums.v1.EventType[event.eventType ?? 0].replace(/^EVENT_TYPE_/, '');
    byType[name] = (byType[name] ?? 0) + 1;
  }
  return { bytes, byType, ...historyCounts(byType) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function runFanoutAndOverhead(options: {
  client: Client;
  address: string;
  bundlePath: string;
  /** The compiled worker entry (harness compileWorker); undefined runs it under tsx. */
  workerEntry?: string;
  sizes: number[];
  sequentialSizes: number[];
  overhead: boolean;
  fanout: boolean;
  log: (line: string) => void;
}): Promise<{ fanout: FanoutRow[]; overhead?: OverheadFigures }> {
  const { client, log } = options;
  const bench = await startBenchEmulator(fanoutWorld());
  const names = regionNames(MAX_REGIONS);
  const worker = await startWorkerProcess({
    address: options.address,
    configFile: bench.configFile,
    regions: names,
    bundlePath: options.bundlePath,
    compiledEntry: options.workerEntry,
    poll: BENCH_POLL,
  });
  try {
    // A worker in production is long-running: one rollout first, unmeasured, so that connections are open and the
    // worker's code is compiled before the measured ones.
    await runRollout(
      client,
      benchPlan(MODEL, names[0], names.slice(0, 1)),
      await registerVersion(bench.emu, MODEL, 'candidate-good'),
    );
    const rows: FanoutRow[] = [];
    if (options.fanout)
      for (const size of options.sizes) {
        const regions = names.slice(0, size);
        const version = await registerVersion(bench.emu, MODEL, 'candidate-good');
        const parallel = await runRollout(client, benchPlan(MODEL, names[0], regions), version);
        const bound = criticalPathBound(inherentTimes(bench, regions, version, 1, BAKE_MS), parallel.startedAt);
        const row: FanoutRow = {
          regions: size,
          parallelWallMs: parallel.wallMs,
          boundMs: bound.ms,
          slowestRegion: bound.region,
          ratio: parallel.wallMs / bound.ms,
          preflightMs:
            Math.min(...parallel.report.regions.map((r) => Date.parse(r.startedAt ?? parallel.report.finishedAt))) -
            Date.parse(parallel.report.startedAt),
          outcomes: parallel.report.outcome,
        };
        if (options.sequentialSizes.includes(size)) {
          const next = await registerVersion(bench.emu, MODEL, 'candidate-good');
          const sequential = await runRollout(
            client,
            benchPlan(MODEL, names[0], regions, { waves: [{ name: 'one-by-one', regions, parallelism: 1 }] }),
            next,
          );
          row.sequentialWallMs = sequential.wallMs;
          row.speedup = sequential.wallMs / parallel.wallMs;
          row.outcomes += `/${sequential.report.outcome}`;
        }
        log(
          `fan-out ${size} regions: ${(row.parallelWallMs / 1000).toFixed(2)} s, bound ${(row.boundMs / 1000).toFixed(2)} s ` +
            `(${row.slowestRegion}), ratio ${row.ratio.toFixed(3)}, pre-flight ${row.preflightMs} ms` +
            (row.speedup
              ? `; one after another ${(row.sequentialWallMs! / 1000).toFixed(1)} s, speed-up ${row.speedup.toFixed(1)}x`
              : '') +
            ` [${row.outcomes}]`,
        );
        rows.push(row);
      }

    let overhead: OverheadFigures | undefined;
    if (options.overhead) {
      const size = 5;
      const regions = names.slice(0, size);
      const measure = async (stages: number) => {
        const version = await registerVersion(bench.emu, MODEL, 'candidate-good');
        const from = bench.requests.length;
        const plan = benchPlan(MODEL, names[0], regions, {
          stages: Array.from({ length: stages }, (_, i) => ({
            name: `stage-${i + 1}`,
            traffic: [10, 50, 90][i] ?? 90,
            bake: BAKE_MS,
          })),
        });
        const run = await runRollout(client, plan, version);
        const requests = bench.requests.slice(from);
        const children = await Promise.all(regions.map((r) => historyOf(client, regionWorkflowId(run.workflowId, r))));
        const parent = await historyOf(client, run.workflowId);
        const visibleAt = new Map<string, number>();
        for (const r of regions) {
          const at = bench.emu.emulator.catalog.replication.get(r)?.visibleAt.get(`${MODEL}#${version}`);
          if (at !== undefined) visibleAt.set(r, at);
        }
        return { run, requests, children, parent, visibleAt };
      };
      const one = await measure(1);
      const three = await measure(3);
      const perRegion = (key: 'events' | 'bytes' | 'commands' | 'workflowTasks', runs: typeof one.children) =>
        mean(runs.map((c) => c[key]));
      const eventTypes: Record<string, number> = {};
      for (const child of one.children)
        for (const [type, n] of Object.entries(child.byType)) eventTypes[type] = (eventTypes[type] ?? 0) + n / size;
      const calls = managementCalls(one.requests);
      const byKind: Record<string, number> = {};
      for (const counts of calls.values())
        for (const [kind, n] of Object.entries(counts)) byKind[kind] = (byKind[kind] ?? 0) + n / size;
      const updates = configUpdateNotices(one.requests, () => UPDATE_MS);
      const replicas = replicationNotices(one.requests, one.visibleAt);
      overhead = {
        regions: size,
        history: {
          perRegion: {
            events: perRegion('events', one.children),
            bytes: perRegion('bytes', one.children),
            commands: perRegion('commands', one.children),
            workflowTasks: perRegion('workflowTasks', one.children),
          },
          parent: { events: one.parent.events, bytes: one.parent.bytes },
          parentPerRegion: { events: one.parent.events / size, bytes: one.parent.bytes / size },
          eventTypes: Object.fromEntries(Object.entries(eventTypes).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        },
        perStage: {
          commands: (perRegion('commands', three.children) - perRegion('commands', one.children)) / 2,
          events: (perRegion('events', three.children) - perRegion('events', one.children)) / 2,
          bytes: (perRegion('bytes', three.children) - perRegion('bytes', one.children)) / 2,
        },
        databricksCallsPerRegion: {
          mean: mean([...calls.values()].map((c) => Object.values(c).reduce((a, b) => a + b, 0))),
          byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, Math.round(v * 10) / 10])),
        },
        polling: {
          settings: BENCH_POLL,
          configUpdate: {
            medianLagMs: quantile(
              updates.map((u) => u.lagMs),
              0.5,
            ),
            p95LagMs: quantile(
              updates.map((u) => u.lagMs),
              0.95,
            ),
            meanCalls: mean(updates.map((u) => u.calls)),
            n: updates.length,
          },
          replication: {
            medianLagMs: quantile(
              replicas.map((u) => u.lagMs),
              0.5,
            ),
            p95LagMs: quantile(
              replicas.map((u) => u.lagMs),
              0.95,
            ),
            meanCalls: mean(replicas.map((u) => u.calls)),
            n: replicas.length,
          },
        },
      };
      log(
        `overhead (${size} regions): ${overhead.history.perRegion.events.toFixed(0)} events / ` +
          `${(overhead.history.perRegion.bytes / 1024).toFixed(1)} KiB per region workflow, parent ` +
          `${overhead.history.parentPerRegion.events.toFixed(0)} events / ${(overhead.history.parentPerRegion.bytes / 1024).toFixed(1)} KiB per region; ` +
          `${overhead.perStage.commands.toFixed(1)} commands per extra stage; ` +
          `${overhead.databricksCallsPerRegion.mean.toFixed(1)} Databricks calls per region; config update noticed after ` +
          `${overhead.polling.configUpdate.medianLagMs} ms median (${overhead.polling.configUpdate.meanCalls.toFixed(1)} calls), ` +
          `replication after ${overhead.polling.replication.medianLagMs} ms (${overhead.polling.replication.meanCalls.toFixed(1)} calls)`,
      );
    }
    return { fanout: rows, overhead };
  } finally {
    await worker.stop();
    await bench.close();
  }
}
