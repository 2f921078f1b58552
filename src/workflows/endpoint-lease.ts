/**
 * The endpoint lease: a rollout holds an endpoint while it changes it, so two rollouts that target the same endpoint
 * (different models, or versions that do not queue behind each other) never interleave their config updates.
 *
 * The lease is a child workflow with a fixed id per endpoint (`endpoint-lease/<region>/<endpoint>`). Temporal runs at
 * most one workflow per id, which makes starting it an atomic test-and-set; a second rollout's start fails with
 * "already started" and it retries on a durable timer. The lease ends when its holder signals `releaseLease` or
 * closes for any reason (parent close policy TERMINATE), so a terminated rollout cannot leave an endpoint locked.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { endpointLeaseWorkflowId, releaseLeaseSignal } from '../shared/messages';
import { CONTROL_TASK_QUEUE } from '../shared/task-queues';

export interface EndpointLeaseInput {
  holder: string;
  region: string;
  endpoint: string;
}

/** Holds the endpoint until released (or until its holder closes, which terminates it). */
export async function endpointLeaseWorkflow(input: EndpointLeaseInput): Promise<string> {
  let released = false;
  wf.setHandler(releaseLeaseSignal, () => {
    released = true;
  });
  wf.setCurrentDetails(`**${input.region}/${input.endpoint}** held by \`${input.holder}\``);
  await wf.condition(() => released);
  return `released by ${input.holder}`;
}

export interface EndpointLease {
  release(): Promise<void>;
}

const MAX_WAIT_MS = 10_000;

/**
 * Takes the endpoint's lease, waiting (durable timers, 1 s doubling up to 10 s) while another workflow holds it;
 * `onWait` runs once, when the first attempt finds it taken. Cancellable while waiting.
 */
export async function acquireEndpointLease(
  region: string,
  endpoint: string,
  onWait: () => Promise<void>,
): Promise<EndpointLease> {
  const workflowId = endpointLeaseWorkflowId(region, endpoint);
  const holder = wf.workflowInfo().workflowId;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await wf.startChild(endpointLeaseWorkflow, {
        workflowId,
        taskQueue: CONTROL_TASK_QUEUE,
        args: [{ holder, region, endpoint }],
        parentClosePolicy: 'TERMINATE',
        staticSummary: `${region}/${endpoint} held by ${holder}`,
      });
      return {
        release: async () => {
          await handle.signal(releaseLeaseSignal);
        },
      };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (attempt === 0) await onWait();
      await wf.sleep(Math.min(1000 * 2 ** attempt, MAX_WAIT_MS));
    }
  }
}
