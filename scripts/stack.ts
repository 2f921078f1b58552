/**
 * The local stack behind `npm run dev` and `npm run demo`: the Temporal dev server (persistent SQLite under .data/,
 * Web UI, our search attributes), the Databricks emulator, a ~/.databrickscfg-style file with one profile per
 * region pointing at it, and a worker serving the control queue and every region's queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { WorkspaceClients } from '../src/activities';
import { loadWorldFile, startEmulator, type RunningEmulator } from '../src/emulator';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../src/shared/messages';
import { dataConverterFromEnv } from '../src/codec';
import { createWorkers } from '../src/worker';
import { resolveTemporalCli } from './temporal-cli';

const ROOT = resolve(__dirname, '..');
export const DATA_DIR = join(ROOT, '.data');

export interface StackOptions {
  world: string;
  port?: number;
  uiPort?: number;
  /** SQLite file for the dev server (persistent across runs). */
  dbFile?: string;
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

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function waitForPort(port: number, server: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the Temporal dev server exited with code ${server.exitCode}`);
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Temporal dev server did not listen on port ${port} within ${timeoutMs / 1000}s`);
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
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--db-filename',
    dbFile,
    '--log-level',
    'error',
    ...ROLLOUT_SEARCH_ATTRIBUTES.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${key.type === 'KEYWORD_LIST' ? 'KeywordList' : key.type === 'INT' ? 'Int' : 'Keyword'}`,
    ]),
  ];
  const server = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverErrors = '';
  server.stderr?.on('data', (chunk: Buffer) => (serverErrors += chunk.toString()));
  const emu = await startEmulator(loadWorldFile(options.world));
  const workers: Worker[] = [];
  let runs: Promise<void>[] = [];
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  const stop = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    await nativeConnection?.close();
    await connection?.close();
    await emu.close();
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  };
  try {
    await waitForPort(port, server, 30_000);
    const address = `127.0.0.1:${port}`;
    connection = await Connection.connect({ address });
    // ROLLOUT_CODEC_KEYS in the environment: the dev stack encrypts as the rollout command does.
    const dataConverter = dataConverterFromEnv();
    const client = new Client({ connection, namespace: 'default', dataConverter });
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
      })),
    );
    runs = workers.map((w) => w.run());
    return { client, emu, workers, address, uiUrl: `http://localhost:${uiPort}`, configFile, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}${serverErrors ? `\n${serverErrors.trim()}` : ''}`, { cause: err });
  }
}
