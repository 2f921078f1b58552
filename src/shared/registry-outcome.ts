/**
 * What a finished rollout writes into the primary workspace's Unity Catalog (the plan's `registry`): which tags on the
 * version, and whether to move an alias. Pure and deterministic: the rollout workflow decides here, an activity
 * writes (src/activities/registry.ts).
 *
 * Unity Catalog refuses tag keys containing any of . , - = / : ("reserved characters"), keys over 255 characters and
 * values over 1000, and keeps at most 50 tags per version. So every key here is letters, digits and "_", a region's
 * "-" becomes "_" (region names have no "_", so no two regions share a key), and values are cut with an ellipsis.
 */

/** A region's report as read here (RegionReport, without importing types.ts: src/plan/schema.ts imports this). */
export interface RegionEnd {
  region: string;
  /** A RegionOutcome: promoted, unchanged, rolled-back, rollback-failed, untouched or skipped. */
  outcome: string;
  error?: string;
}

/** Every tag this product writes starts with this; plans may not set such keys themselves. */
export const TAG_PREFIX = 'model_rollout_';
/** Set when a region was rolled back: the reason. A watcher skips a version carrying it until someone removes it. */
export const ROLLED_BACK_TAG = `${TAG_PREFIX}rolled_back`;
/** The rollout's outcome (succeeded, partially-failed, rolled-back, failed, aborted, superseded). */
export const OUTCOME_TAG = `${TAG_PREFIX}outcome`;
/** Plans with more regions than this get one summary tag instead of a tag per region (UC: 50 tags per version). */
export const MAX_REGION_TAGS = 40;
/** The summary tag of plans with more than MAX_REGION_TAGS regions: "rolled-back: a, b; promoted: c, ...". */
export const REGIONS_TAG = `${TAG_PREFIX}regions`;
export const MAX_TAG_KEY = 255;
export const MAX_TAG_VALUE = 1000;
/** The user's own on_success tags, leaving room for ours within Unity Catalog's 50 per version. */
export const MAX_SUCCESS_TAGS = 8;
/** Characters Unity Catalog refuses in tag keys. */
export const RESERVED_TAG_KEY_CHARACTERS = /[.,\-=/:]/;

/** The plan's `registry` (src/plan/schema.ts), as the workflow receives it; absent in plans from before it existed. */
export interface RegistrySettings {
  on_success?: { alias?: string; tags?: Record<string, string> };
  tag_outcomes: boolean;
}

/** Settings of a plan that says nothing, and of plans started before `registry` existed. */
export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = { tag_outcomes: true };

/** What to write: tags in the order to write them (the rollback reason first), then the alias, if any. */
export interface RegistryWrites {
  tags: [key: string, value: string][];
  alias?: string;
  /** Why the plan's alias is not moved (the rollout did not succeed in every region). */
  aliasNotMoved?: string;
}

/** The tag of one region's outcome: `model_rollout_eu_west_1`. */
export function regionTagKey(region: string): string {
  return `${TAG_PREFIX}${region.replace(/-/g, '_')}`;
}

/** A tag value within Unity Catalog's limit: cut, with an ellipsis, when longer. */
export function fitTagValue(value: string, max = MAX_TAG_VALUE): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/** The error of a region cancelled by the rollout (rollback-all, abort), which says nothing about why. */
const CANCELLED = 'cancelled';

/**
 * Why the version was rolled back, or undefined when no region was: an operator's stop; else the error of a
 * rolled-back region that failed by itself; else that of the region whose failure made the policy restore the others
 * (rollback-all); else the first rolled-back region.
 */
export function rollbackReason(
  regions: RegionEnd[],
  stop?: { kind: string; by: string; reason?: string },
): string | undefined {
  const rolledBack = regions.filter((r) => r.outcome === 'rolled-back' || r.outcome === 'rollback-failed');
  if (!rolledBack.length) return undefined;
  if (stop) return `${stop.kind} by ${stop.by}${stop.reason ? `: ${stop.reason}` : ''}`;
  const failedItself = (r: RegionEnd) => r.error !== undefined && r.error !== CANCELLED;
  const cause =
    rolledBack.find(failedItself) ?? regions.find(failedItself) ?? rolledBack.find((r) => r.error) ?? rolledBack[0];
  return `${cause.region}: ${cause.error ?? cause.outcome}`;
}

