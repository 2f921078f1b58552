/** The operator's pause, and a stage's bake: durable waits that only operators shorten. Change nothing but the phase. */
import * as wf from '@temporalio/workflow';
import type { PlanStage } from '../../plan/schema';
import type { RegionContext } from './context';

/** Returns once the region is not paused (regions finish their current step, then wait here). */
export async function whileUnpaused({ status }: Pick<RegionContext, 'status'>): Promise<void> {
  await wf.condition(() => !status.paused);
}

/** The stage's bake: a durable timer that `skipBake` ends early. Clears `inbox.skipBake` before it starts. */
export async function bake(
  { status, inbox, progress }: Pick<RegionContext, 'status' | 'inbox' | 'progress'>,
  stage: PlanStage,
): Promise<void> {
  inbox.skipBake = false;
  await progress.setPhase('baking', stage.name);
  await wf.condition(() => inbox.skipBake, stage.bake);
  await whileUnpaused({ status });
}
