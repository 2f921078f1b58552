/**
 * Reading the primary's registry: one `observeModel` activity on the primary region's queue (where the worker holds
 * that workspace's credentials), retried a few times with backoff. A poll that still fails is recorded and the next
 * one backs off (the poll interval doubled per consecutive failure, up to 16 times); the watcher never fails on it.
 * May change: `state.failures`, `state.polls`, `state.events`.
 */
import * as wf from '@temporalio/workflow';
import type { WatcherActivities } from '../../activities/watcher';
import { regionTaskQueue } from '../../shared/task-queues';
import type { Observation } from '../../shared/watch';
import type { WatcherContext } from './context';
import { record } from './decide';

const MAX_BACKOFF_EXPONENT = 4;
const MAX_DELAY_MS = 3_600_000;

export async function observe(ctx: WatcherContext): Promise<Observation | undefined> {
  const { plan } = ctx.input;
  const { state, settings } = ctx;
  const primary = plan.regions.find((r) => r.name === plan.primary)!;
  const registry = wf.proxyActivities<WatcherActivities>({
    taskQueue: regionTaskQueue(plan.primary),
    startToCloseTimeout: '2m',
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
  });
  try {
    const observation = await registry.observeModel({
      region: primary.name,
      workspace: primary.workspace,
      model: plan.model,
      on: settings.on,
      ...(settings.alias ? { alias: settings.alias } : {}),
      after: Math.max(state.baseline ?? 0, state.highestStarted),
      listVersions: state.baseline === undefined,
    });
    state.failures = 0;
    state.polls++;
    return observation;
  } catch (err) {
    state.failures++;
    state.polls++;
    const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
    record(state, { at: new Date().toISOString(), what: 'poll-failed', why: cause });
    return undefined;
  }
}

/** How long until the next poll: the plan's interval, backed off after failures, sooner when a candidate may start. */
export function nextDelayMs(ctx: WatcherContext, wakeAtMs: number | undefined, nowMs: number): number {
  const base = Math.min(MAX_DELAY_MS, ctx.settings.poll * 2 ** Math.min(ctx.state.failures, MAX_BACKOFF_EXPONENT));
  return wakeAtMs === undefined ? base : Math.max(1, Math.min(base, wakeAtMs - nowMs));
}
