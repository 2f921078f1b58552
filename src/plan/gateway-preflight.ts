/**
 * What pre-flight asks of an endpoint's AI Gateway, from the plan alone (pure, for the workflow):
 * - the stages that judge users' live traffic (a canary gate with the `live` source, or an A/B stage decided on live
 *   traffic): what a fallback hides from the judge;
 * - the highest request rate the plan's own tests send the endpoint: what a rate limit may throttle.
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

/** Requests per second at the plan's busiest test (load test, or probes to both versions), and the stage it is in. */
export function peakTestRate(plan: Pick<Plan, 'stages' | 'tests'>): { rps: number; stage: string } | undefined {
  const { canary, load } = plan.tests;
  const canaryProbes = canary?.sources?.some((source) => source !== 'live') === true;
  let peak: { rps: number; stage: string } | undefined;
  for (const stage of plan.stages) {
    const rates = [
      stage.gate.includes('load') && load ? load.rps : 0,
      stage.gate.includes('canary') && canary && canaryProbes ? 2 * canary.probe_rps : 0,
      stage.ab && stage.ab.source !== 'live' ? 2 * stage.ab.probe_rps : 0,
    ];
    const rps = Math.max(...rates);
    if (rps > 0 && (!peak || rps > peak.rps)) peak = { rps, stage: stage.name };
  }
  return peak;
}
