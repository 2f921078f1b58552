/**
 * The region context: everything a step of a region's rollout may use, passed explicitly to each step module. Each
 * step declares the part it needs (`Pick<RegionContext, ...>`); what a part may change is said where it is defined.
 */
import type { EndpointLease } from '../endpoint-lease';
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { RecordedMinute } from '../../activities/live-minutes';
import type {
  ApprovalRequest,
  EndpointConfig,
  EndpointSnapshot,
  RegionRolloutInput,
  RegionStatus,
  ReleaseMemberInput,
  ReleaseMemberStatus,
  ServedEntity,
  Workspace,
} from '../../shared/types';
import { regionTaskQueue } from '../../shared/task-queues';
import { MessageRefusals } from '../message-refusals';
import { nowIso } from '../time';
import { createProgress, type Progress } from './progress';

/** Activities as a workflow calls them (each with `executeWithOptions` for a summary in the UI). */
type ActivityProxy = wf.ActivityInterfaceFor<Activities>;

/** Room above an activity's own deadline (replication, config update) for its retries and heartbeats. */
export const MARGIN_MS = 5 * 60_000;

/** The endpoint a region's activities act on. */
export interface RegionTarget {
  region: string;
  workspace: Workspace;
  endpoint: string;
}

/**
 * What operators asked for. Written only by the message handlers (`messages.ts`); steps read it, and a step that
 * waits for an answer clears the answer it waits for before it waits.
 */
export interface OperatorInbox {
  /** The approval gate's answer (approve keeps going, reject rolls back), and the parent's relay that carried it. */
  decision?: { type: 'approve' | 'reject'; request: ApprovalRequest; relayId?: string };
  /** End the current bake now. */
  skipBake: boolean;
  /** Try a failed rollback again. */
  retryRollback: boolean;
}

/**
 * The endpoint as this rollout knows it. Written only by the rollback point (`rollback-point.ts`), config changes
 * (`endpoint-changes.ts`) and compensation (`compensation.ts`).
 */
export interface EndpointState {
  /** The config before this rollout touched the endpoint: what a rollback restores. */
  rollbackPoint?: EndpointSnapshot;
  /** What this rollout last set on the endpoint: anything else found there is someone else's change. */
  lastApplied?: EndpointConfig;
  /** The change in progress (it may or may not have landed when it failed). */
  attempted?: EndpointConfig;
  /**
   * Changes keep other models' served entities and their traffic (`patched('shared-endpoint-entities')`, decided
   * once before the first change by `endpoint-changes.ts`): rollouts started before it replay without it.
   */
  keepsOthers?: boolean;
  /** The endpoint's lease while this region holds it. */
  lease?: EndpointLease;
  /** A release member's new version as it rolls out; absent when the member serves it already (`release.ts`). */
  newVersion?: ServedEntity;
}

/** The region's activities, each with the timeouts and retries its kind of call needs. */
export interface RegionActivities {
  /** Short calls: reads, checks. */
  quick: ActivityProxy;
  /** The wait for Delta Sharing replication. */
  replication: ActivityProxy;
  /** Config changes (stage weights, promotion). */
  updates: ActivityProxy;
  /** Restoring the rollback point: retries for longer before it hands over to an operator. */
  rollbacks: ActivityProxy;
  /** Activities that run for a while (load tests, the canary judge, A/B): their timeout follows their duration. */
  longRunning(durationMs: number): ActivityProxy;
}

