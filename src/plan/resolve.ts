/**
 * What a validated plan means in practice: the waves in order, the name the model has in each region, which version
 * rolls out, and how long a rollout can take. Pure (no I/O, no Node builtins): workflows use these too.
 */
import type { Plan } from './schema';

export type ResolvedWave = {
  name: string;
  /** Region names, in the order the plan lists them in the wave. */
  regions: string[];
  /** How many of the wave's regions roll out at once: 1 to regions.length. */
  parallelism: number;
};

/** The name of the wave used when a plan gives no waves: every region at once. */
export const DEFAULT_WAVE_NAME = 'all-regions';

/**
 * The plan's waves in order. Without `waves`, one wave of every region in plan order, all at once. Parallelism is
 * the plan's, capped at the wave's size; omitted, it is the wave's size.
 */
export function resolveWaves(plan: Plan): ResolvedWave[] {
  if (!plan.waves) {
    const regions = plan.regions.map((region) => region.name);
    return [{ name: DEFAULT_WAVE_NAME, regions, parallelism: regions.length }];
  }
  return plan.waves.map((wave) => ({
    name: wave.name,
    regions: [...wave.regions],
    parallelism: Math.min(wave.parallelism ?? wave.regions.length, wave.regions.length),
  }));
}

/**
 * The Unity Catalog name under which `region` reads the model (the plan's, or a release member's): its own name in
 * the primary, and `<shared_catalog>.<schema>.<model>` in a replica, whose shared catalog Delta Sharing fills.
 */
export function modelNameInRegion(plan: Plan, region: string, model: string = plan.model): string {
  const entry = plan.regions.find((r) => r.name === region);
  if (!entry)
    throw new Error(`region "${region}" is not in the plan (regions: ${plan.regions.map((r) => r.name).join(', ')})`);
  if (region === plan.primary) return model;
  if (!entry.shared_catalog) throw new Error(`region "${region}" has no shared_catalog in the plan`);
  const [, schema, name] = model.split('.');
  return `${entry.shared_catalog}.${schema}.${name}`;
}

export type VersionOverride = { version?: number; alias?: string };

export type VersionSelection =
  | { kind: 'version'; version: number; from: 'command line' | 'plan' }
  | { kind: 'alias'; alias: string; from: 'command line' | 'plan' };

/**
 * Which version rolls out: the command line's --version or --alias if given (either replaces the plan's choice), else
 * the plan's version or alias, else undefined (nothing chosen yet).
 */
export function selectVersion(plan: Plan, override: VersionOverride = {}): VersionSelection | undefined {
  if (override.version !== undefined && override.alias !== undefined)
    throw new Error('give --version or --alias, not both');
  if (override.version !== undefined) return { kind: 'version', version: override.version, from: 'command line' };
  if (override.alias !== undefined) return { kind: 'alias', alias: override.alias, from: 'command line' };
  if (plan.version !== undefined) return { kind: 'version', version: plan.version, from: 'plan' };
  if (plan.alias !== undefined) return { kind: 'alias', alias: plan.alias, from: 'plan' };
  return undefined;
}

export type StageEstimate = {
  name: string;
  /** The config update that sets the stage's traffic may take up to timeouts.config_update. */
  configUpdateMs: number;
  bakeMs: number;
  /** timeouts.approval when the stage asks for approval, else 0. */
  approvalMs: number;
  worstMs: number;
};

export type WaveEstimate = {
  name: string;
  regions: number;
  parallelism: number;
  /** ceil(regions / parallelism): batches of regions that run one after another. */
  batches: number;
  worstMs: number;
  expectedMs: number;
};

export type DurationEstimate = {
  /** One region, worst case: replication + stages + promotion. Every region has the same (timeouts are plan-wide). */
  region: {
    replicationMs: number;
    stages: StageEstimate[];
    promotionMs: number;
    worstMs: number;
    bakeMs: number;
    /** after_promotion: the baseline recorded before any change (overlapping replication), and the watch after. */
    afterPromotion?: { baselineMs: number; watchMs: number };
  };
  waves: WaveEstimate[];
  /** Sum over waves of batches × the region's worst case. */
  worstMs: number;
  /** The same with only the bakes: the time a rollout takes when nothing waits as long as a timeout allows. */
  expectedMs: number;
};

/**
 * The longest a rollout can take before every wait has either ended or timed out, and the time it takes when only the
 * bakes wait. Per region: timeouts.replication + for each stage (timeouts.config_update + bake + timeouts.approval if
 * the stage asks for approval) + timeouts.config_update for the promotion; with after_promotion, the longer of
 * replication and the baseline instead of replication, and the watch after the promotion. Per wave: ceil(regions / parallelism) ×
 * the region's figure. Total: the sum over waves. Gate checks have no timeout in the plan and are not counted.
 */
export function estimateDuration(plan: Plan): DurationEstimate {
  const { replication, config_update: configUpdate, approval } = plan.timeouts;
  const stages = plan.stages.map((stage) => {
    // An A/B stage may hand its choice to a person (always, or on a tie).
    const mayAskPerson = stage.approval || stage.ab?.decide_by === 'approval' || stage.ab?.on_tie === 'approval';
    const approvalMs = mayAskPerson ? approval : 0;
    return {
      name: stage.name,
      configUpdateMs: configUpdate,
      bakeMs: stage.bake,
      approvalMs,
      worstMs: configUpdate + stage.bake + approvalMs,
    };
  });
  // A shadow check adds one config update: the new version joins at 0% before the first stage's weight.
  const shadowUpdate = plan.tests.shadow ? configUpdate : 0;
  // after_promotion: the region waits for the longer of replication and the baseline, and watches after promotion.
  const after = plan.after_promotion && {
    baselineMs: plan.after_promotion.baseline,
    watchMs: plan.after_promotion.watch,
  };
  const regionWorst =
    Math.max(replication, after?.baselineMs ?? 0) +
    shadowUpdate +
    stages.reduce((sum, stage) => sum + stage.worstMs, 0) +
    configUpdate +
    (after?.watchMs ?? 0);
  const regionBake =
    stages.reduce((sum, stage) => sum + stage.bakeMs, 0) + (after ? after.baselineMs + after.watchMs : 0);
  const waves = resolveWaves(plan).map((wave) => {
    const batches = Math.ceil(wave.regions.length / wave.parallelism);
    return {
      name: wave.name,
      regions: wave.regions.length,
      parallelism: wave.parallelism,
      batches,
      worstMs: batches * regionWorst,
      expectedMs: batches * regionBake,
    };
  });
  return {
    region: {
      replicationMs: replication,
      stages,
      promotionMs: configUpdate,
      worstMs: regionWorst,
      bakeMs: regionBake,
      ...(after ? { afterPromotion: after } : {}),
    },
    waves,
    worstMs: waves.reduce((sum, wave) => sum + wave.worstMs, 0),
    expectedMs: waves.reduce((sum, wave) => sum + wave.expectedMs, 0),
  };
}
