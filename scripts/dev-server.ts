/**
 * The Temporal CLI dev server as our tools run it (`npm run dev`, the demo, the fault suite): a SQLite file, so a
 * restart resumes every workflow, and the rollout search attributes registered at start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../src/shared/messages';

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface DevServerOptions {
  /** The Temporal CLI (resolveTemporalCli). */
  cli: string;
  port: number;
  dbFile: string;
  /** Serve the Web UI on this port; without it the server runs headless. */
  uiPort?: number;
  /** How long it may take to listen (the first start of a fresh database takes longest). */
  timeoutMs: number;
}

export interface RunningDevServer {
  child: ChildProcess;
  /** What the server wrote to stderr so far. */
  errors(): string;
}

/** Starts the dev server and resolves once it listens; fails with its stderr if it exits first. */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    '--db-filename',
    options.dbFile,
    '--log-level',
    'error',
    ...ROLLOUT_SEARCH_ATTRIBUTES.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${key.type === 'KEYWORD_LIST' ? 'KeywordList' : key.type === 'INT' ? 'Int' : 'Keyword'}`,
    ]),
  ];
  const child = spawn(options.cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const deadline = Date.now() + options.timeoutMs;
  while (!(await portOpen(options.port))) {
    if (child.exitCode !== null)
      throw new Error(`the Temporal dev server exited with code ${child.exitCode}: ${errors.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(
        `the Temporal dev server did not listen on port ${options.port} within ${options.timeoutMs / 1000}s`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, errors: () => errors };
}
