/**
 * Every message a region accepts, registered in one place, and the state each may change:
 *
 * | message                              | from                    | may change                                    |
 * | ------------------------------------ | ----------------------- | --------------------------------------------- |
 * | `regionStatus` query                 | anyone                  | nothing                                       |
 * | `approve` update                     | an operator             | `inbox.decision`; `status.refusedApprovals`   |
 * | `reject` update                      | an operator             | `inbox.decision`                              |
 * | `regionCommand` approve / reject     | the parent (relayed)    | `inbox.decision`, only while awaiting one     |
 * | `regionCommand` pause / resume       | the parent (relayed)    | `status.paused`                               |
 * | `regionCommand` skip-bake            | the parent (relayed)    | `inbox.skipBake`                              |
 * | `regionCommand` retry-rollback       | the parent (relayed)    | `inbox.retryRollback`                         |
 *
 * The steps read what these write: the approval gate `inbox.decision`, a bake `inbox.skipBake`, compensation
 * `inbox.retryRollback`, every step boundary `status.paused`.
 */
import * as wf from '@temporalio/workflow';
import { approvalRefusal, recordedIdentity } from '../../shared/approvals';
import {
  approveUpdate,
  regionCommandSignal,
  regionStatusQuery,
  rejectUpdate,
  type RegionCommand,
} from '../../shared/messages';
import { carriesKey } from '../message-refusals';
import { decide, decisionRefusal, refuseApproval, takeRelayedDecision, validateApproval } from './approval';
import type { ApprovalRequest } from '../../shared/types';
import type { RegionContext } from './context';

type MessageContext = Pick<RegionContext, 'input' | 'status' | 'inbox' | 'progress' | 'keyed' | 'refusals'>;

export function registerRegionMessages(ctx: MessageContext): void {
  const { input, status, inbox } = ctx;
  wf.setHandler(regionStatusQuery, () => status, { description: 'Live status of this region' });
  const decideOrRefuse = (type: 'approve' | 'reject', request: ApprovalRequest) => {
    if (ctx.keyed) {
      request = { ...request, approver: recordedIdentity(request.approver) };
      const refusal = decisionRefusal(ctx, type, request);
      return refusal ? refuseApproval(ctx, request, refusal.why, refusal.failureType) : decide(ctx, type, request);
    }
    // Regions of rollouts from before message keys: as they always were.
    const why =
      type === 'approve'
        ? approvalRefusal(request.approver, input.approvers, `${input.rolloutId} in ${input.region.name}`)
        : undefined;
    return why === undefined ? decide(ctx, type, request) : refuseApproval(ctx, request, why);
  };
  wf.setHandler(approveUpdate, (request) => decideOrRefuse('approve', request), {
    validator: (request: ApprovalRequest) => validateApproval(ctx, request),
    description: 'Approve the stage awaiting approval: {"approver": "...", "reason": "..."}',
  });
  wf.setHandler(rejectUpdate, (request) => decideOrRefuse('reject', request), {
    validator: (request: ApprovalRequest) => validateApproval(ctx, request),
    description: 'Reject the stage awaiting approval (the region rolls back)',
  });
  wf.setHandler(regionCommandSignal, (command: RegionCommand, key) => {
    if (!carriesKey(input.messageKey, ctx.keyed, key))
      return ctx.refusals.record(
        'regionCommand',
        `a ${String(command?.type).slice(0, 32)} command not from ${input.rolloutId}`,
      );
    switch (command.type) {
      case 'approve':
      case 'reject':
        if (ctx.keyed) return takeRelayedDecision(ctx, command);
        if (status.phase === 'awaiting-approval') inbox.decision = { type: command.type, request: command.request };
        break;
      case 'pause':
        status.paused = true;
        break;
      case 'resume':
        status.paused = false;
        break;
      case 'skip-bake':
        inbox.skipBake = true;
        break;
      case 'retry-rollback':
        inbox.retryRollback = true;
        break;
    }
  });
}
