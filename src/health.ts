/**
 * Liveness and readiness over HTTP, for a scheduler: Kubernetes probes, a container's HEALTHCHECK, a load balancer.
 *
 * - `GET /livez`: 200 while the process can still do its work; 500 once a worker has failed (its polling stopped
 *   for good, so only a restart helps).
 * - `GET /readyz`: 200 when every worker polls its queue and the Temporal frontend answers; 503 while starting,
 *   while draining after SIGTERM (so no new traffic is routed to a worker that is finishing its activities), or
 *   while Temporal is unreachable. The body says which.
 *
 * Off unless `ROLLOUT_HEALTH_ADDRESS` (`host:port` or `:port`) is set; the container image sets it.
 */
import { createServer, type Server } from 'node:http';
import type { NativeConnection, Worker } from '@temporalio/worker';

export const HEALTH_ADDRESS_VARIABLE = 'ROLLOUT_HEALTH_ADDRESS';

export interface HealthSource {
  workers: Pick<Worker, 'getState'>[];
  /** The worker's connection; readiness asks its frontend for system info. */
  connection: Pick<NativeConnection, 'workflowService'>;
  /** True once shutdown began: readiness turns off first, so traffic drains before the process exits. */
  draining(): boolean;
}

export interface HealthAddress {
  host: string;
  port: number;
}

/** `host:port` or `:port` (all interfaces); a clear error naming the variable otherwise. */
export function parseHealthAddress(value: string, variable = HEALTH_ADDRESS_VARIABLE): HealthAddress {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]*)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port >= 0 && port <= 65535))
    throw new Error(
      `${variable}="${value}" is not an address to serve health on: give host:port or :port, e.g. 0.0.0.0:8080 or :8080`,
    );
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export interface Verdict {
  ok: boolean;
  reason: string;
}

/** Whether the process is alive: no worker has failed. */
export function liveness(source: Pick<HealthSource, 'workers'>): Verdict {
  const failed = source.workers.filter((w) => w.getState() === 'FAILED').length;
  return failed > 0
    ? { ok: false, reason: `${failed} of ${source.workers.length} workers failed` }
    : { ok: true, reason: 'alive' };
}

const FRONTEND_TIMEOUT_MS = 2_000;
/** How long a frontend answer counts: probes every few seconds should not each cost a call. */
const FRONTEND_CACHE_MS = 5_000;

/** Readiness, with the frontend's last answer kept for a few seconds. */
export function readinessCheck(source: HealthSource, now = () => Date.now()): () => Promise<Verdict> {
  let frontend: { at: number; verdict: Verdict } | undefined;
  const askFrontend = async (): Promise<Verdict> => {
    if (frontend && now() - frontend.at < FRONTEND_CACHE_MS) return frontend.verdict;
    let verdict: Verdict;
    try {
      await withTimeout(source.connection.workflowService.getSystemInfo({}), FRONTEND_TIMEOUT_MS);
      verdict = { ok: true, reason: 'ready' };
    } catch (err) {
      verdict = { ok: false, reason: `Temporal frontend unreachable: ${(err as Error).message}` };
    }
    frontend = { at: now(), verdict };
    return verdict;
  };
  return async () => {
    if (source.draining()) return { ok: false, reason: 'draining: shutting down' };
    const states = source.workers.map((w) => w.getState());
    const notRunning = states.filter((s) => s !== 'RUNNING');
    if (states.length === 0 || notRunning.length > 0)
      return { ok: false, reason: `workers not polling: ${notRunning.join(', ') || 'none started'}` };
    return askFrontend();
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Serves /livez and /readyz on `address`; resolves once it listens. */
export async function serveHealth(address: HealthAddress, source: HealthSource): Promise<Server> {
  const ready = readinessCheck(source);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const check = path === '/livez' ? async () => liveness(source) : path === '/readyz' ? ready : undefined;
    if (req.method !== 'GET' || !check) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('GET /livez or /readyz\n');
      return;
    }
    check().then(
      (verdict) =>
        res
          .writeHead(verdict.ok ? 200 : path === '/livez' ? 500 : 503, { 'Content-Type': 'text/plain' })
          .end(`${verdict.reason}\n`),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
