/**
 * Control-plane activities, on the control queue: they use the Temporal client to coordinate rollouts of the same
 * model (queue behind, supersede, or refuse), which workflows cannot do themselves (they cannot list workflows).
 */
import { heartbeat, sleep } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { supersedeSignal } from '../shared/messages';

export function createControlActivities(temporal: Client, pollMs = 2000) {
  return {
    /** Running rollouts of the same model, other than the caller. */
    async findConcurrentRollouts(input: { model: string; self: string }): Promise<string[]> {
      const ids: string[] = [];
      const query = `WorkflowType = 'rolloutWorkflow' AND ExecutionStatus = 'Running' AND RolloutModel = '${input.model.replace(/'/g, "\\'")}'`;
      for await (const execution of temporal.workflow.list({ query }))
        if (execution.workflowId !== input.self) ids.push(execution.workflowId);
      return ids.sort();
    },

    /** Heartbeats until every named workflow has closed. */
    async waitForRolloutsToClose(input: { workflowIds: string[] }): Promise<void> {
      for (;;) {
        const open: string[] = [];
        for (const id of input.workflowIds) {
          const description = await temporal.workflow.getHandle(id).describe();
          if (description.status.name === 'RUNNING') open.push(id);
        }
        if (open.length === 0) return;
        heartbeat({ open });
        await sleep(pollMs);
      }
    },

    async supersedeRollouts(input: { workflowIds: string[]; by: string }): Promise<void> {
      for (const id of input.workflowIds)
        await temporal.workflow.getHandle(id).signal(supersedeSignal, { by: input.by });
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
