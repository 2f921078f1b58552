/** Starting and addressing rollouts from a client (the CLI, CI, tests, the demo). */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { rolloutStartOptions } from './shared/rollout-start';
import type { RolloutInput } from './shared/types';
import type { rolloutWorkflow } from './workflows';

export { summaryOf } from './shared/rollout-start';

export interface StartedRollout {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>;
  workflowId: string;
  /** False when a rollout of this version was already running and the call attached to it. */
  started: boolean;
}

/**
 * Starts the rollout of a model version, or attaches to the one already running for it: the workflow id is derived
 * from the model and version, so a second trigger (a CI re-run) does not start another.
 */
export async function startRollout(client: Client, input: RolloutInput): Promise<StartedRollout> {
  const options = rolloutStartOptions(input);
  const { workflowId } = options;
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d.runId : undefined))
    .catch(() => undefined);
  const handle = await client.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', options);
  return { handle, workflowId, started: running === undefined || handle.firstExecutionRunId !== running };
}
