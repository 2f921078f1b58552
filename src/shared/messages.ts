/**
 * Every message a rollout understands, and its search attributes, in one module shared by workflows and clients.
 * Operators talk to the parent (`rollout-<model>-v<N>`); it relays to the region children. The children accept the
 * same approve/reject updates directly, so `temporal workflow update execute` works on either.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalAnswer, ApprovalRequest, OperatorRequest, RegionStatus, RolloutStatus } from './types';

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

// Parent -> child relays, and child -> parent progress.
export const regionCommandSignal = defineSignal<[RegionCommand]>('regionCommand');
export const regionStatusSignal = defineSignal<[RegionStatus]>('regionStatus');
/** A newer rollout of the same model replaces this one (on_concurrent_rollout: supersede). */
export const supersedeSignal = defineSignal<[{ by: string }]>('supersede');

/** To the endpoint lease (a child workflow holding one endpoint for one rollout): the holder is done with it. */
export const releaseLeaseSignal = defineSignal('releaseLease');

export const rolloutStatusQuery = defineQuery<RolloutStatus>('status');
export const regionStatusQuery = defineQuery<RegionStatus>('regionStatus');

export type RegionCommand =
  | { type: 'approve' | 'reject'; request: ApprovalRequest }
  | { type: 'pause' | 'resume' | 'skip-bake' | 'retry-rollback'; request: OperatorRequest };

export const RolloutModel = defineSearchAttributeKey('RolloutModel', SearchAttributeType.KEYWORD);
export const RolloutVersion = defineSearchAttributeKey('RolloutVersion', SearchAttributeType.INT);
export const RolloutStatusAttribute = defineSearchAttributeKey('RolloutStatus', SearchAttributeType.KEYWORD);
export const RolloutRegions = defineSearchAttributeKey('RolloutRegions', SearchAttributeType.KEYWORD_LIST);
export const ROLLOUT_SEARCH_ATTRIBUTES = [RolloutModel, RolloutVersion, RolloutStatusAttribute, RolloutRegions];

/** One rollout per model version: a second trigger attaches to the running one. */
export function rolloutWorkflowId(model: string, version: number): string {
  return `rollout-${model}-v${version}`;
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
