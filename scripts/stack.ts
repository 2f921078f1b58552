/**
 * The local stack behind `npm run dev` and `npm run demo`: the Temporal dev server (persistent SQLite under .data/,
 * Web UI, our search attributes), the Databricks emulator, a ~/.databrickscfg-style file with one profile per
 * region pointing at it, and a worker serving the control queue and every region's queue. With
 * OTEL_EXPORTER_OTLP_ENDPOINT set, the worker exports traces as `rollout-worker` does (src/tracing.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { WorkspaceClients } from '../src/activities';
import { loadWorldFile, startEmulator, type RunningEmulator } from '../src/emulator';
import { dataConverterFromEnv } from '../src/codec';
import { createWorkers } from '../src/worker';
import { startTracing, tracingSettingsFromEnv, WORKER_SERVICE_NAME } from '../src/tracing';
import { portOpen, startDevServer } from './dev-server';
import { resolveTemporalCli } from './temporal-cli';

const ROOT = resolve(__dirname, '..');
export const DATA_DIR = join(ROOT, '.data');

export interface StackOptions {
  world: string;
  port?: number;
  uiPort?: number;
  /** SQLite file for the dev server (persistent across runs). */
  dbFile?: string;
  /**
   * Start from an empty database (the demo: its emulated workspaces are new each run, so workflows of an earlier run,
   * say a watcher or the rollout of a version numbered as this run's, must not act on them).
   */
  fresh?: boolean;
  /** The worker's log level (activity failures are WARN). */
  workerLogLevel?: LogLevel;
  log?: (line: string) => void;
}

export interface Stack {
  client: Client;
  emu: RunningEmulator;
  workers: Worker[];
  address: string;
  uiUrl: string;
  configFile: string;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  for (const [name, p] of [
    ['Temporal', port],
    ['Temporal UI', uiPort],
  ] as const)
    if (await portOpen(p))
      throw new Error(
        `port ${p} (${name}) is already in use: stop what runs there (another npm run dev?) and try again`,
      );
  Runtime.install({ logger: new DefaultLogger(options.workerLogLevel ?? 'WARN') });
  const cli = resolveTemporalCli({ install: true, log });
  mkdirSync(DATA_DIR, { recursive: true });
  const dbFile = options.dbFile ?? join(DATA_DIR, 'temporal.sqlite');
  // Only now, with the ports free: no server of another run is using the file.
  if (options.fresh)
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${dbFile}${suffix}`, { force: true });
  const server = await startDevServer({ cli, port, uiPort, dbFile, timeoutMs: 30_000 });
  let emu: RunningEmulator | undefined;
  const workers: Worker[] = [];
  let runs: Promise<void>[] = [];
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  const tracingSettings = tracingSettingsFromEnv(process.env, WORKER_SERVICE_NAME);
  const tracing = tracingSettings && startTracing(tracingSettings);
  const stop = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    await tracing?.shutdown();
    await nativeConnection?.close();
    await connection?.close();
    await emu?.close();
    if (server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
  };
  try {
    emu = await startEmulator(loadWorldFile(options.world));
    const address = `127.0.0.1:${port}`;
    connection = await Connection.connect({ address });
    // ROLLOUT_CODEC_KEYS in the environment: the dev stack encrypts as the rollout command does.
    const dataConverter = dataConverterFromEnv();
    const client = new Client({ connection, namespace: 'default', dataConverter, plugins: tracing?.plugins });
    const configFile = join(DATA_DIR, 'databrickscfg');
    writeFileSync(
      configFile,
      `# Written by the model-rollout dev stack: one profile per emulated region.\n${emu.databricksConfig()}`,
    );
    nativeConnection = await NativeConnection.connect({ address });
    workers.push(
      ...(await createWorkers({
        connection: nativeConnection,
        namespace: 'default',
        temporal: client,
        regions: emu.regions,
        control: true,
        clients: new WorkspaceClients({ env: { ...process.env, DATABRICKS_CONFIG_FILE: configFile } }),
        poll: { initialMs: 250, maxMs: 2000 },
        controlPollMs: 1000,
        dataConverter,
        plugins: tracing?.plugins,
      })),
    );
    runs = workers.map((w) => w.run());
    return { client, emu, workers, address, uiUrl: `http://localhost:${uiPort}`, configFile, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}${server.errors() ? `\n${server.errors().trim()}` : ''}`, { cause: err });
  }
}
