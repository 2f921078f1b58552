/**
 * Item 4: 20 concurrent rollouts (20 models) of 5 regions each, on one worker process; its peak RSS and CPU, read
 * from /proc while they run.
 */
import type { Client } from '@temporalio/client';
import { generateWorld } from '../src/emulator/generate-world';
import { benchPlan, registerVersion, runRollout, startBenchEmulator, startWorkerProcess } from './harness';
import { BENCH_POLL } from './fanout-world';
import { WORKER_RUNTIME, workerNodeCommand } from '../src/worker-runtime';

export interface ScaleFigures {
  /** How the worker ran: compiled JavaScript under node (as `npm run build` ships it) or TypeScript under tsx. */
  worker?: 'compiled' | 'tsx';
  /** How node ran it: environment and V8 flags (absent in results from before they were recorded). */
  nodeCommand?: string;
  rollouts: number;
  regionsPerRollout: number;
  succeeded: number;
  outcomes: Record<string, number>;
  wallSeconds: number;
  /** Highest RSS sampled while the rollouts ran, and the process's lifetime peak (VmHWM). */
  peakRssMiB: number;
  lifetimePeakRssMiB: number;
  idleRssMiB: number;
  /** Worker CPU time over wall time while the rollouts ran (1.0 = one core busy). */
  cpuCores: number;
  cpuSeconds: number;
}

export function scaleWorld(models: number, regions: number) {
  const world = generateWorld({ regions, seed: 11, configUpdateDuration: '1s', replicationDelay: '2s' });
  const names = Array.from({ length: models }, (_, i) => `main.ml.model_${i + 1}`);
  world.models = names.map((name) => ({ name, versions: [{ version: 1, behavior: 'champion' }] }));
  world.sharing = {
    shares: [
      {
        name: 'ml_models',
        objects: names.map((name) => ({ name })),
        recipients: world.regions.slice(1).map((r) => r.name),
      },
    ],
  };
  world.regions = world.regions.map((region, r) => ({
    ...region,
    endpoints: names.map((name, i) => ({
      name: `model-${i + 1}`,
      served_entities: [{ entity_name: r === 0 ? name : name.replace(/^main\./, 'ml_shared.'), entity_version: '1' }],
    })),
  }));
  return world;
}

export async function runScale(options: {
  client: Client;
  address: string;
  bundlePath: string;
  /** The compiled worker entry (harness compileWorker); undefined runs it under tsx. */
  workerEntry?: string;
  rollouts: number;
  regions: number;
  /** The worker's V8 flags and environment; default: the rollout-worker bin's. */
  runtime?: typeof WORKER_RUNTIME;
  log: (line: string) => void;
}): Promise<ScaleFigures> {
  const runtime = options.runtime ?? WORKER_RUNTIME;
  const world = scaleWorld(options.rollouts, options.regions);
  const bench = await startBenchEmulator(world);
  const regions = bench.emu.regions;
  const worker = await startWorkerProcess({
    address: options.address,
    configFile: bench.configFile,
    regions,
    bundlePath: options.bundlePath,
    compiledEntry: options.workerEntry,
    poll: BENCH_POLL,
    runtime,
  });
  try {
    const idle = worker.samples[worker.samples.length - 1];
    const models = world.models!.map((m) => m.name);
    const versions = await Promise.all(models.map((model) => registerVersion(bench.emu, model, 'candidate-good')));
    const from = worker.samples.length;
    const started = Date.now();
    const runs = await Promise.all(
      models.map((model, i) =>
        runRollout(options.client, benchPlan(model, world.primary, regions, {}, `model-${i + 1}`), versions[i]),
      ),
    );
    const wallSeconds = (Date.now() - started) / 1000;
    const lifetimePeak = worker.peakRssBytes();
    const during = worker.samples.slice(Math.max(0, from - 1));
    const outcomes: Record<string, number> = {};
    for (const run of runs) outcomes[run.report.outcome] = (outcomes[run.report.outcome] ?? 0) + 1;
    const mib = (bytes: number) => bytes / 1024 / 1024;
    const cpuSeconds = during[during.length - 1].cpuSeconds - during[0].cpuSeconds;
    const figures: ScaleFigures = {
      worker: options.workerEntry ? 'compiled' : 'tsx',
      nodeCommand: workerNodeCommand(runtime),
      rollouts: models.length,
      regionsPerRollout: regions.length,
      succeeded: outcomes.succeeded ?? 0,
      outcomes,
      wallSeconds,
      peakRssMiB: mib(Math.max(...during.map((s) => s.rssBytes))),
      lifetimePeakRssMiB: mib(lifetimePeak),
      idleRssMiB: mib(idle.rssBytes),
      cpuSeconds,
      cpuCores: cpuSeconds / ((during[during.length - 1].at - during[0].at) / 1000),
    };
    options.log(
      `scale (${figures.worker} worker, ${figures.nodeCommand}): ${figures.succeeded}/${figures.rollouts} rollouts of ${figures.regionsPerRollout} regions succeeded in ` +
        `${wallSeconds.toFixed(1)} s; worker RSS peak ${figures.peakRssMiB.toFixed(0)} MiB (idle ${figures.idleRssMiB.toFixed(0)} MiB, ` +
        `lifetime peak ${figures.lifetimePeakRssMiB.toFixed(0)} MiB), CPU ${figures.cpuSeconds.toFixed(1)} s = ${figures.cpuCores.toFixed(2)} cores`,
    );
    return figures;
  } finally {
    await worker.stop();
    await bench.close();
  }
}
