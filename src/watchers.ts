/** Starting and addressing watchers (`rollout watch`) from a client: the CLI, tests, the demo. */
import { createHash } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { EdgeCase } from './plan/edge-cases';
import type { Plan } from './plan/schema';
import { RolloutModel, WatcherStateAttribute, watcherStatusQuery, watcherWorkflowId } from './shared/messages';
import { CONTROL_TASK_QUEUE } from './shared/task-queues';
import type { rolloutWatcherWorkflow } from './workflows';

/** A plan name in a watcher's id: the plan file's name without its extension, or --name. */
export const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface WatcherStart {
  plan: Plan;
  edgeCases: EdgeCase[];
  planName: string;
  triggeredBy: string;
  /** Polls per run before continue-as-new (tests). */
  pollsPerRun?: number;
}

export interface StartedWatcher {
  handle: WorkflowHandle<typeof rolloutWatcherWorkflow>;
  workflowId: string;
  /** False when the plan's watcher was running and the call attached to it. */
  started: boolean;
  /** Attached to a watcher started with another version of the plan (it keeps the plan it was started with). */
  planChanged: boolean;
}

export function planHashOf(plan: Plan, edgeCases: EdgeCase[]): string {
  return createHash('sha256').update(JSON.stringify({ plan, edgeCases }), 'utf8').digest('hex');
}

/**
 * Starts the plan's watcher, or attaches to it when it runs: the workflow id derives from the model and the plan
 * name (USE_EXISTING), so there is one watcher per plan however often `rollout watch` runs.
 */
export async function startWatcher(client: Client, start: WatcherStart): Promise<StartedWatcher> {
  if (!PLAN_NAME.test(start.planName))
    throw new TypeError(
      `plan name "${start.planName}" must be letters, digits, "_", "." or "-" (at most 63), e.g. --name fraud-prod`,
    );
  if (!start.plan.watch)
    throw new TypeError('the plan has no watch: section; add e.g. watch: { on: version-ready, quiet_period: 2m }');
  const workflowId = watcherWorkflowId(start.plan.model, start.planName);
  const planHash = planHashOf(start.plan, start.edgeCases);
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d.runId : undefined))
    .catch(() => undefined);
  const handle = await client.workflow.start<typeof rolloutWatcherWorkflow>('rolloutWatcherWorkflow', {
    workflowId,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{ ...start, planHash }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Watch ${start.plan.model} (${start.plan.watch.on === 'alias' ? `alias ${start.plan.watch.alias}` : 'new READY versions'}) for plan ${start.planName}`,
    typedSearchAttributes: [
      { key: RolloutModel, value: start.plan.model },
      { key: WatcherStateAttribute, value: 'watching' },
    ],
  });
  const started = running === undefined || handle.firstExecutionRunId !== running;
  const planChanged = !started && (await handle.query(watcherStatusQuery)).planHash !== planHash;
  return { handle, workflowId, started, planChanged };
}
