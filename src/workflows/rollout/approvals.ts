/**
 * Approvals sent to the rollout: relayed to the regions awaiting approval (each region's gate records the decision),
 * or refused, and recorded, when the plan's `approvals.allowed` does not name the approver. Changes the relayed
 * regions' phase (until their own progress arrives) and `status.refusedApprovals`.
 */
import * as wf from '@temporalio/workflow';
import { alreadyDecided, approvalRefusal as refusalByAllowList, recordedIdentity } from '../../shared/approvals';
import type { ApprovalAnswer, ApprovalRequest } from '../../shared/types';
import { nowIso } from '../time';
import { regionStatusOf, type RolloutContext } from './context';
import { awaitingApproval, relay, requireIdentity, requireRegion } from './operators';

type ApprovalContext = Pick<RolloutContext, 'plan' | 'rolloutId' | 'status' | 'keys' | 'reports'>;

/** How long an approval waits for the region to say what took effect before it answers "not confirmed". */
const CONFIRMATION_TIMEOUT = '5m';

/**
 * An approve or reject update's validator (and the signals' check): refuses, without a trace in history, a request
 * with no identity or for an unknown region. In a keyed rollout, a request that finds nothing awaiting approval is
 * the handler's to refuse (`nothingAwaits`), so that it is recorded.
 */
export function validateApproval(ctx: ApprovalContext, request: ApprovalRequest): void {
  requireIdentity(request);
  requireRegion(ctx, request.region);
  if (request.stage !== undefined && !ctx.plan.stages.some((s) => s.name === request.stage))
    throw new Error(
      `this rollout has no stage ${request.stage}; its stages are ${ctx.plan.stages.map((s) => s.name).join(', ')}`,
    );
  if (ctx.keys.keyed) return;
  const refusal = nothingAwaits(ctx, request);
  if (refusal) throw new Error(refusal.why);
}

/**
 * Why nothing can take this decision: no region (or not the one named) awaits approval. Said as "already decided"
 * when the region's last decision was for the stage it is in, which is what a second approver sees.
 */
export function nothingAwaits(
  ctx: ApprovalContext,
  request: ApprovalRequest,
): { why: string; failureType: string } | undefined {
  if (awaitingApproval(ctx, request.region, request.stage).length > 0) return undefined;
  const regions = ctx.status.regions.filter((r) => !request.region || r.region === request.region);
  const decided = regions.flatMap((r) => {
    // The stage asked about, else the one the region is in, else its last decision (it has moved on since).
    const first =
      r.approvals.find((a) => a.stage === (request.stage ?? r.stage)) ??
      (request.stage === undefined && r.phase !== 'awaiting-approval' ? r.approvals.at(-1) : undefined);
    return first ? [alreadyDecided(r.region, first.stage, first.decision, first.by)] : [];
  });
  if (decided.length) return { why: decided.join('; '), failureType: 'AlreadyDecided' };
  return {
    why: `nothing awaits approval${request.region ? ` in ${request.region}` : ''}${request.stage ? ` for stage ${request.stage}` : ''}: ${ctx.status.regions.map((r) => `${r.region} is ${r.phase}`).join(', ')}`,
    failureType: 'NotAwaitingApproval',
  };
}

/**
 * An approve or reject update: refused and recorded when nothing awaits it (keyed rollouts) or the allow-list does
 * not name the approver, otherwise relayed (`decide`).
 */
export function handleDecision(
  ctx: ApprovalContext,
  type: 'approve' | 'reject',
  request: ApprovalRequest,
): Promise<ApprovalAnswer> {
  // Keyed rollouts record each identity in its one spelling (" alice " is alice).
  if (ctx.keys.keyed) request = { ...request, approver: recordedIdentity(request.approver) };
  const refusal =
    (ctx.keys.keyed ? nothingAwaits(ctx, request) : undefined) ??
    (type === 'approve' ? allowListRefusal(ctx, request) : undefined);
  if (refusal === undefined) return decide(ctx, type, request);
  recordRefusal(ctx, request, refusal.why);
  return Promise.reject(wf.ApplicationFailure.nonRetryable(refusal.why, refusal.failureType));
}

