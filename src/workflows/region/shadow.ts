/**
 * The new version joins the endpoint, and the shadow check: with `tests.shadow`, the new version first serves at 0%,
 * is compared with the current one on every probe input, and only then takes the first stage's traffic. Changes the
 * endpoint (through `endpoint-changes.ts`) and `status.checks`.
 */
import type { ServedEntity } from '../../shared/types';
import { checksMustPass } from './checks';
import type { RegionContext } from './context';
import { whileUnpaused } from './pause';
import { setReleaseWeight } from './release';

const hasShadowCheck = ({ input }: Pick<RegionContext, 'input'>) => input.tests.shadow !== undefined;

/** Serves the new version next to the current one: at the first stage's weight, or at 0% for a shadow check. */
export async function addNewVersion(ctx: RegionContext, newVersion: ServedEntity): Promise<void> {
  const first = ctx.input.stages[0];
  const shadow = hasShadowCheck(ctx);
  const weight = shadow ? 0 : first.traffic;
  await ctx.progress.setPhase('updating', first.name);
  await setReleaseWeight(
    ctx,
    newVersion,
    weight,
    (version) => `add v${version} at ${weight}%${shadow ? ' (shadow)' : ''}`,
  );
}

/** With a shadow check: compare both versions at 0%, then shift the new version to the first stage's weight. */
export async function runShadowCheck(ctx: RegionContext, newVersion: ServedEntity): Promise<void> {
  if (!hasShadowCheck(ctx)) return;
  const first = ctx.input.stages[0];
  await ctx.progress.setPhase('shadow-testing');
  await checksMustPass(ctx, ['shadow']);
  await whileUnpaused(ctx);
  await ctx.progress.setPhase('updating', first.name);
  await setReleaseWeight(ctx, newVersion, first.traffic, (version) => `shift v${version} to ${first.traffic}%`);
}
