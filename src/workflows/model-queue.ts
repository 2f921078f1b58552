/**
 * The order of a model's rollouts. One workflow per model (`rollout-queue/<model>`) receives every rollout of the
 * model as it starts, through signalWithStart from the rollout's control activity. Temporal appends signals to one
 * history in one order, so the arrival order is a total order every rollout agrees on; a visibility query is only
 * eventually consistent, and two rollouts started a second apart each saw the other and waited for it forever.
 *
 * Each arrival is answered, in that order, by its own `on_concurrent_rollout`:
 * - `queue`: it proceeds once every rollout that arrived before it has closed;
 * - `supersede`: the earlier ones of older versions are superseded (they restore what they touched and close), and it
 *   proceeds once they have; if an earlier one is of a newer version, this one is superseded at once, untouched;
 * - `refuse`: refused while any earlier one is open.
 * So of two rollouts started at the same moment exactly one proceeds first, under every policy.
 *
 * A rollout tells the queue when it closes (`leaveQueue`, with its message key); one that is terminated cannot, so the
 * queue also watches the one at its front. An arrival is accepted only if the rollout it names is running and holds
 * the key the arrival carries (verifyQueueEntry): forged arrivals and departures are refused and recorded. The queue
 * ends when it is empty, and continues as new when its history grows long.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  enqueueRolloutSignal,
  leaveQueueSignal,
  modelQueueQuery,
  rolloutTurnSignal,
  versionOfRolloutId,
  type ModelQueueStatus,
  type QueueEntry,
  type RolloutTurn,
} from '../shared/messages';
import { CONTROL_TASK_QUEUE } from '../shared/task-queues';
import { MessageRefusals } from './message-refusals';

interface QueuedRollout extends QueueEntry {
  /** What it was last told: to wait, to proceed, or that it is superseded (it is stopping). */
  told?: RolloutTurn['turn'];
  /** Started before the queue existed: it has no key, is told nothing, and is superseded by the old keyless signal. */
  outsideQueue?: true;
}

export interface ModelQueueInput {
  model: string;
  /** Carried over by continue-as-new. */
  queued?: QueuedRollout[];
  pending?: QueueEntry[];
}

const control = wf.proxyActivities<Activities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 10 },
});
const watching = wf.proxyActivities<Activities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '30d',
  // Short, because a cancelled watch learns of it on its next heartbeat sent to the server, and the SDK sends them
  // at most every 0.8 × this.
  heartbeatTimeout: '10s',
  // The queue ends only once its watch has stopped: an activity left running would outlive its workflow.
  cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export async function rolloutQueueWorkflow(input: ModelQueueInput): Promise<string> {
  const queued: QueuedRollout[] = input.queued ?? [];
  /** Arrivals not yet verified and answered, in arrival order. */
  const pending: QueueEntry[] = input.pending ?? [];
  const refusals = new MessageRefusals();
  const closed = new Set<string>();
  wf.setHandler(enqueueRolloutSignal, (entry) => void pending.push(entry));
  wf.setHandler(leaveQueueSignal, ({ rolloutId, key }) => {
    const entry = queued.find((q) => q.rolloutId === rolloutId);
    if (entry && !entry.outsideQueue && entry.key !== key) refusals.record('leaveQueue', `not from ${rolloutId}`);
    else if (entry) closed.add(rolloutId);
  });
  wf.setHandler(modelQueueQuery, (): ModelQueueStatus => ({
    model: input.model,
    rollouts: queued.map(({ rolloutId, version, policy, told, outsideQueue }) => ({
      rolloutId,
      version,
      policy,
      ...(told ? { told } : {}),
      ...(outsideQueue ? { outsideQueue } : {}),
    })),
    refusedMessages: refusals.summary(),
  }));
  wf.setCurrentDetails(`the order of **${input.model}**'s rollouts (query \`queue\`)`);

  // Rollouts from before the queue run without it: they are ahead of everything that arrives now.
  if (!input.queued)
    for (const rolloutId of await control.findRolloutsOutsideQueue({ model: input.model }))
      queued.push({
        rolloutId,
        model: input.model,
        version: versionOfRolloutId(rolloutId),
        policy: 'queue',
        key: '',
        outsideQueue: true,
      });

  const front = new FrontWatch(closed);
  for (;;) {
    for (const id of closed) removeFrom(queued, id);
    closed.clear();
    while (pending.length) await admit(queued, pending.shift()!, refusals);
    await tellTheFront(queued);
    front.watch(queued[0]);
    if (queued.length === 0 && pending.length === 0) {
      // Ends once its last watch has stopped; a rollout that arrives meanwhile is admitted at once.
      await wf.condition(() => pending.length > 0 || front.idle);
      await wf.condition(wf.allHandlersFinished);
      if (pending.length === 0) return `no rollout of ${input.model} is queued`;
    }
    if (wf.workflowInfo().continueAsNewSuggested) {
      front.stop();
      await wf.condition(() => front.idle);
      await wf.condition(wf.allHandlersFinished);
      for (const id of closed) removeFrom(queued, id);
      return wf.continueAsNew<typeof rolloutQueueWorkflow>({ model: input.model, queued, pending });
    }
    await wf.condition(() => pending.length > 0 || closed.size > 0);
  }
}

