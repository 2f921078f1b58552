/** Failed notification deliveries as `rollout status` and its follow lines show them: one line each, once. */
import { statusTable } from '../../src/cli/watch';
import { describeChanges } from '../../src/follow';
import { failedNotifications, type NotificationRecord } from '../../src/shared/notifications';
import type { RolloutStatus } from '../../src/shared/types';

const record = (channel: string, key: string, result: 'delivered' | 'failed', error?: string): NotificationRecord => ({
  event: key.startsWith('outcome') ? 'promoted' : 'awaiting-approval',
  key,
  channel,
  result,
  ...(error ? { error } : {}),
  at: '2026-12-03T17:00:00.000Z',
});

const status = (notifications: NotificationRecord[]): RolloutStatus => ({
  rolloutId: 'rollout-main.ml.fraud_detector-v5',
  model: 'main.ml.fraud_detector',
  version: 5,
  phase: 'rolling-out',
  paused: false,
  startedAt: '2026-12-03T17:00:00.000Z',
  regions: [],
  notifications,
});

const refused = record(
  'ops',
  'awaiting-approval/eu-west-1/canary',
  'failed',
  'the receiver answered 404 "no_service"\n',
);

it('names each failed delivery once, by channel and event, and never a delivered one', () => {
  const first = status([record('audit', 'awaiting-approval/eu-west-1/canary', 'delivered'), refused]);
  expect(failedNotifications(first)).toEqual([
    'notification awaiting-approval to ops FAILED: the receiver answered 404 "no_service"\n',
  ]);
  const next = status([...first.notifications!, record('ops', 'outcome', 'failed', 'ECONNREFUSED')]);
  expect(failedNotifications(next, first)).toEqual(['notification promoted to ops FAILED: ECONNREFUSED']);
});

it('prints them in the follow lines and the status table, one escaped line each', () => {
  const lines = describeChanges(undefined, status([refused]));
  expect(lines).toContain(
    'rollout: notification awaiting-approval to ops FAILED: the receiver answered 404 "no_service"\\n',
  );
  expect(describeChanges(status([refused]), status([refused]))).toEqual([]);
  expect(statusTable(status([refused]), Date.now()).at(-1)).toBe(
    'notification awaiting-approval to ops FAILED: the receiver answered 404 "no_service"\\n',
  );
});
