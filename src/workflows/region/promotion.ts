/**
 * The end of a region that went well: promotion (the new version alone at the model's whole share, next to what the
 * rollout keeps on a shared endpoint), or nothing to do because the endpoint already served the version alone.
 * Changes the endpoint (through `endpoint-changes.ts`), `status.finishedAt`, and `status.challengerWeight` when
 * unchanged.
 */
import type { RegionReport, ServedEntity } from '../../shared/types';
import { nowIso } from '../time';
import { watchAfterPromotion } from './after-promotion';
import type { RegionContext } from './context';
import { whileUnpaused } from './pause';
import { setReleaseWeight } from './release';
import { regionReport } from './report';

export async function promote(ctx: RegionContext, newVersion: ServedEntity): Promise<RegionReport> {
  const { status, progress } = ctx;
  await whileUnpaused(ctx);
  await progress.setPhase('promoting');
  await setReleaseWeight(ctx, newVersion, 100, (version) => `promote v${version} to 100%`);
  // after_promotion: judged at 100% for the watch; a clear regression within its window throws (the region restores).
  if (ctx.input.afterPromotion) await watchAfterPromotion(ctx, newVersion);
  status.finishedAt = nowIso();
  await progress.setPhase('promoted');
  return regionReport(ctx, 'promoted');
}

export async function endUnchanged(ctx: RegionContext): Promise<RegionReport> {
  ctx.status.challengerWeight = 100;
  ctx.status.finishedAt = nowIso();
  await ctx.progress.setPhase('unchanged');
  return regionReport(ctx, 'unchanged');
}
