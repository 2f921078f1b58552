/**
 * Control-plane activities, on the control queue: they use the Temporal client to coordinate rollouts of the same
 * model (queue behind, supersede, or refuse), which workflows cannot do themselves (they cannot list workflows).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { heartbeat, sleep } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  enqueueRolloutSignal,
  messageKeyDigestQuery,
  modelQueueWorkflowId,
  rolloutWorkflowId,
  supersedeSignal,
  usesModelQueueQuery,
  type QueueEntry,
} from '../shared/messages';
import { CONTROL_TASK_QUEUE } from '../shared/task-queues';

/** The SHA-256 of a message key, hex: what a rollout's messageKeyDigest query answers. */
export function messageKeyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function createControlActivities(temporal: Client, pollMs = 2000) {
  /** Running rollouts of the same model, other than the caller (a visibility query: eventually consistent). */
  async function findConcurrentRollouts(input: { model: string; self: string }): Promise<string[]> {
    const ids: string[] = [];
    const query = `WorkflowType = 'rolloutWorkflow' AND ExecutionStatus = 'Running' AND RolloutModel = '${input.model.replace(/'/g, "\\'")}'`;
    for await (const execution of temporal.workflow.list({ query }))
      if (execution.workflowId !== input.self) ids.push(execution.workflowId);
    return ids.sort();
  }

  return {
    findConcurrentRollouts,

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

    /**
     * A new message key for a rollout: 32 random bytes from the OS (a workflow's own randomness is seeded from its run
     * id, which anyone who can list workflows knows). It is kept in the rollout's history, encrypted when
     * ROLLOUT_CODEC_KEYS is set; `digest` is what its messageKeyDigest query answers.
     */
    async newMessageKey(): Promise<{ key: string; digest: string }> {
      const key = randomBytes(32).toString('base64');
      return { key, digest: messageKeyDigest(key) };
    },

    /**
     * A rollout arrives in its model's queue: signalWithStart starts the queue if no rollout of the model is queued,
     * and appends the arrival to its history otherwise, in one order every rollout agrees on. Idempotent: the queue
     * ignores a second arrival of the same rollout.
     */
    async enqueueRollout(entry: QueueEntry): Promise<void> {
      await temporal.workflow.signalWithStart('rolloutQueueWorkflow', {
        workflowId: modelQueueWorkflowId(entry.model),
        taskQueue: CONTROL_TASK_QUEUE,
        args: [{ model: entry.model }],
        signal: enqueueRolloutSignal,
        signalArgs: [entry],
        staticSummary: `the order of ${entry.model}'s rollouts`,
      });
    },

    /**
     * Whether an arrival in the queue comes from the rollout it names: that workflow runs, is the rollout of that
     * model and version, and the digest of its message key matches the arrival's key. Anything else is a forgery
     * (or a rollout that closed meanwhile) and is refused.
     */
    async verifyQueueEntry(entry: QueueEntry): Promise<{ genuine: boolean; why?: string }> {
      if (entry.rolloutId !== rolloutWorkflowId(entry.model, entry.version))
        return { genuine: false, why: `${entry.rolloutId} is not the rollout of ${entry.model} v${entry.version}` };
      const handle = temporal.workflow.getHandle(entry.rolloutId);
      const description = await handle.describe().catch(() => undefined);
      if (description?.type !== 'rolloutWorkflow' || description.status.name !== 'RUNNING')
        return { genuine: false, why: `no running rollout ${entry.rolloutId}` };
      const digest = await handle.query(messageKeyDigestQuery).catch(() => undefined);
      const held = Buffer.from(digest ?? '', 'hex');
      const claimed = Buffer.from(messageKeyDigest(String(entry.key)), 'hex');
      const genuine = held.length === claimed.length && timingSafeEqual(held, claimed);
      return genuine ? { genuine } : { genuine, why: `${entry.rolloutId} does not hold the key the arrival carries` };
    },

    /**
     * Running rollouts of the model that do not use the model queue (started before it existed): the queue counts
     * them as ahead of every arrival when it starts. A rollout answers `usesModelQueue` from its first task on.
     */
    async findRolloutsOutsideQueue(input: { model: string }): Promise<string[]> {
      const outside: string[] = [];
      for (const id of await findConcurrentRollouts({ model: input.model, self: '' })) {
        const uses = await temporal.workflow
          .getHandle(id)
          .query(usesModelQueueQuery)
          .catch(() => false);
        if (!uses) outside.push(id);
      }
      return outside;
    },

    async supersedeRollouts(input: { workflowIds: string[]; by: string }): Promise<void> {
      for (const id of input.workflowIds)
        await temporal.workflow.getHandle(id).signal(supersedeSignal, { by: input.by });
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
