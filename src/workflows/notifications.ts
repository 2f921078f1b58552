/**
 * Sending notifications from a workflow without waiting for them: each event goes to every channel of the plan that
 * takes it, once per event key (the set of keys sent is workflow state, rebuilt the same way on replay), through the
 * control queue's `deliverNotification` activity with retries. A delivery never fails or blocks the workflow's own
 * path: its outcome is recorded (`record`), and `settle` waits, bounded, for deliveries in flight before the
 * workflow ends. A plan without channels sends nothing and schedules nothing (its commands are unchanged).
 */
import * as wf from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notify';
import type { NotificationChannel, NotificationEvent, NotificationRecord } from '../shared/notifications';
import { CONTROL_TASK_QUEUE } from '../shared/task-queues';
import { describeFailure } from './failures';
import { nowIso } from './time';

/** Every attempt of one delivery within a minute: 5 attempts, 1 s doubling to 10 s, 15 s each at most. */
export const DELIVERY_TIMEOUT = '1m';

const delivery = wf.proxyActivities<NotifyActivities>({
  taskQueue: CONTROL_TASK_QUEUE,
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: DELIVERY_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

export class Notifier {
  private readonly sent = new Set<string>();
  private inFlight = 0;

  constructor(
    private readonly channels: readonly NotificationChannel[],
    private readonly record: (record: NotificationRecord) => void,
  ) {}

  /** Sends the event to each channel that takes it, unless sent before; returns at once. */
  send(event: NotificationEvent): void {
    for (const { channel, kind, events } of this.channels) {
      const id = `${channel} ${event.key}`;
      if (!events.includes(event.event) || this.sent.has(id)) continue;
      this.sent.add(id);
      this.inFlight++;
      // Not cancellable: an abort cancels the rollout's scope, not the news of it.
      const done = wf.CancellationScope.nonCancellable(() =>
        delivery.deliverNotification.executeWithOptions({ summary: `notify ${channel} (${kind}): ${event.title}` }, [
          { channel, kind, event },
        ]),
      );
      const at = () => nowIso();
      void done
        .then(
          () => this.record({ event: event.event, key: event.key, channel, result: 'delivered', at: at() }),
          (err: unknown) =>
            this.record({
              event: event.event,
              key: event.key,
              channel,
              result: 'failed',
              error: describeFailure(err),
              at: at(),
            }),
        )
        .finally(() => this.inFlight--);
    }
  }

  /** Waits for deliveries in flight, at most their own timeout (never throws). */
  async settle(): Promise<void> {
    if (this.inFlight > 0) await wf.condition(() => this.inFlight === 0, DELIVERY_TIMEOUT);
  }
}
