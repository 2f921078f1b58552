/** Starting and addressing rollouts from a client (the CLI, CI, tests, the demo). */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { RolloutModel, RolloutRegions, RolloutVersion, rolloutWorkflowId } from './shared/messages';
import { fitKeywordList } from './shared/search-attributes';
import { CONTROL_TASK_QUEUE } from './shared/task-queues';
import type { RolloutInput } from './shared/types';
import type { rolloutWorkflow } from './workflows';

export interface StartedRollout {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>;
  workflowId: string;
  /** False when a rollout of this version was already running and the call attached to it. */
  started: boolean;
}

/** The workflow's one-line summary (Temporal keeps at most 200 bytes of it): model, version and the first regions. */
export function summaryOf(input: Pick<RolloutInput, 'plan' | 'version'>): string {
  const head = `Roll out ${input.plan.model} v${input.version} to `;
  const regions = input.plan.regions.map((r) => r.name);
  let summary = `${head}${regions.join(', ')}`;
  for (let n = regions.length - 1; summary.length > 200 && n >= 0; n--)
    summary = `${head}${regions.slice(0, n).join(', ')}${n ? ', ' : ''}and ${regions.length - n} more`;
  return summary.length > 200 ? `${summary.slice(0, 197)}...` : summary;
}

/**
 * Starts the rollout of a model version, or attaches to the one already running for it: the workflow id is derived
 * from the model and version, so a second trigger (a CI re-run) does not start another.
 */
export async function startRollout(client: Client, input: RolloutInput): Promise<StartedRollout> {
  const workflowId = rolloutWorkflowId(input.plan.model, input.version);
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d.runId : undefined))
    .catch(() => undefined);
  const handle = await client.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', {
    workflowId,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: summaryOf(input),
    typedSearchAttributes: [
      { key: RolloutModel, value: input.plan.model },
      { key: RolloutVersion, value: input.version },
      // Temporal refuses a start whose search attribute value is over 2 KiB: 250 regions would be.
      { key: RolloutRegions, value: fitKeywordList(input.plan.regions.map((r) => r.name)) },
    ],
  });
  return { handle, workflowId, started: running === undefined || handle.firstExecutionRunId !== running };
}