function allowListRefusal(ctx: ApprovalContext, request: ApprovalRequest) {
  const why = approvalRefusal(ctx, request);
  return why === undefined ? undefined : { why, failureType: 'ApprovalRefused' };
}

/**
 * Relays the decision to each region awaiting approval. A keyed rollout then waits for each region's own record of
 * the stage's decision: the region takes the first decision for a stage and refuses (and records) any later one, so
 * the answer says where this decision took effect and where someone else's came first. When it took effect nowhere,
 * the update fails with `AlreadyDecided` (the CLI exits 7).
 */
export async function decide(
  ctx: ApprovalContext,
  type: 'approve' | 'reject',
  request: ApprovalRequest,
): Promise<ApprovalAnswer> {
  const decision = type === 'approve' ? 'approved' : 'rejected';
  const regions = awaitingApproval(ctx, request.region, request.stage);
  if (!ctx.keys.keyed) {
    // Rollouts from before: answered without waiting for the regions, as they always were.
    await relay(ctx, regions, { type, request });
    for (const r of regions) r.phase = type === 'approve' ? 'gating' : 'rolling-back';
    return { decision, regions: regions.map((r) => ({ region: r.region, stage: r.stage ?? '' })) };
  }
  const relays = regions.map((r) => ({ region: r.region, stage: r.stage ?? '', relayId: wf.uuid4() }));
  for (const { region, relayId } of relays) await relay(ctx, [regionStatusOf(ctx, region)], { type, request, relayId });
  const outcomes = await Promise.all(relays.map((r) => confirmation(ctx, r)));
  const answer: ApprovalAnswer = {
    decision,
    regions: outcomes.filter((o) => o.tookEffect).map(({ region, stage }) => ({ region, stage })),
  };
  const others = outcomes.filter((o) => !o.tookEffect);
  if (others.length)
    answer.alreadyDecided = others.map(({ region, stage, by, decision }) => ({ region, stage, by, decision }));
  if (answer.regions.length === 0)
    throw wf.ApplicationFailure.nonRetryable(
      others.map((o) => (o.why.startsWith(`${o.region}:`) ? o.why : `${o.region}: ${o.why}`)).join('; '),
      'AlreadyDecided',
      answer,
    );
  return answer;
}

interface Confirmation {
  region: string;
  stage: string;
  tookEffect: boolean;
  decision: string;
  by: string;
  why: string;
}

/** What the region recorded for one relayed decision: the decision it took, or its refusal. */
async function confirmation(
  ctx: ApprovalContext,
  relay: { region: string; stage: string; relayId: string },
): Promise<Confirmation> {
  const recorded = () => {
    const region = regionStatusOf(ctx, relay.region);
    const taken = region.approvals.find((a) => a.relayId === relay.relayId);
    if (taken) return { ...relay, tookEffect: true, decision: taken.decision, by: taken.by, why: '' };
    const refused = region.refusedApprovals?.find((a) => a.relayId === relay.relayId);
    if (refused) {
      const first = region.approvals.find((a) => a.stage === relay.stage);
      return {
        ...relay,
        tookEffect: false,
        decision: first?.decision ?? 'refused',
        by: first?.by ?? '',
        why: refused.why,
      };
    }
    return undefined;
  };
  if (await wf.condition(() => recorded() !== undefined || ctx.reports.has(relay.region), CONFIRMATION_TIMEOUT)) {
    const outcome = recorded();
    if (outcome) return outcome;
  }
  return {
    ...relay,
    tookEffect: false,
    decision: 'unconfirmed',
    by: '',
    why: `the region did not confirm the decision (it is ${regionStatusOf(ctx, relay.region).phase})`,
  };
}

/** Why the plan's approvals.allowed refuses this approver, if it does. */
export function approvalRefusal(ctx: ApprovalContext, request: ApprovalRequest): string | undefined {
  return refusalByAllowList(request.approver, ctx.plan.approvals?.allowed, ctx.rolloutId, ctx.keys.keyed);
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