/** Verifies an arrival and answers it by its policy; a genuine one joins the queue unless refused or superseded. */
async function admit(queued: QueuedRollout[], entry: QueueEntry, refusals: MessageRefusals): Promise<void> {
  if (queued.some((q) => q.rolloutId === entry.rolloutId)) return; // a retried arrival
  const { genuine, why } = await control.verifyQueueEntry(entry);
  if (!genuine) return refusals.record('enqueueRollout', why ?? 'not genuine');
  const ahead = [...queued];
  const ids = (rollouts: QueuedRollout[]) => rollouts.map((r) => r.rolloutId);
  if (entry.policy === 'refuse' && ahead.length)
    return tell(entry, { turn: 'refused', by: ids(ahead), reason: 'on_concurrent_rollout: refuse' });
  if (entry.policy === 'supersede') {
    const newer = ahead.filter((r) => r.version > entry.version);
    if (newer.length)
      return tell(entry, {
        turn: 'superseded',
        by: ids(newer),
        reason: `a newer version of ${entry.model} is running`,
      });
    for (const older of ahead.filter((r) => r.told !== 'superseded')) await supersede(older, entry.rolloutId);
  }
  queued.push(entry);
  if (ahead.length) await tell(entry, { turn: 'wait', behind: ids(ahead) });
}

/** The rollout at the front proceeds (once). */
async function tellTheFront(queued: QueuedRollout[]): Promise<void> {
  const first = queued[0];
  if (first && !first.outsideQueue && first.told !== 'proceed' && first.told !== 'superseded')
    await tell(first, { turn: 'proceed' });
}

async function supersede(rollout: QueuedRollout, by: string): Promise<void> {
  if (rollout.outsideQueue) await control.supersedeRollouts({ workflowIds: [rollout.rolloutId], by });
  else await tell(rollout, { turn: 'superseded', by: [by] });
  rollout.told = 'superseded';
}

async function tell(rollout: QueuedRollout, turn: RolloutTurn): Promise<void> {
  rollout.told = turn.turn;
  // A rollout that closed meanwhile cannot be told; the watch removes it.
  await wf
    .getExternalWorkflowHandle(rollout.rolloutId)
    .signal(rolloutTurnSignal, turn, rollout.key)
    .catch(() => undefined);
}

/** Watches the rollout at the front until it closes: one terminated without leaving the queue must not block it. */
class FrontWatch {
  private watched?: { rolloutId: string; scope: wf.CancellationScope };
  /** Watches whose activity has not ended yet (running, or cancelled and not yet stopped). */
  private active = 0;

  constructor(private readonly closed: Set<string>) {}

  watch(front: QueuedRollout | undefined): void {
    if (this.watched?.rolloutId === front?.rolloutId) return;
    this.stop();
    if (!front) return;
    const scope = new wf.CancellationScope();
    const { rolloutId } = front;
    this.watched = { rolloutId, scope };
    this.active++;
    scope
      .run(() => watching.waitForRolloutsToClose({ workflowIds: [rolloutId] }))
      .then(() => void this.closed.add(rolloutId))
      .catch(() => undefined) // cancelled: it left the front
      .finally(() => this.active--);
  }

  /** No watch activity is left running. */
  get idle(): boolean {
    return this.active === 0;
  }

  stop(): void {
    this.watched?.scope.cancel();
    this.watched = undefined;
  }
}

function removeFrom(queued: QueuedRollout[], rolloutId: string): void {
  const index = queued.findIndex((q) => q.rolloutId === rolloutId);
  if (index >= 0) queued.splice(index, 1);
}
