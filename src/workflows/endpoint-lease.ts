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
import { endpointLeaseQuery, endpointLeaseWorkflowId, releaseLeaseSignal } from '../shared/messages';
import type { RefusedMessages } from '../shared/types';
import { CONTROL_TASK_QUEUE } from '../shared/task-queues';
import { carriesKey, MessageRefusals } from './message-refusals';

export interface EndpointLeaseInput {
  holder: string;
  region: string;
  endpoint: string;
  /** The holder's message key: only a release that carries it ends the lease (absent for holders from before). */
  key?: string;
}

/** Holds the endpoint until released (or until its holder closes, which terminates it). */
export async function endpointLeaseWorkflow(input: EndpointLeaseInput): Promise<string> {
  let released = false;
  const status: { refusedMessages?: RefusedMessages } = {};
  const refusals = new MessageRefusals(status);
  wf.setHandler(releaseLeaseSignal, (key) => {
    if (carriesKey(input.key, input.key !== undefined, key)) released = true;
    else refusals.record('releaseLease', `not from ${input.holder}`);
  });
  wf.setHandler(endpointLeaseQuery, () => ({ holder: input.holder, ...status }));
  wf.setCurrentDetails(`**${input.region}/${input.endpoint}** held by \`${input.holder}\``);
  await wf.condition(() => released);
  return `released by ${input.holder}`;
}

export interface EndpointLease {
  /** Releases the lease; with `untilEnded`, also waits for the lease workflow to complete. */
  release(untilEnded?: boolean): Promise<void>;
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
  key?: string,
): Promise<EndpointLease> {
  const workflowId = endpointLeaseWorkflowId(region, endpoint);
  const holder = wf.workflowInfo().workflowId;
  // A keyed holder's cancellation never reaches its lease: a start still in flight when the holder is cancelled
  // completes, so the holder knows it holds the lease and releases it (else the lease ran on unseen until Temporal
  // terminated it with its holder), and the release waits for the lease's real end. Holders from before replay as
  // they ran.
  const shielded = key !== undefined && wf.patched('lease-outlives-holder-cancellation');
  for (let attempt = 0; ; attempt++) {
    try {
      const start = () =>
        wf.startChild(endpointLeaseWorkflow, {
          workflowId,
          taskQueue: CONTROL_TASK_QUEUE,
          args: [{ holder, region, endpoint, ...(key !== undefined ? { key } : {}) }],
          parentClosePolicy: 'TERMINATE',
          // A cancelled holder still restores the endpoint under the lease, then releases it; holders from before
          // message keys let the cancellation reach the lease, as they always did.
          ...(key !== undefined ? { cancellationType: wf.ChildWorkflowCancellationType.ABANDON } : {}),
          staticSummary: `${region}/${endpoint} held by ${holder}`,
        });
      const handle = shielded ? await wf.CancellationScope.nonCancellable(start) : await start();
      return {
        release: async (untilEnded = false) => {
          await handle.signal(releaseLeaseSignal, key);
          if (untilEnded) await handle.result();
        },
      };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      if (attempt === 0) await onWait();
      await wf.sleep(Math.min(1000 * 2 ** attempt, MAX_WAIT_MS));
    }
  }
}
