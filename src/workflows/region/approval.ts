/**
 * The approval gate: the region waits in `awaiting-approval` until a person approves or rejects the stage, or the
 * plan's approval timeout passes. The gate clears `inbox.decision` and reads it; the answers are written by the
 * message handlers (`messages.ts`) through `decide` and `refuseApproval` below. Changes `status.approvals` and
 * `status.refusedApprovals`.
 */
import * as wf from '@temporalio/workflow';
import { alreadyDecided, approvalRefusal } from '../../shared/approvals';
import type { ApprovalAnswer, ApprovalRequest } from '../../shared/types';
import { recordApproval } from '../metrics';
import { nowIso, nowMs } from '../time';
import type { RegionContext } from './context';

type GateContext = Pick<RegionContext, 'input' | 'status' | 'inbox' | 'progress' | 'keyed'>;

export async function approvalGate({ input, status, inbox, progress }: GateContext, stage: string): Promise<void> {
  inbox.decision = undefined;
  await progress.setPhase('awaiting-approval', stage);
  const waitingSinceMs = nowMs();
  const answered = await wf.condition(() => inbox.decision !== undefined, input.timeouts.approval);
  if (!answered) {
    status.approvals.push({ stage, decision: 'timed-out', by: 'timeout', at: nowIso() });
    recordApproval(input.region.name, 'timed-out', waitingSinceMs);
    throw wf.ApplicationFailure.nonRetryable(
      `no approval for stage ${stage} within the approval timeout`,
      'ApprovalTimeout',
    );
  }
  const { type, request, relayId } = inbox.decision!;
  status.approvals.push({
    stage,
    decision: type === 'approve' ? 'approved' : 'rejected',
    by: request.approver,
    reason: request.reason,
    at: nowIso(),
    ...(relayId !== undefined ? { relayId } : {}),
  });
  recordApproval(input.region.name, type === 'approve' ? 'approved' : 'rejected', waitingSinceMs);
  // Publishing here, before the phase moves on, let a parent see "awaiting-approval" again and accept a second
  // approval; the next phase is published anyway. Histories from before keep their publish.
  if (!wf.patched('approval-publishes-next-phase')) await progress.publish();
  if (type === 'reject')
    throw wf.ApplicationFailure.nonRetryable(
      `stage ${stage} rejected by ${request.approver}${request.reason ? `: ${request.reason}` : ''}`,
      'Rejected',
    );
}

/**
 * An approve or reject update's validator: refuses (without a trace in history) what cannot apply to this region.
 * In a keyed region, whether a decision can apply now is the handler's to say (`decisionRefusal`), so that a late
 * or second decision is recorded.
 */
export function validateApproval({ input, status, inbox, keyed }: GateContext, request: ApprovalRequest): void {
  const region = input.region.name;
  if (!request?.approver?.trim())
    throw new Error('an approver identity is required (--as, GITHUB_ACTOR or the OS user)');
  if (request.region && request.region !== region)
    throw new Error(`this is the ${region} rollout, not ${request.region}`);
  if (keyed) return;
  if (status.phase === 'awaiting-approval' && inbox.decision !== undefined)
    throw new Error(
      alreadyDecided(
        region,
        status.stage,
        inbox.decision.type === 'approve' ? 'approved' : 'rejected',
        inbox.decision.request.approver,
      ),
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

/**
 * Why a decision cannot take effect now, in a keyed region, with the failure type its answer carries: the stage was
 * decided already (the first decision wins), the region is not awaiting approval, or the plan's approvals.allowed
 * does not name the approver. Undefined when it takes effect.
 */
export function decisionRefusal(
  { input, status, inbox }: GateContext,
  type: 'approve' | 'reject',
  request: ApprovalRequest,
): { why: string; failureType: string } | undefined {
  const region = input.region.name;
  const stage = request.stage ?? status.stage;
  const last = status.approvals.at(-1);
  const decided =
    inbox.decision && stage === status.stage
      ? { decision: inbox.decision.type === 'approve' ? 'approved' : 'rejected', by: inbox.decision.request.approver }
      : (status.approvals.find((a) => a.stage === stage) ??
        // Asked of no stage in particular, by a region that has moved on: its last decision is the answer.
        (request.stage === undefined && status.phase !== 'awaiting-approval' ? last : undefined));
  if (decided)
    return {
      why: alreadyDecided(region, 'stage' in decided ? decided.stage : stage, decided.decision, decided.by),
      failureType: 'AlreadyDecided',
    };
  if (status.phase !== 'awaiting-approval' || stage !== status.stage)
    return {
      why: `${region} is not awaiting approval${request.stage ? ` of stage ${request.stage}` : ''} (it is ${status.phase}${status.stage ? ` in stage ${status.stage}` : ''})`,
      failureType: 'NotAwaitingApproval',
    };
  const notAllowed =
    type === 'approve'
      ? approvalRefusal(request.approver, input.approvers, `${input.rolloutId} in ${region}`, true)
      : undefined;
  return notAllowed === undefined ? undefined : { why: notAllowed, failureType: 'ApprovalRefused' };
}

/** Records a decision that did not take effect (in the status, and the update's events), and publishes it. */
export async function recordRefusedDecision(
  { input, status, progress }: GateContext,
  request: ApprovalRequest,
  why: string,
  relayId?: string,
): Promise<void> {
  status.refusedApprovals = [
    ...(status.refusedApprovals ?? []),
    {
      by: request.approver,
      reason: request.reason,
      region: input.region.name,
      stage: request.stage ?? status.stage,
      at: nowIso(),
      why,
      ...(relayId !== undefined ? { relayId } : {}),
    },
  ];
  await progress.publish();
}

/** Refuses an approve or reject update: recorded, then answered with why (the CLI exits 7). */
export async function refuseApproval(
  ctx: GateContext,
  request: ApprovalRequest,
  why: string,
  failureType = 'ApprovalRefused',
): Promise<ApprovalAnswer> {
  await recordRefusedDecision(ctx, request, why);
  throw wf.ApplicationFailure.nonRetryable(why, failureType);
}

/** A decision relayed by the parent, in a keyed region: it takes effect, or is refused and recorded with its relay. */
export async function takeRelayedDecision(
  ctx: GateContext,
  command: { type: 'approve' | 'reject'; request: ApprovalRequest; relayId?: string },
): Promise<void> {
  const refusal = decisionRefusal(ctx, command.type, command.request);
  if (refusal) return recordRefusedDecision(ctx, command.request, refusal.why, command.relayId);
  ctx.inbox.decision = { type: command.type, request: command.request, relayId: command.relayId };
}
