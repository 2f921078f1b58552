/**
 * The canary settings an activity receives, completed. Rollouts started before the sequential judge pass the
 * previous shape (`min_requests`, `max_requests`, `error_rate_floor`); their workflows replay unchanged and their
 * next canary runs on the new judge with the nearest meaning: probes decide, as they did, and the absolute error
 * floor is kept with no relative floor (×1), as before.
 */
import type { SequentialJudgeConfig } from '../analysis/sequential-judge';
import { canarySchema, type CanarySettings } from './schema';

const PREVIOUS_KEYS = ['min_requests', 'max_requests', 'error_rate_floor'] as const;

export function canarySettings(raw: unknown): CanarySettings {
  const settings = { ...((raw ?? {}) as Record<string, unknown>) };
  const previous = PREVIOUS_KEYS.some((key) => key in settings);
  if (previous) {
    const floor = settings.error_rate_floor;
    for (const key of PREVIOUS_KEYS) delete settings[key];
    if (typeof floor === 'number' && floor > 0 && floor < 1 && settings.error_floor === undefined)
      settings.error_floor = { relative: 1, absolute: floor };
  }
  return canarySchema.parse(settings);
}

/** The judge's configuration from the plan's canary settings. */
export function judgeConfigOf(canary: CanarySettings): SequentialJudgeConfig {
  return {
    alpha: canary.alpha,
    beta: canary.beta,
    errorFloor: { relative: canary.error_floor.relative, absolute: canary.error_floor.absolute },
    latencyFloor: canary.latency_floor,
    quantiles: canary.quantiles,
    sources: canary.sources,
  };
}

/**
 * A probe or replay round is one batch, and each batch adds one comparison per latency quantile, so short rounds
 * decide sooner: about 100 requests per version (enough for a p99 to be more than the maximum), from 0.5 s to 5 s.
 */
export function roundMs(probeRps: number): number {
  return Math.min(5_000, Math.max(500, Math.ceil((100 / Math.max(1, probeRps)) * 1000)));
}
