/**
 * The stage walk: for each of the plan's stages, its traffic weight, then what measures it during its bake (the
 * canary judge, an A/B test, or a plain bake), its gate checks and its approval. Changes nothing itself: each step
 * it calls says what it changes.
 */
import type { PlanStage } from '../../plan/schema';
import type { ServedEntity } from '../../shared/types';
import { runAbStage, type AbSettings } from './ab';
import { approvalGate } from './approval';
import { judgedStage, runCanaryStage } from './canary';
import { checksMustPass, testSuites } from './checks';
import type { RegionContext } from './context';
import { runCompanionHealth, setReleaseWeight } from './release';
import { bake, whileUnpaused } from './pause';

/** Health and edge cases, as soon as the new version serves. */
export async function runTestSuites(ctx: RegionContext): Promise<void> {
  const suites = testSuites(ctx);
  const membersProbed = ctx.companions.some((member) => member.endpoint.newVersion && member.input.tests.health);
  if (!suites.length && !membersProbed) return;
  await ctx.progress.setPhase('testing');
  await checksMustPass(ctx, suites);
  await runCompanionHealth(ctx);
}

export async function walkStages(ctx: RegionContext, newVersion: ServedEntity): Promise<void> {
  for (const [index, stage] of ctx.input.stages.entries()) {
    await whileUnpaused(ctx);
    // The first stage's weight was set when the new version joined.
    if (index > 0) {
      await ctx.progress.setPhase('updating', stage.name);
      await setReleaseWeight(ctx, newVersion, stage.traffic, (version) => `shift v${version} to ${stage.traffic}%`);
    }
    const personDecides = await measure(ctx, stage, newVersion);
    const gates = stage.gate.filter((check) => check !== 'canary');
    if (gates.length) {
      await ctx.progress.setPhase('gating', stage.name);
      await checksMustPass(ctx, gates, stage.name);
    }
    if (stage.approval || personDecides) await approvalGate(ctx, stage.name);
  }
}

/**
 * The stage's bake, with what measures the new version during it. Returns whether a person decides: picks the A/B
 * winner, or judges a canary left undecided at its deadline.
 */
async function measure(ctx: RegionContext, stage: PlanStage, newVersion: ServedEntity): Promise<boolean> {
  if (judgedStage(stage, ctx.input.tests)) return runCanaryStage(ctx, stage, newVersion);
  if (stage.ab) return runAbStage(ctx, stage as PlanStage & { ab: AbSettings });
  if (stage.bake > 0) await bake(ctx, stage);
  return false;
}