export interface RegionContext {
  readonly input: RegionRolloutInput;
  readonly target: RegionTarget;
  /** What the region reports: phase, stage, weight, checks, approvals. Published through `progress`. */
  readonly status: RegionStatus;
  readonly endpoint: EndpointState;
  readonly inbox: OperatorInbox;
  readonly activities: RegionActivities;
  readonly progress: Progress;
  /**
   * The endpoint lease and the external-change check (`patched('endpoint-lease-and-change-check')`): rollouts
   * started before them replay without them.
   */
  readonly guarded: boolean;
  /**
   * The region has the rollout's message key (its rollout started with keys): commands must carry it, and approvals
   * are linearised (the first decision for a stage wins; later ones are refused and recorded).
   */
  readonly keyed: boolean;
  /** Commands refused for want of the key, recorded in `status.refusedMessages`. */
  readonly refusals: MessageRefusals;
  /**
   * A release's other members in the region (`release.ts`): each a context of its own model, version, endpoint and
   * endpoint state, sharing this region's status, inbox, activities and progress. Empty without a release.
   */
  readonly companions: RegionContext[];
  /** In a member's context: its entry in the region's `status.release`, where its weight and state are shown. */
  readonly member?: ReleaseMemberStatus;
  /**
   * after_promotion: the endpoint's live minutes recorded before the first change, what the watch after promotion
   * judges against. Written only by `baseline.ts`.
   */
  readonly baseline: { minutes?: RecordedMinute[] };
}

/** A region's context at its start: nothing touched, nothing asked. */
export function createRegionContext(input: RegionRolloutInput): RegionContext {
  const { region } = input;
  const status: RegionStatus = {
    region: region.name,
    phase: 'pending',
    challengerWeight: 0,
    phaseSince: nowIso(),
    startedAt: nowIso(),
    paused: false,
    checks: [],
    approvals: [],
    timeline: [],
  };
  // Recorded before the first command, where the region workflow has always asked it.
  const guarded = wf.patched('endpoint-lease-and-change-check');
  const context: RegionContext = {
    input,
    target: { region: region.name, workspace: region.workspace, endpoint: region.endpoint },
    status,
    endpoint: {},
    inbox: { skipBake: false, retryRollback: false },
    activities: regionActivities(input),
    progress: createProgress(input, status),
    guarded,
    keyed: input.messageKey !== undefined,
    refusals: new MessageRefusals(status),
    baseline: {},
    companions: [],
  };
  if (input.release?.length) status.release = [];
  for (const member of input.release ?? []) context.companions.push(memberContext(context, member));
  return context;
}

/** A release member's context: its model, version and endpoint, with the region's status, inbox and progress. */
function memberContext(region: RegionContext, member: ReleaseMemberInput): RegionContext {
  const { input, status } = region;
  const shown: ReleaseMemberStatus = {
    name: member.name,
    model: member.model,
    version: member.version,
    endpoint: member.endpoint,
    state: 'pending',
    challengerWeight: 0,
  };
  status.release!.push(shown);
  return {
    ...region,
    input: {
      ...input,
      region: {
        ...input.region,
        endpoint: member.endpoint,
        served_entity: member.served_entity,
        replaces: member.replaces,
      },
      model: member.model,
      version: member.version,
      // The plan's tests are the lead model's; a member has its own health probe at most.
      tests: member.health ? { health: member.health } : {},
      edgeCases: [],
      release: undefined,
    },
    target: { ...region.target, endpoint: member.endpoint },
    endpoint: {},
    companions: [],
    member: shown,
  };
}

function regionActivities({ region, timeouts }: RegionRolloutInput): RegionActivities {
  const taskQueue = regionTaskQueue(region.name);
  const heartbeatTimeout = '30s';
  return {
    quick: wf.proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: '2m',
      heartbeatTimeout,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
    }),
    replication: wf.proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: timeouts.replication + MARGIN_MS,
      heartbeatTimeout,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    }),
    updates: wf.proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: timeouts.config_update + MARGIN_MS,
      heartbeatTimeout,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
    }),
    rollbacks: wf.proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: timeouts.config_update + MARGIN_MS,
      heartbeatTimeout,
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
    }),
    longRunning: (durationMs) =>
      wf.proxyActivities<Activities>({
        taskQueue,
        startToCloseTimeout: durationMs + MARGIN_MS,
        heartbeatTimeout,
        retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
      }),
  };
}
