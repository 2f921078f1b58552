/**
 * The worker's health for a scheduler (src/health.ts): the address it is served on, liveness and readiness from the
 * workers' states and the Temporal frontend, over HTTP; and the real `rollout-worker` entrypoint serving them against
 * a dev server, ready once it polls, exiting cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { State } from '@temporalio/worker';
import { freePort } from '../scripts/dev-server';
import { liveness, parseHealthAddress, readinessCheck, serveHealth, type HealthSource } from '../src/health';
import { WORKER_RUNTIME } from '../src/worker-runtime';
import { createTemporalEnv, until } from './support/temporal';

const workersIn = (...states: State[]) => states.map((state) => ({ getState: () => state }));
const frontend = (answer: () => Promise<unknown>) =>
  ({ workflowService: { getSystemInfo: answer } }) as unknown as HealthSource['connection'];
const answering = frontend(async () => ({}));

describe('parseHealthAddress', () => {
  it.each([
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    [':9000', { host: '0.0.0.0', port: 9000 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
  ])('reads %s', (value, address) => {
    expect(parseHealthAddress(value)).toEqual(address);
  });

  it.each(['8080', 'localhost', 'host:port', ':70000', ''])('refuses %j, naming the variable and the fix', (value) => {
    expect(() => parseHealthAddress(value)).toThrow(
      /^ROLLOUT_HEALTH_ADDRESS=".*" is not an address to serve health on: give host:port or :port/,
    );
  });
});

describe('liveness', () => {
  it('is alive while no worker failed, also when stopping', () => {
    expect(liveness({ workers: workersIn('RUNNING', 'STOPPING') })).toEqual({ ok: true, reason: 'alive' });
  });

  it('is dead once a worker failed: only a restart helps', () => {
    expect(liveness({ workers: workersIn('RUNNING', 'FAILED') })).toEqual({
      ok: false,
      reason: '1 of 2 workers failed',
    });
  });
});

describe('readiness', () => {
  it('is ready when every worker polls and the frontend answers', async () => {
    const check = readinessCheck({
      workers: workersIn('RUNNING', 'RUNNING'),
      connection: answering,
      draining: () => false,
    });
    expect(await check()).toEqual({ ok: true, reason: 'ready' });
  });

  it('is not ready before the workers poll, nor while draining', async () => {
    const starting = readinessCheck({
      workers: workersIn('INITIALIZED', 'RUNNING'),
      connection: answering,
      draining: () => false,
    });
    expect(await starting()).toEqual({ ok: false, reason: 'workers not polling: INITIALIZED' });
    const draining = readinessCheck({ workers: workersIn('RUNNING'), connection: answering, draining: () => true });
    expect(await draining()).toEqual({ ok: false, reason: 'draining: shutting down' });
  });

  it('is not ready while the frontend does not answer, and asks it at most every 5 s', async () => {
    let calls = 0;
    let up = false;
    let clock = 0;
    const connection = frontend(async () => {
      calls++;
      if (!up) throw new Error('connect ECONNREFUSED');
      return {};
    });
    const check = readinessCheck({ workers: workersIn('RUNNING'), connection, draining: () => false }, () => clock);
    expect(await check()).toEqual({ ok: false, reason: 'Temporal frontend unreachable: connect ECONNREFUSED' });
    up = true;
    clock = 4_999;
    expect((await check()).ok).toBe(false); // the last answer still counts
    clock = 5_000;
    expect(await check()).toEqual({ ok: true, reason: 'ready' });
    expect(calls).toBe(2);
  });
});

describe('serveHealth', () => {
  it('answers /livez and /readyz with status codes a scheduler acts on', async () => {
    let draining = false;
    const workers = workersIn('RUNNING');
    const server = await serveHealth(
      { host: '127.0.0.1', port: 0 },
      { workers, connection: answering, draining: () => draining },
    );
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const get = async (path: string) => {
        const res = await fetch(`${base}${path}`);
        return `${res.status} ${(await res.text()).trim()}`;
      };
      expect(await get('/livez')).toBe('200 alive');
      expect(await get('/readyz')).toBe('200 ready');
      draining = true;
      expect(await get('/readyz')).toBe('503 draining: shutting down');
      expect(await get('/livez')).toBe('200 alive');
      expect(await get('/metrics')).toBe('404 GET /livez or /readyz');
    } finally {
      server.close();
    }
  });
});

describe('the rollout-worker entrypoint', () => {
  it('serves health against a dev server: ready once it polls, and it exits 0 on SIGTERM', async () => {
    const env = await createTemporalEnv();
    const port = await freePort();
    const worker = spawn(
      process.execPath,
      [
        ...WORKER_RUNTIME.v8Flags,
        '--import',
        'tsx',
        join(__dirname, '..', 'src', 'worker.ts'),
        '--regions',
        'eu-west-1',
      ],
      {
        env: {
          ...process.env,
          ...WORKER_RUNTIME.env,
          TEMPORAL_ADDRESS: env.address,
          TEMPORAL_NAMESPACE: 'default',
          ROLLOUT_HEALTH_ADDRESS: `127.0.0.1:${port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    try {
      const ready = await until(
        'the worker is ready',
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          return res?.status === 200 ? await res.text() : undefined;
        },
        60_000,
      );
      expect(ready).toBe('ready\n');
      expect(await (await fetch(`http://127.0.0.1:${port}/livez`)).text()).toBe('alive\n');
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toMatch(/health on 127\.0\.0\.1:\d+: GET \/livez, \/readyz/);
    } finally {
      worker.kill('SIGKILL');
      await env.teardown();
    }
  }, 90_000);

  it('refuses a bad ROLLOUT_HEALTH_ADDRESS before connecting, naming it', async () => {
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', 'src', 'worker.ts'), '--regions', 'eu-west-1'],
      {
        env: { ...process.env, ROLLOUT_HEALTH_ADDRESS: 'eight-thousand', TEMPORAL_ADDRESS: '127.0.0.1:1' },
        stdio: 'pipe',
      },
    );
    let stderr = '';
    worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/ROLLOUT_HEALTH_ADDRESS="eight-thousand" is not an address to serve health on/);
  }, 30_000);
});
