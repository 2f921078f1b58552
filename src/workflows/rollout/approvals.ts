/**
 * Approvals sent to the rollout: relayed to the regions awaiting approval (each region's gate records the decision),
 * or refused, and recorded, when the plan's `approvals.allowed` does not name the approver. Changes the relayed
 * regions' phase (until their own progress arrives) and `status.refusedApprovals`.
 */
import * as wf from '@temporalio/workflow';
import { approvalRefusal as refusalByAllowList } from '../../shared/approvals';
import type { ApprovalAnswer, ApprovalRequest } from '../../shared/types';
import { nowIso } from '../time';
import type { RolloutContext } from './context';
import { awaitingApproval, relay, requireIdentity, requireRegion } from './operators';

type ApprovalContext = Pick<RolloutContext, 'plan' | 'rolloutId' | 'status'>;

export function validateApproval(ctx: ApprovalContext, request: ApprovalRequest): void {
  requireIdentity(request);
  requireRegion(ctx, request.region);
  if (awaitingApproval(ctx, request.region).length === 0)
    throw new Error(
      `nothing awaits approval${request.region ? ` in ${request.region}` : ''}: ${ctx.status.regions.map((r) => `${r.region} is ${r.phase}`).join(', ')}`,
    );
}

export async function decide(
  ctx: ApprovalContext,
  type: 'approve' | 'reject',
  request: ApprovalRequest,
): Promise<ApprovalAnswer> {
  const regions = awaitingApproval(ctx, request.region);
  await relay(ctx, regions, { type, request });
  for (const r of regions) r.phase = type === 'approve' ? 'gating' : 'rolling-back';
  return {
    decision: type === 'approve' ? 'approved' : 'rejected',
    regions: regions.map((r) => ({ region: r.region, stage: r.stage ?? '' })),
  };
}

/** Why the plan's approvals.allowed refuses this approver, if it does. */
export function approvalRefusal(ctx: ApprovalContext, request: ApprovalRequest): string | undefined {
  return refusalByAllowList(request.approver, ctx.plan.approvals?.allowed, ctx.rolloutId);
}

/**
 * An approval from an identity the plan's approvals.allowed does not list: recorded (status.refusedApprovals, and
 * the update's own events in history) and answered with the reason. Refused in the handler, not the validator,
 * because a validator's rejection leaves no trace in history.
 */
export function recordRefusal({ status }: ApprovalContext, request: ApprovalRequest, why: string): void {
  status.refusedApprovals = [
    ...(status.refusedApprovals ?? []),
    { by: request.approver, reason: request.reason, region: request.region, at: nowIso(), why },
  ];
  wf.log.warn(`approval refused: ${why}`, { approver: request.approver, region: request.region });
}
