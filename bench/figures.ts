/**
 * The arithmetic behind the benchmark figures, pure so that it is unit-tested (test/bench/figures.test.ts):
 * the critical-path bound of a rollout, quantiles, how soon polling noticed a state change, and what an emulator
 * request log says about the calls a rollout made.
 */

/** What one region of a rollout cannot go faster than, from the emulator world's known times. */
export interface RegionInherentTime {
  region: string;
  /** When the version became visible in the region's catalog (ms since epoch); undefined: at once (the primary). */
  visibleAt?: number;
  /** Config updates the region makes (one per stage, plus the promotion). */
  updates: number;
  updateMs: number;
  /** Sum of the stages' bakes. */
  bakeMs: number;
}

/** A region's inherent time from `startAt`: waiting for its replica, its config updates and its bakes. */
export function inherentMs(region: RegionInherentTime, startAt: number): number {
  const replication = region.visibleAt === undefined ? 0 : Math.max(0, region.visibleAt - startAt);
  return replication + region.updates * region.updateMs + region.bakeMs;
}

/** The critical-path bound of a rollout in which every region runs at once: the slowest region's inherent time. */
export function criticalPathBound(regions: RegionInherentTime[], startAt: number): { ms: number; region: string } {
  let slowest = { ms: 0, region: '' };
  for (const region of regions) {
    const ms = inherentMs(region, startAt);
    if (ms > slowest.ms) slowest = { ms, region: region.region };
  }
  return slowest;
}

/** Nearest-rank quantile (NaN for no values). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The one-sided 95% upper bound of a rate from k events in n trials (Clopper-Pearson, by bisection). */
export function upperBound95(k: number, n: number): number {
  if (k >= n) return 1;
  // P(X <= k | p) = 0.05
  const cdf = (p: number) => {
    let term = Math.pow(1 - p, n);
    let sum = term;
    for (let i = 1; i <= k; i++) {
      term *= ((n - i + 1) / i) * (p / (1 - p));
      sum += term;
    }
    return sum;
  };
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > 0.05) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * What the activities' polling schedule implies for a wait of `waitMs`: a first read at once, then reads after
 * `initialMs`, doubling up to `maxMs` (the Poller in src/activities/databricks.ts). Lag: from the change to the
 * read that sees it; calls: reads including that one. Request and processing times come on top when measured.
 */
export function pollingModel(settings: { initialMs: number; maxMs: number }, waitMs: number) {
  let at = 0;
  let interval = settings.initialMs;
  let calls = 1;
  while (at < waitMs) {
    at += interval;
    interval = Math.min(settings.maxMs, interval * 2);
    calls++;
  }
  return { lagMs: at - waitMs, calls };
}

/** One request in an emulator log, stamped when it was answered. */
export interface LoggedRequest {
  at: number;
  region: string;
  method: string;
  path: string;
  status: string;
}

export interface NoticeDelay {
  region: string;
  what: 'replication' | 'config-update';
  /** From the state change to the answer that showed it, ms. */
  lagMs: number;
  /** Polling calls made for this wait, the noticing one included. */
  calls: number;
}

const ENDPOINT_GET = /^\/api\/2\.0\/serving-endpoints\/[^/]+$/;
const ENDPOINT_CONFIG_PUT = /^\/api\/2\.0\/serving-endpoints\/[^/]+\/config$/;
const VERSION_GET = /\/unity-catalog\/models\/[^/]+\/versions\/\d+$/;

/**
 * How soon config-update polling noticed each update settle: an update accepted (PUT answered 200) at t settles at
 * t + updateMs; the first endpoint GET answered after that noticed it. Calls: the GETs from the PUT to that one.
 */
export function configUpdateNotices(log: LoggedRequest[], updateMs: (region: string) => number): NoticeDelay[] {
  const out: NoticeDelay[] = [];
  const byRegion = groupBy(log, (r) => r.region);
  for (const [region, requests] of byRegion) {
    requests.forEach((put, i) => {
      if (put.method !== 'PUT' || !ENDPOINT_CONFIG_PUT.test(put.path) || put.status !== '200') return;
      const settlesAt = put.at + updateMs(region);
      let calls = 0;
      for (const next of requests.slice(i + 1)) {
        if (next.method !== 'GET' || !ENDPOINT_GET.test(next.path)) continue;
        calls++;
        if (next.at >= settlesAt) {
          out.push({ region, what: 'config-update', lagMs: next.at - settlesAt, calls });
          return;
        }
      }
    });
  }
  return out;
}

/**
 * How soon replication polling noticed each region's replica: `visibleAt` per region (from the emulator's state);
 * the first model-version GET answered 200 in the region noticed it. Calls: every such GET up to that one.
 */
export function replicationNotices(log: LoggedRequest[], visibleAt: Map<string, number>): NoticeDelay[] {
  const out: NoticeDelay[] = [];
  for (const [region, requests] of groupBy(log, (r) => r.region)) {
    const at = visibleAt.get(region);
    if (at === undefined) continue;
    let calls = 0;
    for (const request of requests) {
      if (request.method !== 'GET' || !VERSION_GET.test(request.path)) continue;
      calls++;
      if (request.status === '200') {
        out.push({ region, what: 'replication', lagMs: Math.max(0, request.at - at), calls });
        break;
      }
    }
  }
  return out;
}

/** Management API calls per region (invocations, admin routes and OAuth excluded), by "METHOD route kind". */
export function managementCalls(log: LoggedRequest[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const request of log) {
    if (!request.path.startsWith('/api/')) continue;
    const kind = `${request.method} ${routeKind(request.path)}`;
    const counts = out.get(request.region) ?? {};
    counts[kind] = (counts[kind] ?? 0) + 1;
    out.set(request.region, counts);
  }
  return out;
}

function routeKind(path: string): string {
  if (ENDPOINT_CONFIG_PUT.test(path)) return 'endpoint config';
  if (ENDPOINT_GET.test(path)) return 'endpoint';
  if (VERSION_GET.test(path)) return 'model version';
  return path.replace(/\/[^/]*\d[^/]*$/, '/{id}');
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
}

/** Temporal commands a workflow's history records (what the workflow asked the server to do). */
export const COMMAND_EVENTS = [
  'ACTIVITY_TASK_SCHEDULED',
  'TIMER_STARTED',
  'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'MARKER_RECORDED',
  'WORKFLOW_EXECUTION_COMPLETED',
  'WORKFLOW_EXECUTION_FAILED',
] as const;

/** Counts by event type -> commands, workflow tasks and events. */
export function historyCounts(byType: Record<string, number>): {
  events: number;
  commands: number;
  workflowTasks: number;
} {
  const events = Object.values(byType).reduce((a, b) => a + b, 0);
  const commands = COMMAND_EVENTS.reduce((sum, type) => sum + (byType[type] ?? 0), 0);
  return { events, commands, workflowTasks: byType.WORKFLOW_TASK_COMPLETED ?? 0 };
}
