/**
 * Whether a plan judges users' live traffic anywhere (a canary gate with the `live` source, or an A/B stage decided on
 * live traffic): what an AI Gateway fallback hides from the judge. Pure, for pre-flight in the workflow.
 */
import type { Plan } from './schema';

export function liveJudgedStages(plan: Pick<Plan, 'stages' | 'tests'>): string[] {
  const canaryLive = plan.tests.canary?.sources?.includes('live') === true;
  return plan.stages
    .filter((stage) => {
      if (stage.gate.includes('canary') && canaryLive) return true;
      if (!stage.ab) return false;
      return stage.ab.source === 'live' || (stage.ab.source === undefined && stage.ab.probe_rps === 0);
    })
    .map((stage) => stage.name);
}
