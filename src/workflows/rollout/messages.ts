/**
 * Every message the rollout accepts, registered in one place, and the state each may change:
 *
 * | message                        | from                  | may change                                              |
 * | ------------------------------ | --------------------- | ------------------------------------------------------- |
 * | `status` query                 | anyone                | nothing                                                 |
 * | `regionStatus` signal          | its region workflows  | that region's `status.regions` entry (newest revision)  |
 * | `approve` / `reject` update    | an operator           | relays to regions awaiting approval; their phase;       |
 * |                                |                       | `status.refusedApprovals`                               |
 * | `approve` / `reject` signal    | an operator           | the same, answering nothing                             |
 * | `pause` / `resume` update      | an operator           | `status.paused` (relayed to active regions)             |
 * | `skipBake` update              | an operator           | nothing here (relayed to baking regions)                |
 * | `retryRollback` update         | an operator           | `inbox.restoreRetries` (or relayed to running regions)  |
 * | `abort` update                 | an operator           | `inbox.stopRequest`; cancels `scope`                    |
 * | `supersede` signal             | a newer rollout       | `inbox.stopRequest`; cancels `scope`                    |
 */
import * as wf from '@temporalio/workflow';
import {
  abortUpdate,
  approveSignal,
  approveUpdate,
  pauseUpdate,
  regionStatusSignal,
  rejectSignal,
  rejectUpdate,
  resumeUpdate,
  messageKeyDigestQuery,
  retryRollbackUpdate,
  rolloutStatusQuery,
  rolloutTurnSignal,
  skipBakeUpdate,
  supersedeSignal,
  usesModelQueueQuery,
} from '../../shared/messages';
import type { ApprovalRequest, OperatorRequest } from '../../shared/types';
import { approvalRefusal, decide, handleDecision, recordRefusal, validateApproval } from './approvals';
import { carriesKey } from '../message-refusals';
import { setRegionStatus, type RolloutContext, type StopRequest } from './context';
import { activeRegions, bakingRegions, relay, requireIdentity, requireRegion } from './operators';

export function registerRolloutMessages(ctx: RolloutContext): void {
  const { status, reports } = ctx;
  wf.setHandler(rolloutStatusQuery, () => status, { description: 'Live status of the rollout and each region' });
  wf.setHandler(messageKeyDigestQuery, () => ctx.keys.digest, {
    description: "SHA-256 of the rollout's message key (the model queue checks arrivals with it)",
  });
  wf.setHandler(usesModelQueueQuery, () => ctx.keys.keyed, {
    description: "Whether the model's queue orders this rollout (false for rollouts from before it)",
  });
  wf.setHandler(regionStatusSignal, (update, key) => {
    if (!carriesKey(ctx.keys.key, ctx.keys.keyed, key))
      return ctx.refusals.record(
        'regionStatus',
        `not from this rollout's region workflows (${String(update?.region).slice(0, 64)})`,
      );
    // A final report is authoritative; late progress signals must not overwrite it.
    // Regions do not await their progress signals, so an older one can arrive after a newer one.
    const known = status.regions.find((r) => r.region === update.region)?.revision ?? 0;
    const stale = update.revision !== undefined && update.revision <= known;
    if (!reports.has(update.region) && !stale) setRegionStatus(ctx, update);
    ctx.details.render();
  });
  registerApprovals(ctx);
  registerControls(ctx);
  registerStops(ctx);
}

function notDone({ status }: Pick<RolloutContext, 'status'>): void {
  if (status.phase === 'done') throw new Error(`the rollout has finished (${status.outcome})`);
}

