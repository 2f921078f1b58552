/** Approval allow-lists (plan field approvals.allowed), shared by the rollout and region workflows. */

/** Why `approver` may not approve, or undefined when the plan's allow-list (if any) names them. */
export function approvalRefusal(approver: string, allowed: string[] | undefined, what: string): string | undefined {
  if (!allowed || allowed.includes(approver.trim())) return undefined;
  return `${approver.trim()} may not approve ${what}: the plan's approvals.allowed lists only ${allowed.join(', ')}`;
}
