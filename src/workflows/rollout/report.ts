/**
 * The rollout's end: regions it never reached are reported as skipped, the outcome follows from every region's
 * report, and the report is returned. Changes `reports` (skipped regions), `status.phase`, `outcome` and `error`.
 */
import * as wf from '@temporalio/workflow';
import { rolloutFailureMessage, rolloutFailureType } from '../../shared/rollout-failure';
import type { RegionReport, RolloutOutcome, RolloutReport } from '../../shared/types';
import { recordRolloutVerdict } from '../metrics';
import { nowIso } from '../time';
import { setRegionStatus, type RolloutContext, type StopRequest } from './context';
import type { PreflightStop } from './preflight';

/** The outcome of a rollout that got past pre-flight, from its regions' reports. */
export function outcomeOf(regions: RegionReport[], stopRequest: StopRequest | undefined): RolloutOutcome {
  const good = regions.filter((r) => r.outcome === 'promoted' || r.outcome === 'unchanged').length;
  if (stopRequest) return stopRequest.kind;
  if (good === regions.length) return 'succeeded';
  if (good === 0) return regions.some((r) => r.outcome === 'rolled-back') ? 'rolled-back' : 'failed';
  return 'partially-failed';
}

export async function finishRollout(ctx: RolloutContext, preflightStop?: PreflightStop): Promise<RolloutReport> {
  const { plan, status, reports, inbox } = ctx;
  reportUnreachedRegions(ctx);
  const all = plan.regions.map((r) => reports.get(r.name)!);
  const outcome = preflightStop?.outcome ?? outcomeOf(all, inbox.stopRequest);
  const stop = inbox.stopRequest;
  status.phase = 'done';
  status.outcome = outcome;
  status.error =
    preflightStop?.error ??
    (stop ? `${stop.kind} by ${stop.by}${stop.reason ? `: ${stop.reason}` : ''}` : undefined) ??
    all.find((r) => r.error)?.error;
  await ctx.details.setStatusAttribute(outcome);
  recordRolloutVerdict(outcome);
  return { ...status, outcome, finishedAt: nowIso(), regions: all };
}

/** Regions the rollout never started are skipped; one that never reported an end is untouched. */
function reportUnreachedRegions(ctx: RolloutContext): void {
  for (const r of ctx.status.regions)
    if (!ctx.reports.has(r.region)) {
      const skipped: RegionReport = {
        ...r,
        phase: r.phase === 'pending' ? 'skipped' : r.phase,
        outcome: r.phase === 'pending' ? 'skipped' : 'untouched',
      };
      ctx.reports.set(r.region, skipped);
      setRegionStatus(ctx, skipped);
    }
}

/**
 * The rollout's end: its report when it succeeded; otherwise a failed workflow whose short, typed failure carries the
 * report (src/shared/rollout-failure.ts), so the Temporal UI's list shows the truth. Rollouts started before this
 * complete with their report whatever the outcome, and replay that way.
 */
export function endRollout(report: RolloutReport): RolloutReport {
  if (report.outcome === 'succeeded' || !wf.patched('unsuccessful-rollout-fails')) return report;
  const failure = wf.ApplicationFailure.create({
    message: rolloutFailureMessage(report),
    type: rolloutFailureType(report.outcome),
    nonRetryable: true,
    details: [report],
  });
  // A sentence, not a stack of the workflow bundle's source paths.
  failure.stack = '';
  throw failure;
}
