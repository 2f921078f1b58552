/**
 * The approval gate: the region waits in `awaiting-approval` until a person approves or rejects the stage, or the
 * plan's approval timeout passes. The gate clears `inbox.decision` and reads it; the answers are written by the
 * message handlers (`messages.ts`) through `decide` and `refuseApproval` below. Changes `status.approvals` and
 * `status.refusedApprovals`.
 */
import * as wf from '@temporalio/workflow';
import type { ApprovalAnswer, ApprovalRequest } from '../../shared/types';
import { nowIso } from '../time';
import type { RegionContext } from './context';

type GateContext = Pick<RegionContext, 'input' | 'status' | 'inbox' | 'progress'>;

export async function approvalGate({ input, status, inbox, progress }: GateContext, stage: string): Promise<void> {
  inbox.decision = undefined;
  await progress.setPhase('awaiting-approval', stage);
  const answered = await wf.condition(() => inbox.decision !== undefined, input.timeouts.approval);
  if (!answered) {
    status.approvals.push({ stage, decision: 'timed-out', by: 'timeout', at: nowIso() });
    throw wf.ApplicationFailure.nonRetryable(
      `no approval for stage ${stage} within the approval timeout`,
      'ApprovalTimeout',
    );
  }
  const { type, request } = inbox.decision!;
  status.approvals.push({
    stage,
    decision: type === 'approve' ? 'approved' : 'rejected',
    by: request.approver,
    reason: request.reason,
    at: nowIso(),
  });
  // Publishing here, before the phase moves on, let a parent see "awaiting-approval" again and accept a second
  // approval; the next phase is published anyway. Histories from before keep their publish.
  if (!wf.patched('approval-publishes-next-phase')) await progress.publish();
  if (type === 'reject')
    throw wf.ApplicationFailure.nonRetryable(
      `stage ${stage} rejected by ${request.approver}${request.reason ? `: ${request.reason}` : ''}`,
      'Rejected',
    );
}

/** An approve or reject update's validator: refuses (without a trace in history) what cannot apply now. */
export function validateApproval({ input, status, inbox }: GateContext, request: ApprovalRequest): void {
  const region = input.region.name;
  if (!request?.approver?.trim())
    throw new Error('an approver identity is required (--as, GITHUB_ACTOR or the OS user)');
  if (request.region && request.region !== region)
    throw new Error(`this is the ${region} rollout, not ${request.region}`);
  if (status.phase === 'awaiting-approval' && inbox.decision !== undefined)
    throw new Error(
      `${region}: stage ${status.stage} was already ${inbox.decision.type === 'approve' ? 'approved' : 'rejected'} by ${inbox.decision.request.approver}`,
    );
  if (status.phase !== 'awaiting-approval')
    throw new Error(
      `${region} is not awaiting approval (it is ${status.phase}${status.stage ? ` in stage ${status.stage}` : ''})`,
    );
}

/** Records the answer the gate waits for. */
export function decide(
  { input, status, inbox }: GateContext,
  type: 'approve' | 'reject',
  request: ApprovalRequest,
): ApprovalAnswer {
  inbox.decision = { type, request };
  return {
    decision: type === 'approve' ? 'approved' : 'rejected',
    regions: [{ region: input.region.name, stage: status.stage ?? '' }],
  };
}

/** Not in the plan's approvals.allowed: recorded in the status (and the update's events), answered with why. */
export async function refuseApproval(
  { input, status, progress }: GateContext,
  request: ApprovalRequest,
  why: string,
): Promise<ApprovalAnswer> {
  status.refusedApprovals = [
    ...(status.refusedApprovals ?? []),
    { by: request.approver, reason: request.reason, region: input.region.name, stage: status.stage, at: nowIso(), why },
  ];
  await progress.publish();
  throw wf.ApplicationFailure.nonRetryable(why, 'ApprovalRefused');
}
