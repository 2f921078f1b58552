/**
 * What the rollout tells the plan's notification channels, and when. Transitions are read from region statuses as
 * they arrive (every progress signal and report passes through `setRegionStatus`): a region entering
 * `awaiting-approval` for a stage (with the `rollout approve` command), a region entering `rollback-failed` (urgent,
 * with `rollout retry-rollback`); then the rollout's outcome (`promoted` or `rolled-back`, with the reason). Each is
 * sent once (`Notifier` dedupes by key) and never awaited on the rollout's path; `finish` waits, bounded, for the
 * deliveries in flight and returns the report with `notifications`. Changes `status.notifications` only.
 *
 * Deliberately not importing `context.ts` (which creates this): it receives what it reads.
 */
import type { Plan } from '../../plan/schema';
import { formatDurationMs } from '../../shared/duration';
import {
  approveCommand,
  MAX_NOTIFICATION_RECORDS,
  retryRollbackCommand,
  type NotificationEvent,
} from '../../shared/notifications';
import type { RegionStatus, RolloutReport, RolloutStatus } from '../../shared/types';
import { Notifier } from '../notifications';
import { nowIso } from '../time';

export interface RolloutNotifications {
  /** A region's new status (progress or report): sends what its transition calls for. */
  regionChanged(update: RegionStatus): void;
  /** Sends the outcome, waits for deliveries in flight (bounded), and returns the report with their records. */
  finish(report: RolloutReport): Promise<RolloutReport>;
}

interface Subject {
  plan: Plan;
  rolloutId: string;
  version: number;
  status: RolloutStatus;
}

export function createRolloutNotifications(subject: Subject): RolloutNotifications {
  const { plan, status } = subject;
  const notifier = new Notifier(plan.notifications ?? [], (record) => {
    status.notifications = [...(status.notifications ?? []), record].slice(-MAX_NOTIFICATION_RECORDS);
  });
  const lastPhase = new Map<string, string>();
  const rollbackFailures = new Map<string, number>();
  return {
    regionChanged(update) {
      if (!plan.notifications?.length) return;
      const before = lastPhase.get(update.region);
      lastPhase.set(update.region, update.phase);
      if (update.phase === 'awaiting-approval' && update.stage) notifier.send(awaitingApproval(subject, update));
      if (update.phase === 'rollback-failed' && before !== 'rollback-failed') {
        const count = (rollbackFailures.get(update.region) ?? 0) + 1;
        rollbackFailures.set(update.region, count);
        notifier.send(rollbackFailed(subject, update, count));
      }
    },
    async finish(report) {
      if (!plan.notifications?.length) return report;
      notifier.send(outcome(subject, report));
      await notifier.settle();
      return { ...report, notifications: status.notifications ?? [] };
    },
  };
}

function base({
  plan,
  rolloutId,
  version,
}: Subject): Pick<NotificationEvent, 'rolloutId' | 'model' | 'version' | 'at'> {
  return { rolloutId, model: plan.model, version, at: nowIso() };
}

function awaitingApproval(subject: Subject, region: RegionStatus): NotificationEvent {
  const { plan, version } = subject;
  const stage = region.stage!;
  const approvers = plan.approvals?.allowed;
  return {
    ...base(subject),
    event: 'awaiting-approval',
    key: `awaiting-approval/${region.region}/${stage}`,
    region: region.region,
    stage,
    urgent: false,
    title: `${plan.model} v${version}: ${region.region} awaits approval of stage ${stage}`,
    text:
      `${region.region} serves v${version} to ${region.challengerWeight}% of traffic at stage ${stage} and waits for an ` +
      `approval; without one within ${formatDurationMs(plan.timeouts.approval)} it rolls back.` +
      (approvers ? ` Who may approve: ${approvers.join(', ')}.` : ''),
    command: approveCommand(subject.rolloutId, region.region, stage),
  };
}

function rollbackFailed(subject: Subject, region: RegionStatus, count: number): NotificationEvent {
  const { plan, version } = subject;
  return {
    ...base(subject),
    event: 'rollback-failed',
    key: `rollback-failed/${region.region}/${count}`,
    region: region.region,
    ...(region.stage ? { stage: region.stage } : {}),
    urgent: true,
    title: `${plan.model} v${version}: the rollback in ${region.region} failed and needs an operator now`,
    text:
      `${region.region} could not restore its previous endpoint config${region.error ? ` (${region.error})` : ''}. ` +
      `It waits in rollback-failed until an operator retries the rollback.`,
    command: retryRollbackCommand(subject.rolloutId, region.region),
  };
}

function outcome(subject: Subject, report: RolloutReport): NotificationEvent {
  const { plan, version } = subject;
  const regions = report.regions.map((r) => `${r.region} ${r.outcome}`).join(', ');
  if (report.outcome === 'succeeded')
    return {
      ...base(subject),
      event: 'promoted',
      key: 'outcome',
      outcome: report.outcome,
      urgent: false,
      title: `${plan.model} v${version} is promoted in every region`,
      text: `The rollout succeeded: ${regions}.`,
    };
  return {
    ...base(subject),
    event: 'rolled-back',
    key: 'outcome',
    outcome: report.outcome,
    urgent: false,
    title: `${plan.model} v${version}: the rollout ended ${report.outcome}`,
    text: `${report.error ? `Why: ${report.error}. ` : ''}Regions: ${regions}.`,
  };
}
