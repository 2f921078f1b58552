/** The plan's `notifications`: channels by name and kind; their URLs and secrets are the worker's, never the plan's. */
import { planSchema } from '../../src/plan/schema';
import { formatZodIssues } from '../../src/shared/duration';
import { channelEnvVar, NOTIFICATION_EVENTS } from '../../src/shared/notifications';
import { planInput } from './helpers';

const base = planInput() as any;

function problems(notifications: unknown): string[] {
  const result = planSchema.safeParse({ ...base, notifications });
  if (result.success) throw new Error('expected the plan to be refused');
  return formatZodIssues(result.error);
}

it('is absent unless the plan names channels, so plans without it are what they were', () => {
  expect(planSchema.parse(base)).not.toHaveProperty('notifications');
});

it('sends every event to a channel that does not list them', () => {
  const plan = planSchema.parse({
    ...base,
    notifications: [
      { channel: 'fraud-alerts', kind: 'slack' },
      { channel: 'ops_teams', kind: 'teams', events: ['rollback-failed'] },
      { channel: 'audit', kind: 'webhook', events: ['promoted', 'rolled-back'] },
    ],
  });
  expect(plan.notifications).toEqual([
    { channel: 'fraud-alerts', kind: 'slack', events: [...NOTIFICATION_EVENTS] },
    { channel: 'ops_teams', kind: 'teams', events: ['rollback-failed'] },
    { channel: 'audit', kind: 'webhook', events: ['promoted', 'rolled-back'] },
  ]);
});

it('names the worker variables after the channel', () => {
  expect(channelEnvVar('fraud-alerts', 'URL')).toBe('ROLLOUT_NOTIFY_FRAUD_ALERTS_URL');
  expect(channelEnvVar('ops_teams', 'SECRET')).toBe('ROLLOUT_NOTIFY_OPS_TEAMS_SECRET');
});

it.each([
  [
    [{ channel: 'https://hooks.slack.com/services/T0/B0/x', kind: 'slack' }],
    'notifications[0].channel: channel names are lower-case letters, digits, "-" or "_" (at most 40, starting with a letter), e.g. fraud-alerts; the worker reads ROLLOUT_NOTIFY_FRAUD_ALERTS_URL for it',
  ],
  [
    [{ channel: 'alerts', kind: 'slack', url: 'https://hooks.slack.com/services/T0/B0/x' }],
    'notifications[0].url: webhook URLs and signing secrets are credentials and never go in the plan (it enters workflow history): remove it and set ROLLOUT_NOTIFY_<CHANNEL>_URL (and _SECRET for kind webhook) on the worker',
  ],
  [[{ channel: 'alerts', kind: 'email' }], 'notifications[0].kind: write kind: slack, kind: teams, kind: webhook'],
  [
    [{ channel: 'alerts', kind: 'slack', events: ['approved'] }],
    'notifications[0].events[0]: events are awaiting-approval, promoted, rolled-back, rollback-failed, watcher-started',
  ],
  [
    [{ channel: 'alerts', kind: 'slack', events: [] }],
    'notifications[0].events: list at least one event, or omit events to send all of them',
  ],
  [
    [{ channel: 'alerts', kind: 'slack', events: ['promoted', 'promoted'] }],
    'notifications[0].events: an event is listed twice',
  ],
  [
    [
      { channel: 'ops-alerts', kind: 'slack' },
      { channel: 'ops_alerts', kind: 'teams' },
    ],
    'notifications[1].channel: ops_alerts and ops-alerts both read ROLLOUT_NOTIFY_OPS_ALERTS_URL on the worker; give each channel a name of its own',
  ],
  [
    [
      { channel: 'alerts', kind: 'slack' },
      { channel: 'alerts', kind: 'slack' },
    ],
    'notifications[1].channel: channel alerts is listed twice; list its events once',
  ],
  [[], 'notifications: list at least one channel, or remove notifications'],
])('refuses %j, naming the field and the fix', (notifications, expected) => {
  expect(problems(notifications)).toEqual([expected]);
});
