/**
 * What the benchmarks run on: a Temporal dev server (the pinned CLI, free ports, our search attributes), the
 * Databricks emulator in this process with a counter of every request it answers, a ~/.databrickscfg-style file
 * pointing at it, and the worker in a child process of its own (so its memory and CPU are its own, and the driver's
 * HTTP clients and timers do not share its event loop).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../src/tracing';
import { launchWorkerProcess } from '../scripts/launch-worker';
import type { WORKER_RUNTIME } from '../src/worker-runtime';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { startEmulator, type RunningEmulator, type WorldInput } from '../src/emulator';
import { planSchema, type Plan, type PlanInput } from '../src/plan/schema';
import { startRollout, rolloutReport } from '../src/rollouts';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../src/shared/messages';
import type { RolloutReport } from '../src/shared/types';
import type { LoggedRequest } from './figures';

const ROOT = resolve(__dirname, '..');

/**
 * The dev server keeps every workflow on its one history shard, whose transfer queue (child starts, signals, workflow
 * and activity tasks handed to matching) is read at most 20 times a second by default: after a burst, each of those
 * steps waits up to 50 ms for the next read. A cluster spreads a rollout's workflows over hundreds of shards, each
 * with that limit, so the bench lifts it to measure the rollout, not the single shard; the fan-out section also runs
 * on a stock dev server and reports both.
 */
export const CLUSTER_LIKE_DEV_SERVER_ARGS = ['--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000'];

export async function startTemporal(options: { stock?: boolean } = {}): Promise<TestWorkflowEnvironment> {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already.
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalCli({ install: true }) },
      searchAttributes: ROLLOUT_SEARCH_ATTRIBUTES,
      extraArgs: options.stock ? [] : CLUSTER_LIKE_DEV_SERVER_ARGS,
    },
  });
}

/** The workflow bundle, built once here: bundling in the worker would put webpack's memory into its peak RSS. */
export async function writeWorkflowBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    // As every worker's bundle (src/tracing.ts): the tracing interceptors are in it, on or off.
    workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
    logger: new DefaultLogger('WARN'),
  });
  const path = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'workflows.js');
  writeFileSync(path, code);
  return path;
}

export interface BenchEmulator {
  emu: RunningEmulator;
  requests: LoggedRequest[];
  configFile: string;
  close(): Promise<void>;
}

const LOG_LINE = /^\[([^\]]+)\] (\S+) (\S+) (\S+) /;

/** The emulator with a request log (its `log` option: one line per request), and a profile per region. */
export async function startBenchEmulator(world: WorldInput): Promise<BenchEmulator> {
  const requests: LoggedRequest[] = [];
  const emu = await startEmulator(world, {
    log: (line) => {
      const m = LOG_LINE.exec(line);
      if (m) requests.push({ at: Date.now(), region: m[1], method: m[2], path: m[3], status: m[4] });
    },
  });
  const configFile = join(mkdtempSync(join(tmpdir(), 'bench-cfg-')), 'databrickscfg');
  writeFileSync(configFile, emu.databricksConfig());
  return { emu, requests, configFile, close: () => emu.close() };
}

export interface ProcessSample {
  at: number;
  rssBytes: number;
  cpuSeconds: number;
}

