/**
 * Every message a rollout understands, and its search attributes, in one module shared by workflows and clients.
 * Operators talk to the parent (`rollout-<model>-v<N>`); it relays to the region children. The children accept the
 * same approve/reject updates directly, so `temporal workflow update execute` works on either.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  OperatorRequest,
  RefusedMessages,
  RegionStatus,
  RolloutStatus,
} from './types';
import type { HoldRequest, WatcherStatus } from './watch';

// Operator -> rollout (parent) or region (child).
export const approveUpdate = defineUpdate<ApprovalAnswer, [ApprovalRequest]>('approve');
export const rejectUpdate = defineUpdate<ApprovalAnswer, [ApprovalRequest]>('reject');
export const pauseUpdate = defineUpdate<string, [OperatorRequest]>('pause');
export const resumeUpdate = defineUpdate<string, [OperatorRequest]>('resume');
export const abortUpdate = defineUpdate<string, [OperatorRequest]>('abort');
export const skipBakeUpdate = defineUpdate<string, [OperatorRequest]>('skipBake');
/** After a rollback failed: try it again (the region waits in `rollback-failed` until then). */
export const retryRollbackUpdate = defineUpdate<string, [OperatorRequest]>('retryRollback');

/**
 * The same decisions as signals, for callers that cannot wait for an answer (`temporal workflow signal`). A signal
 * that nothing can apply to is recorded in the workflow's log and ignored; prefer the updates, which answer.
 */
export const approveSignal = defineSignal<[ApprovalRequest]>('approve');
export const rejectSignal = defineSignal<[ApprovalRequest]>('reject');

/*
 * Internal messages, between our own workflows. Each carries the rollout's message key (a random secret made when the
 * rollout starts, kept in its history and its children's input, never in a query's answer): a receiver refuses, and
 * records, any message without it. Rollouts started before the keys existed send none and accept keyless messages.
 */

// Parent -> child relays, and child -> parent progress.
export const regionCommandSignal = defineSignal<[RegionCommand, MessageKey?]>('regionCommand');
export const regionStatusSignal = defineSignal<[RegionStatus, MessageKey?]>('regionStatus');
/**
 * A newer rollout of the same model replaces this one (on_concurrent_rollout: supersede). Sent keyless by rollouts
 * from before the model queue; rollouts with a message key take a supersede only from the queue (rolloutTurnSignal).
 */
export const supersedeSignal = defineSignal<[{ by: string }]>('supersede');

/** To the endpoint lease (a child workflow holding one endpoint for one rollout): the holder is done with it. */
export const releaseLeaseSignal = defineSignal<[MessageKey?]>('releaseLease');
/** Who holds an endpoint lease, and the release messages it refused. */
export const endpointLeaseQuery = defineQuery<{ holder: string; refusedMessages?: RefusedMessages }>('lease');

/** The model queue (rolloutQueueWorkflow): a rollout arrives (through signalWithStart, from an activity) or leaves. */
export const enqueueRolloutSignal = defineSignal<[QueueEntry]>('enqueueRollout');
export const leaveQueueSignal = defineSignal<[{ rolloutId: string; key: MessageKey }]>('leaveQueue');
/** The model queue -> a rollout: its turn (proceed), or why it may not (refused, superseded), or whom it waits for. */
export const rolloutTurnSignal = defineSignal<[RolloutTurn, MessageKey]>('rolloutTurn');
/**
 * The SHA-256 of the rollout's message key, hex: lets the queue check that an arrival really comes from the rollout
 * it names (its activity compares it with the digest of the key the arrival carries). Revealing it reveals no key.
 */
export const messageKeyDigestQuery = defineQuery<string | undefined>('messageKeyDigest');
/** Whether the rollout is ordered by its model's queue (false for rollouts started before the queue existed). */
export const usesModelQueueQuery = defineQuery<boolean>('usesModelQueue');
/** What the model queue holds: the rollouts in order (without their keys), and the refused messages. */
export const modelQueueQuery = defineQuery<ModelQueueStatus>('queue');

export const rolloutStatusQuery = defineQuery<RolloutStatus>('status');
export const regionStatusQuery = defineQuery<RegionStatus>('regionStatus');

