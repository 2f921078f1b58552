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
import { approvalRefusal } from '../../shared/approvals';
import {
  approveUpdate,
  regionCommandSignal,
  regionStatusQuery,
  rejectUpdate,
  type RegionCommand,
} from '../../shared/messages';
import { decide, refuseApproval, validateApproval } from './approval';
import type { ApprovalRequest } from '../../shared/types';
import type { RegionContext } from './context';

export function registerRegionMessages(ctx: Pick<RegionContext, 'input' | 'status' | 'inbox' | 'progress'>): void {
  const { input, status, inbox } = ctx;
  wf.setHandler(regionStatusQuery, () => status, { description: 'Live status of this region' });
  wf.setHandler(
    approveUpdate,
    (request) => {
      const why = approvalRefusal(request.approver, input.approvers, `${input.rolloutId} in ${input.region.name}`);
      return why === undefined ? decide(ctx, 'approve', request) : refuseApproval(ctx, request, why);
    },
    {
      validator: (request: ApprovalRequest) => validateApproval(ctx, request),
      description: 'Approve the stage awaiting approval: {"approver": "...", "reason": "..."}',
    },
  );
  wf.setHandler(rejectUpdate, (request) => decide(ctx, 'reject', request), {
    validator: (request: ApprovalRequest) => validateApproval(ctx, request),
    description: 'Reject the stage awaiting approval (the region rolls back)',
  });
  wf.setHandler(regionCommandSignal, (command: RegionCommand) => {
    switch (command.type) {
      case 'approve':
      case 'reject':
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