export interface WorkerProcess {
  pid: number;
  samples: ProcessSample[];
  /** Lifetime peak resident set (VmHWM), bytes. */
  peakRssBytes(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function readProc(pid: number): { rssBytes: number; hwmBytes: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      rssBytes: kb('VmRSS'),
      hwmBytes: kb('VmHWM'),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

/**
 * Starts scripts/worker-process.ts in a node process of its own (tsx as a loader, so the pid is the worker's) and
 * samples its RSS and CPU time every 250 ms from /proc.
 */
export async function startWorkerProcess(options: {
  address: string;
  configFile: string;
  regions: string[];
  bundlePath: string;
  poll: { initialMs: number; maxMs: number };
  /** The worker compiled to JavaScript (compileWorker), run by plain node as production runs it; else via tsx. */
  compiledEntry?: string;
  /** V8 flags and environment; default: the rollout-worker bin's (src/worker-runtime.ts). */
  runtime?: typeof WORKER_RUNTIME;
}): Promise<WorkerProcess> {
  const child = await launchWorkerProcess({
    compiledEntry: options.compiledEntry,
    runtime: options.runtime,
    timeoutMs: 120_000,
    env: {
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_NAMESPACE: 'default',
      DATABRICKS_CONFIG_FILE: options.configFile,
      WORKER_REGIONS: options.regions.join(','),
      WORKER_BUNDLE: options.bundlePath,
      WORKER_POLL: `${options.poll.initialMs},${options.poll.maxMs}`,
    },
  });
  const pid = child.pid!;
  const samples: ProcessSample[] = [];
  let peak = 0;
  const sample = () => {
    const proc = readProc(pid);
    if (!proc) return;
    peak = Math.max(peak, proc.hwmBytes);
    samples.push({ at: Date.now(), rssBytes: proc.rssBytes, cpuSeconds: proc.cpuSeconds });
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    pid,
    samples,
    peakRssBytes: () => {
      sample();
      return peak;
    },
    stop: async () => {
      clearInterval(timer);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
    },
  };
}

/**
 * Compiles scripts/worker-process.ts and what it imports from src/ to JavaScript in a temporary directory (tsc, the
 * project's compiler options): the worker as `npm run build` ships it, without the TypeScript loader's memory.
 * Returns the entry file.
 */
export async function compileWorker(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-worker-js-'));
  await promisify(execFile)(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '--outDir',
      outDir,
      '--rootDir',
      ROOT,
      '--module',
      'commonjs',
      '--moduleResolution',
      'node',
      '--target',
      'ES2022',
      '--esModuleInterop',
      '--skipLibCheck',
      '--strict',
      '--resolveJsonModule',
      '--types',
      'node',
      join(ROOT, 'scripts/worker-process.ts'),
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return join(outDir, 'scripts/worker-process.js');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the next version of a model in the primary; resolves when it is READY there, with its number. */
export async function registerVersion(
  emu: RunningEmulator,
  model: string,
  behavior: string | Record<string, unknown>,
): Promise<number> {
  const base = emu.url(emu.world.primary);
  const res = await fetch(`${base}/__emulator/models/${model}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ behavior, registration_duration: '1ms' }),
  });
  if (!res.ok) throw new Error(`registering a version of ${model} failed: ${await res.text()}`);
  const { version } = (await res.json()) as { version: number };
  await sleep(5);
  return version;
}

/** A plan over `regions` of a generated world (profiles named after the regions, endpoint fraud-detector). */
export function benchPlan(
  model: string,
  primary: string,
  regions: string[],
  overrides: Partial<PlanInput> = {},
  endpoint = 'fraud-detector',
): Plan {
  return planSchema.parse({
    model,
    primary,
    regions: regions.map((name) => ({
      name,
      workspace: { profile: name },
      endpoint,
      ...(name === primary ? {} : { shared_catalog: 'ml_shared' }),
    })),
    stages: [{ name: 'canary', traffic: 10, bake: 1000 }],
    timeouts: { replication: '2m', config_update: '2m', approval: '1m' },
    ...overrides,
  });
}

/** Starts a rollout and waits for its report; wall time from the start call to the report. */
export async function runRollout(
  client: Client,
  plan: Plan,
  version: number,
): Promise<{ report: RolloutReport; startedAt: number; wallMs: number; workflowId: string }> {
  const startedAt = Date.now();
  const { handle, workflowId } = await startRollout(client, { plan, edgeCases: [], version, triggeredBy: 'bench' });
  const report = await rolloutReport(handle);
  return { report, startedAt, wallMs: Date.now() - startedAt, workflowId };
}
