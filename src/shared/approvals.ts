/** Approval allow-lists (plan field approvals.allowed), shared by the rollout and region workflows. */
import { normalizeIdentity, sameIdentity } from './identity';

/**
 * Why `approver` may not approve, or undefined when the plan's allow-list (if any) names them. `normalized`
 * (rollouts with message keys): identities compare in their one spelling (src/shared/identity.ts), and one that
 * cannot be an identity is refused; rollouts from before compare trimmed, as they always did.
 */
export function approvalRefusal(
  approver: string,
  allowed: string[] | undefined,
  what: string,
  normalized = false,
): string | undefined {
  if (normalized) {
    const id = normalizeIdentity(approver);
    if (!id.ok) return `the approver's identity is refused: ${id.problem}`;
    if (!allowed || allowed.some((a) => sameIdentity(a, id.identity))) return undefined;
    return `${id.identity} may not approve ${what}: the plan's approvals.allowed lists only ${allowed.join(', ')}`;
  }
  if (!allowed || allowed.includes(approver.trim())) return undefined;
  return `${approver.trim()} may not approve ${what}: the plan's approvals.allowed lists only ${allowed.join(', ')}`;
}

/** The identity a decision is recorded under: its one spelling when it has one (keyed rollouts), else as sent. */
export function recordedIdentity(approver: string): string {
  const id = normalizeIdentity(approver);
  return id.ok ? id.identity : approver;
}

/** What a second decision for a stage is told: who decided it first, and how. */
export function alreadyDecided(region: string, stage: string | undefined, decision: string, by: string): string {
  return `${region}: stage ${stage} was already ${decision} by ${by}`;
}
