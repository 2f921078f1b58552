/**
 * How a rollout workflow is started, without the workflow's types: shared by `startRollout` (src/rollouts.ts: the CLI,
 * CI, tests) and the watcher's start activity, which cannot import the workflows (an import cycle).
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { RolloutModel, RolloutRegions, RolloutVersion, rolloutWorkflowId } from './messages';
import { fitKeywordList } from './search-attributes';
import { CONTROL_TASK_QUEUE } from './task-queues';
import type { RolloutInput } from './types';

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
 * The start options of a rollout: the workflow id derives from the model and version and a running one is attached
 * to (USE_EXISTING), so a second trigger does not start another.
 */
export function rolloutStartOptions(input: RolloutInput) {
  return {
    workflowId: rolloutWorkflowId(input.plan.model, input.version),
    taskQueue: CONTROL_TASK_QUEUE,
    args: [input] as [RolloutInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: summaryOf(input),
    typedSearchAttributes: [
      { key: RolloutModel, value: input.plan.model },
      { key: RolloutVersion, value: input.version },
      // Temporal refuses a start whose search attribute value is over 2 KiB: 250 regions would be.
      { key: RolloutRegions, value: fitKeywordList(input.plan.regions.map((r) => r.name)) },
    ],
  } satisfies Partial<WorkflowStartOptions>;
}