/** Regions grouped by outcome, the ones that need a look first: "rolled-back: eu-west-1; promoted: us-east-1, ...". */
export function regionsSummary(regions: RegionEnd[]): string {
  const order = ['rollback-failed', 'rolled-back', 'untouched', 'skipped', 'unchanged', 'promoted'];
  return order
    .map((outcome) => [outcome, regions.filter((r) => r.outcome === outcome).map((r) => r.region)] as const)
    .filter(([, names]) => names.length)
    .map(([outcome, names]) => `${outcome}: ${names.join(', ')}`)
    .join('; ');
}

/** What a finished rollout records, from the plan's settings, its outcome and its regions' reports. */
export function registryWrites(
  settings: RegistrySettings,
  outcome: string,
  regions: RegionEnd[],
  stop?: { kind: string; by: string; reason?: string },
): RegistryWrites {
  const tags: [string, string][] = [];
  if (settings.tag_outcomes) {
    const reason = rollbackReason(regions, stop);
    if (reason !== undefined) tags.push([ROLLED_BACK_TAG, fitTagValue(reason)]);
    tags.push([OUTCOME_TAG, outcome]);
    if (regions.length <= MAX_REGION_TAGS) for (const r of regions) tags.push([regionTagKey(r.region), r.outcome]);
    else tags.push([REGIONS_TAG, fitTagValue(regionsSummary(regions))]);
  }
  const succeeded = outcome === 'succeeded';
  if (succeeded) for (const [key, value] of Object.entries(settings.on_success?.tags ?? {})) tags.push([key, value]);
  const alias = settings.on_success?.alias;
  if (alias === undefined) return { tags };
  if (succeeded) return { tags, alias };
  return {
    tags,
    aliasNotMoved: `${alias} not moved: the rollout ${outcome}, and the alias moves only when it succeeded`,
  };
}

/** Tags set on the version and the alias moved, in the primary region's workspace. */
export interface RegistryRecord {
  /** The primary region, whose workspace's Unity Catalog holds the model. */
  region: string;
  /** Tags written (all of them, or those before a failure: then `failed` says what was not). */
  tags: Record<string, string>;
  alias?: string;
  /** Why the plan's on_success alias was not moved. */
  aliasNotMoved?: string;
  /** Recording failed (also a warning): the rollout's outcome stands; this is what was not recorded, and why. */
  failed?: string;
}

/** What was recorded, in a sentence for the status table, the follow lines and the step summary. */
export function describeRegistryRecord(record: RegistryRecord, version: number): string {
  const tags = Object.entries(record.tags).map(([key, value]) => `${key}=${fitTagValue(value, 80)}`);
  const parts = [
    tags.length ? `tagged v${version} ${tags.join(', ')}` : '',
    record.alias !== undefined ? `moved alias ${record.alias} to v${version}` : '',
    record.aliasNotMoved ?? '',
  ].filter(Boolean);
  const where = `registry (${record.region})`;
  // The warning says the same: the activity failed, so nothing it wrote is confirmed.
  if (record.failed) return `${where}: NOT RECORDED: ${record.failed}`;
  return `${where}: ${parts.join('; ') || 'nothing to record'}`;
}

/** What a plan's `registry` will record, in a sentence for `rollout plan`. */
export function describeRegistrySettings(settings: RegistrySettings, primary: string): string {
  const parts: string[] = [];
  if (settings.tag_outcomes)
    parts.push(
      `tags the version with its outcome (${OUTCOME_TAG}, one ${TAG_PREFIX}<region> each, and ${ROLLED_BACK_TAG} with the reason when a region is rolled back)`,
    );
  const { alias, tags = {} } = settings.on_success ?? {};
  const onSuccess = [
    alias !== undefined ? `moves alias ${alias} to the version` : '',
    Object.keys(tags).length
      ? `tags it ${Object.entries(tags)
          .map(([key, value]) => `${key}=${value}`)
          .join(', ')}`
      : '',
  ].filter(Boolean);
  if (onSuccess.length) parts.push(`when every region promoted, ${onSuccess.join(' and ')}`);
  if (!parts.length) return 'records nothing in the registry (registry.tag_outcomes: false)';
  return `in ${primary}'s Unity Catalog, ${parts.join('; ')}`;
}