/** The rollout's message key (base64 of 32 random bytes). */
export type MessageKey = string;

/** A rollout arriving in its model's queue. */
export interface QueueEntry {
  rolloutId: string;
  model: string;
  version: number;
  policy: 'queue' | 'supersede' | 'refuse';
  key: MessageKey;
}

export interface ModelQueueStatus {
  model: string;
  /** In arrival order; the first one proceeds, the others wait for it (or are stopping, superseded). */
  rollouts: { rolloutId: string; version: number; policy: QueueEntry['policy']; told?: string; outsideQueue?: true }[];
  refusedMessages: RefusedMessages;
}

export type RolloutTurn =
  | { turn: 'proceed' }
  | { turn: 'wait'; behind: string[] }
  /** `reason`: said after "superseded by X" when it adds something (a newer version is running). */
  | { turn: 'refused' | 'superseded'; by: string[]; reason?: string };

export type RegionCommand =
  /** `relayId`: the parent's id for this relay, recorded with the decision it led to (or its refusal). */
  | { type: 'approve' | 'reject'; request: ApprovalRequest; relayId?: string }
  | { type: 'pause' | 'resume' | 'skip-bake' | 'retry-rollback'; request: OperatorRequest };

export const RolloutModel = defineSearchAttributeKey('RolloutModel', SearchAttributeType.KEYWORD);
export const RolloutVersion = defineSearchAttributeKey('RolloutVersion', SearchAttributeType.INT);
export const RolloutStatusAttribute = defineSearchAttributeKey('RolloutStatus', SearchAttributeType.KEYWORD);
export const RolloutRegions = defineSearchAttributeKey('RolloutRegions', SearchAttributeType.KEYWORD_LIST);
/** A watcher's state for the UI's search box: watching, paused, held at vN. */
export const WatcherStateAttribute = defineSearchAttributeKey('WatcherState', SearchAttributeType.KEYWORD);
export const ROLLOUT_SEARCH_ATTRIBUTES = [
  RolloutModel,
  RolloutVersion,
  RolloutStatusAttribute,
  RolloutRegions,
  WatcherStateAttribute,
];

/*
 * The watcher (`rollout watch`, src/workflows/watcher/): operators pause, resume, hold and release it through updates
 * (the same names work with `temporal workflow update execute`), and ask what it saw and started.
 */
export const watcherPauseUpdate = defineUpdate<string, [OperatorRequest]>('pause');
export const watcherResumeUpdate = defineUpdate<string, [OperatorRequest]>('resume');
/** Nothing newer than the version is rolled out until `release`; recorded with who and why. */
export const holdUpdate = defineUpdate<string, [HoldRequest]>('hold');
export const releaseUpdate = defineUpdate<string, [OperatorRequest]>('release');
export const watcherStatusQuery = defineQuery<WatcherStatus>('watcherStatus');

/** One watcher per plan: a second `rollout watch` of the same plan attaches to it. */
export function watcherWorkflowId(model: string, planName: string): string {
  return `rollout-watch/${model}/${planName}`;
}

/** One rollout per model version: a second trigger attaches to the running one. */
export function rolloutWorkflowId(model: string, version: number): string {
  return `rollout-${model}-v${version}`;
}

/** The version in a rollout's workflow id (`rolloutWorkflowId`'s inverse); 0 for an id of another form. */
export function versionOfRolloutId(rolloutId: string): number {
  return Number(/-v(\d+)$/.exec(rolloutId)?.[1] ?? 0);
}

export function regionWorkflowId(rolloutId: string, region: string): string {
  return `${rolloutId}/${region}`;
}

/**
 * The endpoint lease: at most one workflow with this id runs at a time (Temporal guarantees it), so holding it means
 * no other rollout changes the endpoint. One per region and endpoint name.
 */
export function endpointLeaseWorkflowId(region: string, endpoint: string): string {
  return `endpoint-lease/${region}/${endpoint}`;
}

/** One queue per model orders its rollouts (src/workflows/model-queue.ts). */
export function modelQueueWorkflowId(model: string): string {
  return `rollout-queue/${model}`;
}
