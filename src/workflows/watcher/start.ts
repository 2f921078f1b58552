/**
 * Starting the chosen version's rollout through the control queue's `startWatchedRollout` (the same start options as
 * `rollout start`; a rollout of that version that exists in any state is found, not started again). Recorded either
 * way, so the version is never started twice by this watcher, across restarts and continue-as-new.
 * May change: `state.started`, `state.highestStarted`, `state.lastStartMs`, `state.events`.
 */
import * as wf from '@temporalio/workflow';
import type { WatcherActivities } from '../../activities/watcher';
import type { NotificationEvent } from '../../shared/notifications';
import { MAX_STARTED_KEPT } from '../../shared/watch';
import { CONTROL_TASK_QUEUE } from '../../shared/task-queues';
import type { WatcherContext } from './context';
import { record } from './decide';

const control = wf.proxyActivities<WatcherActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

export async function startVersion(ctx: WatcherContext, version: number): Promise<void> {
  const { input, state } = ctx;
  try {
    const result = await control.startWatchedRollout({
      plan: input.plan,
      edgeCases: input.edgeCases,
      version,
      triggeredBy: input.triggeredBy,
      watcherId: wf.workflowInfo().workflowId,
    });
    const at = new Date().toISOString();
    state.started.push({ version, rolloutId: result.rolloutId, at, started: result.started });
    if (state.started.length > MAX_STARTED_KEPT) state.started.splice(0, state.started.length - MAX_STARTED_KEPT);
    state.highestStarted = Math.max(state.highestStarted, version);
    // A rollout found running counts as a start for the minimum interval (this watcher may have started it before a crash).
    if (result.started || result.status === 'RUNNING') state.lastStartMs = Date.parse(at);
    if (result.started) ctx.notifier?.send(startedEvent(ctx, version, result.rolloutId, at));
    record(state, {
      at,
      version,
      what: result.started ? 'started' : 'attached',
      why: result.started
        ? result.rolloutId
        : `${result.rolloutId} exists already (${result.status}); not started again`,
    });
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
    record(state, { at: new Date().toISOString(), version, what: 'start-failed', why: cause });
  }
}

/** What the plan's channels are told of a start (`watcher-started`): the rollout's link and how to follow it. */
function startedEvent(ctx: WatcherContext, version: number, rolloutId: string, at: string): NotificationEvent {
  const { model } = ctx.input.plan;
  const watcher = wf.workflowInfo().workflowId;
  return {
    event: 'watcher-started',
    key: `watcher-started/v${version}`,
    rolloutId,
    model,
    version,
    urgent: false,
    title: `${model} v${version}: the watcher started its rollout`,
    text: `${watcher} (on ${ctx.settings.on}${ctx.settings.alias ? ` ${ctx.settings.alias}` : ''}) started ${rolloutId}.`,
    command: `rollout status ${rolloutId}`,
    at,
  };
}
