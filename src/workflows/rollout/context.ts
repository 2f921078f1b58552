/**
 * The rollout context: everything a step of the parent workflow may use, passed explicitly to each step module.
 * What each part may change is said where it is defined.
 */
import type { Duration } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Plan } from '../../plan/schema';
import { CONTROL_TASK_QUEUE, regionTaskQueue } from '../../shared/task-queues';
import type { RegionReport, RegionStatus, RolloutInput, RolloutStatus } from '../../shared/types';
import type { RolloutTurn } from '../../shared/messages';
import { MessageRefusals } from '../message-refusals';
import { nowIso } from '../time';
import { createDetails, type Details } from './details';
import { createRolloutNotifications, type RolloutNotifications } from './notifications';

/** Activities as a workflow calls them (each with `executeWithOptions` for a summary in the UI). */
type ActivityProxy = wf.ActivityInterfaceFor<Activities>;

/** Why the rollout stops before its end. */
export interface StopRequest {
  kind: 'aborted' | 'superseded';
  by: string;
  reason?: string;
}

/** What operators (and the model queue) asked for. Written only by the message handlers (`messages.ts`). */
export interface RolloutInbox {
  /** Abort or supersede: the waves stop (the scope is cancelled) and every touched region is restored. */
  stopRequest?: StopRequest;
  /** Regions whose restore by this workflow failed, and that an operator asked to try again. */
  restoreRetries: Set<string>;
  /** The model queue's latest answer: wait, proceed, refused or superseded. */
  turn?: RolloutTurn;
}

/** The rollout's message key (keyed rollouts only): internal messages must carry it. */
export interface MessageKeys {
  /**
   * Ordered by the model queue and with message keys (`patched('model-queue-and-message-keys')`); rollouts started
   * before run without either, as they always did.
   */
  readonly keyed: boolean;
  /** Made by an activity at the start (`issueMessageKey`); absent until then. */
  key?: string;
  /** Its SHA-256, which the `messageKeyDigest` query answers (the queue checks arrivals with it). */
  digest?: string;
}

export interface RolloutActivities {
  /** Coordination with other rollouts of the model, on the control queue. */
  control: ActivityProxy;
  /** Waiting for other rollouts to close: long, heartbeating. */
  waiting: ActivityProxy;
  /** One region's activities (pre-flight reads, restores), on its own task queue. */
  region(region: string, startToCloseTimeout?: Duration): ActivityProxy;
}

export interface RolloutContext {
  readonly input: RolloutInput;
  readonly plan: Plan;
  readonly version: number;
  readonly rolloutId: string;
  /** The status the `status` query answers: regions' phases come from their progress signals and reports. */
  readonly status: RolloutStatus;
  /** Each region's final report once it ended. Written by the waves (`waves.ts`) and the failure policy. */
  readonly reports: Map<string, RegionReport>;
  readonly inbox: RolloutInbox;
  /** Runs pre-flight and the waves; cancelled by abort, supersede, and a failure under `rollback-all`. */
  readonly scope: wf.CancellationScope;
  readonly activities: RolloutActivities;
  /** The Temporal UI's view: the `RolloutStatus` search attribute and the Current Details table. */
  readonly details: Details;
  /** A region failed: no further region starts. Written by the waves only. */
  anyRegionFailed: boolean;
  readonly keys: MessageKeys;
  /** Internal messages refused for want of the key, recorded in `status.refusedMessages`. */
  readonly refusals: MessageRefusals;
  /** The plan's notification channels: told of transitions as region statuses change (`setRegionStatus`). */
  readonly notifications: RolloutNotifications;
}

export function createRolloutContext(input: RolloutInput): RolloutContext {
  // Asked before the first command: a rollout is keyed, or not, from its start to its end.
  const keyed = wf.patched('model-queue-and-message-keys');
  const { plan, version } = input;
  const rolloutId = wf.workflowInfo().workflowId;
  const status: RolloutStatus = {
    rolloutId,
    model: plan.model,
    version,
    phase: 'pre-flight',
    paused: false,
    startedAt: nowIso(),
    regions: plan.regions.map((r) => ({
      region: r.name,
      phase: 'pending',
      challengerWeight: 0,
      phaseSince: nowIso(),
      paused: false,
      checks: [],
      approvals: [],
      timeline: [],
    })),
  };
  return {
    input,
    plan,
    version,
    rolloutId,
    status,
    reports: new Map(),
    inbox: { restoreRetries: new Set() },
    scope: new wf.CancellationScope(),
    activities: rolloutActivities(),
    details: createDetails(plan.model, version, status),
    anyRegionFailed: false,
    keys: { keyed },
    refusals: new MessageRefusals(status),
    notifications: createRolloutNotifications({ plan, rolloutId, version, status }),
  };
}

function rolloutActivities(): RolloutActivities {
  return {
    control: wf.proxyActivities<Activities>({
      taskQueue: CONTROL_TASK_QUEUE,
      startToCloseTimeout: '1m',
      retry: { maximumAttempts: 10 },
    }),
    waiting: wf.proxyActivities<Activities>({
      taskQueue: CONTROL_TASK_QUEUE,
      startToCloseTimeout: '7d',
      heartbeatTimeout: '1m',
    }),
    region: (region, startToCloseTimeout = '2m') =>
      wf.proxyActivities<Activities>({
        taskQueue: regionTaskQueue(region),
        startToCloseTimeout,
        heartbeatTimeout: '30s',
        retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
      }),
  };
}

/** The live status of one region (always present: the plan's regions are the status's regions). */
export function regionStatusOf({ status }: Pick<RolloutContext, 'status'>, region: string): RegionStatus {
  return status.regions.find((r) => r.region === region)!;
}

/** Replaces a region's status (from its progress signal, or its final report); notifications see each change. */
export function setRegionStatus(
  { status, notifications }: Pick<RolloutContext, 'status'> & Partial<Pick<RolloutContext, 'notifications'>>,
  update: RegionStatus,
): void {
  const index = status.regions.findIndex((r) => r.region === update.region);
  if (index >= 0) status.regions[index] = update;
  notifications?.regionChanged(update);
}

/** Makes the rollout's message key (keyed rollouts), before anything is sent that needs it. */
export async function issueMessageKey({
  keys,
  activities,
}: Pick<RolloutContext, 'keys' | 'activities'>): Promise<void> {
  if (!keys.keyed) return;
  const { key, digest } = await activities.control.newMessageKey();
  keys.key = key;
  keys.digest = digest;
}
