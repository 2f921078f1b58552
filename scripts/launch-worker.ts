/**
 * Starts scripts/worker-process.ts in a node process of its own (the benchmarks sample its memory, the fault suite
 * SIGKILLs it) and resolves once it prints "worker ready".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { WORKER_RUNTIME } from '../src/worker-runtime';

const ROOT = resolve(__dirname, '..');

export async function launchWorkerProcess(options: {
  /** Added to this process's environment (see scripts/worker-process.ts for the variables). */
  env: NodeJS.ProcessEnv;
  /** The worker compiled to JavaScript, run by plain node as production runs it; else the TypeScript under tsx. */
  compiledEntry?: string;
  /** How long it may take to get ready (tsx compiles the worker's sources in the child: seconds on a busy machine). */
  timeoutMs: number;
  /** V8 flags and environment; default: the ones the rollout-worker bin runs with. */
  runtime?: typeof WORKER_RUNTIME;
}): Promise<ChildProcess> {
  const runtime = options.runtime ?? WORKER_RUNTIME;
  const args = [
    // By default the flags the rollout-worker bin runs with: its memory is measured and its crashes tested as shipped.
    ...runtime.v8Flags,
    ...(options.compiledEntry
      ? [options.compiledEntry]
      : ['--import', 'tsx', join(ROOT, 'scripts', 'worker-process.ts')]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // A compiled worker lives in a temporary directory: it resolves packages from the project's node_modules.
    env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), ...runtime.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((ready, fail) => {
    let isReady = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the worker was not ready within ${options.timeoutMs / 1000}s: ${output.slice(-2000)}`));
    }, options.timeoutMs);
    // Keeps reading after it is ready (a full pipe would block the worker) but stops keeping what it reads.
    const onData = (chunk: Buffer) => {
      if (isReady) return;
      output += chunk.toString();
      if (output.includes('worker ready')) {
        isReady = true;
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      if (isReady) return;
      clearTimeout(timer);
      fail(new Error(`the worker exited (${code ?? signal}) before it was ready: ${output.slice(-2000)}`));
    });
  });
  return child;
}