/** Pause, resume, skip a bake, retry a rollback. */
function registerControls(ctx: RolloutContext): void {
  const { status, reports, inbox } = ctx;
  wf.setHandler(
    pauseUpdate,
    async (request) => {
      status.paused = true;
      await relay(ctx, activeRegions(ctx), { type: 'pause', request });
      await ctx.details.setStatusAttribute('paused');
      return `paused by ${request.by}: regions finish their current step, then wait`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        notDone(ctx);
      },
      description: 'Pause before the next step',
    },
  );
  wf.setHandler(
    resumeUpdate,
    async (request) => {
      status.paused = false;
      await relay(ctx, activeRegions(ctx), { type: 'resume', request });
      await ctx.details.setStatusAttribute(status.phase);
      return `resumed by ${request.by}`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        notDone(ctx);
        if (!status.paused) throw new Error('the rollout is not paused');
      },
      description: 'Resume a paused rollout',
    },
  );
  wf.setHandler(
    skipBakeUpdate,
    async (request) => {
      const baking = bakingRegions(ctx, request.region);
      await relay(ctx, baking, { type: 'skip-bake', request });
      return `skipped the bake in ${baking.map((r) => `${r.region} (${r.stage})`).join(', ')}`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        requireRegion(ctx, r.region);
        if (bakingRegions(ctx, r.region).length === 0)
          throw new Error(`no region${r.region ? ` named ${r.region}` : ''} is baking`);
      },
      description: 'End the current bake early',
    },
  );
  wf.setHandler(
    retryRollbackUpdate,
    async (request) => {
      const failed = status.regions.filter(
        (r) => r.phase === 'rollback-failed' && (!request.region || r.region === request.region),
      );
      // A region whose child is still running retries its own rollback; a finished one is restored by this workflow.
      await relay(
        ctx,
        failed.filter((r) => !reports.has(r.region)),
        { type: 'retry-rollback', request },
      );
      for (const r of failed) if (reports.has(r.region)) inbox.restoreRetries.add(r.region);
      return `retrying the rollback in ${failed.map((r) => r.region).join(', ')}`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        if (!status.regions.some((x) => x.phase === 'rollback-failed' && (!r.region || x.region === r.region)))
          throw new Error('no region is waiting in rollback-failed');
      },
      description: 'Retry a rollback that failed',
    },
  );
}

/** Abort (an operator) and supersede (a newer rollout of the model): stop, and restore every touched region. */
function registerStops(ctx: RolloutContext): void {
  const { status, inbox } = ctx;
  wf.setHandler(
    abortUpdate,
    (request) => {
      inbox.stopRequest = { kind: 'aborted', by: request.by, reason: request.reason };
      ctx.scope.cancel();
      const touched = status.regions.filter((r) => r.phase !== 'pending' && r.phase !== 'skipped').length;
      return `aborting: restoring every touched region (${touched} started)`;
    },
    {
      validator: (r: OperatorRequest) => {
        requireIdentity(r);
        notDone(ctx);
      },
      description: 'Stop and restore every touched region',
    },
  );
  // Rollouts ordered by the model queue take a supersede only from it (rolloutTurn, with the key).
  wf.setHandler(supersedeSignal, ({ by }) => {
    if (ctx.keys.keyed) return ctx.refusals.record('supersede', 'a supersede comes from the model queue only');
    stop(ctx, { kind: 'superseded', by });
  });
  wf.setHandler(rolloutTurnSignal, (turn, key) => {
    if (!ctx.keys.keyed || !carriesKey(ctx.keys.key, true, key))
      return ctx.refusals.record('rolloutTurn', 'not from the model queue');
    inbox.turn = turn;
    if (turn.turn === 'superseded') stop(ctx, { kind: 'superseded', by: turn.by.join(', '), reason: turn.reason });
  });
}

/** Stops the waves (once): every touched region restores itself, and promoted ones are restored. */
function stop(ctx: RolloutContext, request: StopRequest): void {
  if (ctx.status.phase === 'done' || ctx.inbox.stopRequest) return;
  ctx.inbox.stopRequest = request;
  ctx.scope.cancel();
}

function registerApprovals(ctx: RolloutContext): void {
  wf.setHandler(approveUpdate, (request) => handleDecision(ctx, 'approve', request), {
    validator: (request: ApprovalRequest) => validateApproval(ctx, request),
    description: 'Approve regions awaiting approval: {"approver": "...", "reason": "...", "region"?: "..."}',
  });
  wf.setHandler(rejectUpdate, (request) => handleDecision(ctx, 'reject', request), {
    validator: (request: ApprovalRequest) => validateApproval(ctx, request),
    description: 'Reject regions awaiting approval; they roll back',
  });
  for (const [signal, type] of [
    [approveSignal, 'approve'],
    [rejectSignal, 'reject'],
  ] as const)
    wf.setHandler(signal, async (request) => {
      try {
        validateApproval(ctx, request);
      } catch (err) {
        wf.log.warn(`${type} signal ignored: ${(err as Error).message}`, { request });
        return;
      }
      if (!ctx.keys.keyed) {
        // Rollouts from before message keys: as they always were.
        const why = type === 'approve' ? approvalRefusal(ctx, request) : undefined;
        if (why !== undefined) return recordRefusal(ctx, request, why);
        return void (await decide(ctx, type, request));
      }
      // A signal has nobody to answer: a refusal is recorded (here or by the region), and logged.
      await handleDecision(ctx, type, request).catch((err: unknown) =>
        wf.log.warn(`${type} signal from ${request.approver} took effect nowhere: ${(err as Error).message}`),
      );
    });
}
