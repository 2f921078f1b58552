/**
 * How big a rollout may be, and why: each limit comes from Temporal's or Databricks' own, with room to spare.
 *
 * The rollout workflow's history grows with regions and stages: every region is a child workflow (3 events: start
 * initiated, started, completed) that reports each phase change to its parent as a signal, and each signal wakes the
 * parent for a workflow task (scheduled, started, completed): about 4 events per signal. Counted in the recorded
 * history test/histories/rollout-approved.json (2 regions, one stage with a health gate and an approval, 143 events),
 * a region sends 4 signals whatever its stages (waiting-for-replication, recording-rollback-point, promoting,
 * promoted) and up to 8 per stage (updating, testing x2, baking, gating x2, awaiting-approval x2), plus 2 events per
 * region and stage to relay an approval. The rest (start, pre-flight activities, search attribute upserts, the
 * approve update, the outcome recorded in the registry, completion) is about 60 events: the live-canary history
 * (1 region, 1 stage, an AI Gateway warning, a judge undecided and approved, the registry's tags and alias) has 112. test/plan/limits.test.ts measures every recorded rollout history
 * against this estimate.
 *
 * Temporal terminates a workflow at 51,200 history events (and warns from 10,240). A plan is refused when its
 * estimate exceeds HISTORY_EVENT_BUDGET, which leaves a fifth of the limit for what the estimate does not count:
 * operator signals and updates (pause, resume, approvals refused), activity retries, waves.
 */
/** Temporal's default hard limit on the events of one workflow execution (limit.historyCount.error). */
export const TEMPORAL_HISTORY_EVENT_LIMIT = 51_200;
/** The largest estimated history a plan may lead to: 80% of Temporal's limit. */
export const HISTORY_EVENT_BUDGET = 40_960;

/** Events of a rollout that do not depend on its regions (start, pre-flight, search attributes, registry, completion). */
export const FIXED_EVENTS = 60;
/** Events per region whatever its stages: the child workflow (3) and 4 phase signals of 4 events each. */
export const EVENTS_PER_REGION = 3 + 4 * 4;
/** Events per region and stage: up to 8 phase signals of 4 events, and 2 to relay an approval. */
export const EVENTS_PER_REGION_STAGE = 8 * 4 + 2;

/**
 * Events per region watching after promotion: up to 4 more phase signals (recording-baseline, watching, the verdict,
 * a warning) of 4 events each.
 */
export const EVENTS_PER_REGION_AFTER_PROMOTION = 4 * 4;

/** The rollout workflow's estimated history length (an upper bound for the recorded histories). */
export function estimateRolloutHistoryEvents(regions: number, stages: number, afterPromotion = false): number {
  const perRegion =
    EVENTS_PER_REGION + stages * EVENTS_PER_REGION_STAGE + (afterPromotion ? EVENTS_PER_REGION_AFTER_PROMOTION : 0);
  return FIXED_EVENTS + regions * perRegion;
}

/**
 * At most 250 regions: Databricks runs in a few dozen cloud regions per cloud, so 250 endpoints already means several
 * per region; and with one stage the history estimate allows about 770, so the cap keeps a one-stage plan far from it.
 */
export const MAX_REGIONS = 250;
/** At most 20 stages: real plans have 2-5; 20 stages of 34 events per region still allow 58 regions. */
export const MAX_STAGES = 20;

/**
 * Workflow inputs (the plan and its edge cases, as JSON) must stay under Temporal's 2 MiB payload limit, which the
 * server enforces on each payload (limit.blobSize.error) and warns about from 256 KiB; 1.5 MiB leaves room for the
 * rest of the input and for encryption.
 */
export const MAX_WORKFLOW_INPUT_BYTES = 1.5 * 1024 * 1024;

/**
 * The JSON size of `value` in UTF-16 code units (a lower bound on its bytes), or Infinity once it passes `limit`: YAML
 * aliases make a small file a huge value, which JSON.stringify would build in full before it could be measured.
 */
export function jsonSizeWithin(value: unknown, limit: number): number {
  let size = 0;
  const visit = (item: unknown): boolean => {
    if (size > limit) return false;
    if (item === null || typeof item !== 'object') {
      size += (JSON.stringify(item) ?? 'null').length;
      return size <= limit;
    }
    if (Array.isArray(item)) {
      size += 2 + Math.max(0, item.length - 1);
      return item.every(visit);
    }
    const entries = Object.entries(item);
    size += 2 + Math.max(0, entries.length - 1);
    return entries.every(([key, element]) => {
      size += JSON.stringify(key).length + 1;
      return visit(element);
    });
  };
  return visit(value) ? size : Infinity;
}

/** Unity Catalog object names (catalog, schema, model, alias) are at most 255 characters. */
export const MAX_UC_NAME = 255;
/** Model versions are 32-bit integers in Unity Catalog's API; larger numbers lose precision in JSON anyway. */
export const MAX_MODEL_VERSION = 2_147_483_647;
