/**
 * The rollout plan: what a platform team commits next to its model. YAML, validated with zod; every error names the
 * path of the bad field. In the spirit of a Databricks Asset Bundle's per-target workspaces: each region names its
 * workspace by a ~/.databrickscfg profile or a host, and the worker in that region resolves the credentials.
 */
import { z } from 'zod';
import { WORKLOAD_SIZES, WORKLOAD_TYPES } from '../databricks/schemas';
import { durationMs, formatDurationMs } from '../shared/duration';
import { normalizeIdentity } from '../shared/identity';
import {
  estimateRolloutHistoryEvents,
  HISTORY_EVENT_BUDGET,
  MAX_MODEL_VERSION,
  MAX_REGIONS,
  MAX_STAGES,
  MAX_UC_NAME,
  TEMPORAL_HISTORY_EVENT_LIMIT,
} from './limits';
import { WORKSPACE_URL_HINT, workspaceUrlProblem } from './workspace-url';
import { CHANNEL_KINDS, CHANNEL_NAME, channelEnvVar, NOTIFICATION_EVENTS } from '../shared/notifications';
import { MAX_SUCCESS_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE, ROLLED_BACK_TAG, TAG_PREFIX } from '../shared/registry-outcome';

/** catalog.schema.model (each part at most MAX_UC_NAME characters, checked apart). */
export const MODEL_FULL_NAME = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const REGION_NAME = /^[a-z][a-z0-9-]{1,40}$/;
/** Databricks: 1-63 letters, digits, "-" or "_" (docs/databricks-api.md §1.1); a leading "-" or "_" is refused. */
const ENDPOINT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** A ~/.databrickscfg section name: no brackets, spaces or line breaks, which would end the section header. */
const PROFILE = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const JURISDICTION = /^[A-Z][A-Z0-9_-]{0,15}$/;

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A duration from `min` to `max` milliseconds, in whole milliseconds (0.5 would be half a millisecond, which no timer
 * keeps). Bounds keep nonsense out of timers and history: `bake: 1e300` was accepted as a bake of 1e300 ms.
 */
const durationBetween = (min: number, max: number, words: { min: string; max: string }) =>
  durationMs.superRefine((ms, ctx) => {
    if (!Number.isInteger(ms))
      ctx.addIssue({ code: 'custom', message: 'write a whole number of milliseconds, e.g. 1500ms, 2s or 5m' });
    else if (ms < min) ctx.addIssue({ code: 'custom', message: `must be at least ${words.min}` });
    else if (ms > max) ctx.addIssue({ code: 'custom', message: `must be at most ${words.max}` });
  });

const positiveDuration = (max: number, maxWords: string) =>
  durationBetween(1, max, { min: '1ms (longer than 0)', max: maxWords });
/**
 * A timeout of the rollout itself: at least 100ms (fast tests wait half a second for an approval; below that a timer
 * is noise), at most `max`.
 */
const timeout = (max: number, maxWords: string) => durationBetween(100, max, { min: '100ms', max: maxWords });

/** Finite numbers only, and rates of at least one request per second. */
const rate = (max: number) =>
  z.number().min(1, 'rates are at least 1 request per second').max(max, `rates are at most ${max} per second`);

/** A Unity Catalog model's full name, catalog.schema.model (each part at most MAX_UC_NAME characters). */
const modelName = () =>
  z
    .string()
    .regex(MODEL_FULL_NAME, 'write the model as catalog.schema.model')
    .refine(
      (name) => name.split('.').every((part) => part.length <= MAX_UC_NAME),
      `catalog, schema and model names are at most ${MAX_UC_NAME} characters each (Unity Catalog)`,
    );

/** A model version number. */
const versionNumber = () =>
  z.number().int().positive().max(MAX_MODEL_VERSION, `versions are at most ${MAX_MODEL_VERSION}`);

/** A Unity Catalog alias; `example` is what the error suggests (champion, live, ...). */
const aliasName = (example: string, type?: z.core.$ZodStringParams) =>
  z
    .string(type)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, `aliases are letters, digits, "_" or "-", e.g. ${example}`)
    .max(MAX_UC_NAME, `aliases are at most ${MAX_UC_NAME} characters (Unity Catalog)`);

/** A serving endpoint's name. */
const endpointName = () =>
  z.string().regex(ENDPOINT, 'endpoint names are 1-63 letters, digits, "-" or "_", starting with a letter or digit');

/** The served entity a rollout replaces on a shared endpoint; `example` is what the error suggests. */
const replacedEntityName = (example: string) =>
  z.string().regex(ENDPOINT, `write the name of a served entity of the endpoint, e.g. replaces: ${example}`);

/** A key the canary judge no longer reads: refused with what to write instead. */
const removedKey = (fix: string) => z.never({ error: fix }).optional();

/** Why Unity Catalog would refuse `key` as a tag key, or undefined. */
function tagKeyProblem(key: string): string | undefined {
  if (!/^[A-Za-z0-9_]+$/.test(key))
    return 'tag keys are letters, digits or "_" (Unity Catalog refuses . , - = / : in tag keys), e.g. deployed_stage';
  if (key.length > MAX_TAG_KEY) return `tag keys are at most ${MAX_TAG_KEY} characters (Unity Catalog)`;
  return undefined;
}

/** The rollback tag the rollout sets on a version it rolled back (value: the reason); the watcher never picks one. */
export { ROLLED_BACK_TAG };

/**
 * Continuous delivery (`rollout watch`): what the watcher follows in the primary's Unity Catalog, with the semantics
 * of Databricks' model update triggers (a minimum time between rollouts, a quiet period after the last change).
 */
export const watchSchema = z
  .strictObject({
    /** version-ready: a new version becoming READY; alias: the alias moving to another version. */
    on: z.enum(['version-ready', 'alias'], { error: 'write on: version-ready or on: alias' }).default('version-ready'),
    alias: aliasName('champion').optional(),
    /** Only versions carrying every one of these Unity Catalog tags (key: value) are rolled out. */
    tags: z
      .record(z.string().min(1, 'tag keys are not empty'), z.string())
      .refine((tags) => Object.keys(tags).length <= 20, 'at most 20 tags')
      // A key Unity Catalog refuses is on no version: the filter would pass over every version, silently.
      .superRefine((tags, ctx) => {
        for (const key of Object.keys(tags)) {
          const problem = tagKeyProblem(key);
          if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `${problem}; no version can carry it` });
        }
      })
      .optional(),
    /** No rollout starts sooner than this after the previous one the watcher started. */
    min_time_between_rollouts: durationBetween(0, 30 * DAY, { min: '0', max: '30 days (720h)' }).default(0),
    /** A rollout starts only once nothing has changed for this long: a burst of versions rolls out only the newest. */
    quiet_period: durationBetween(0, DAY, { min: '0', max: '24h' }).default(0),
    /** How often the primary's registry is read (one or two Databricks calls per poll). */
    poll: durationBetween(50, HOUR, { min: '50ms', max: '1h' }).default(30 * SECOND),
  })
  .superRefine((watch, ctx) => {
    if (watch.on === 'alias' && !watch.alias)
      ctx.addIssue({
        code: 'custom',
        path: ['alias'],
        message: 'on: alias needs the alias to follow, e.g. alias: champion',
      });
    if (watch.on === 'version-ready' && watch.alias)
      ctx.addIssue({
        code: 'custom',
        path: ['alias'],
        message: 'alias is read only with on: alias; remove it or write on: alias',
      });
    if (watch.tags && ROLLED_BACK_TAG in watch.tags)
      ctx.addIssue({
        code: 'custom',
        path: ['tags', ROLLED_BACK_TAG],
        message: `versions tagged ${ROLLED_BACK_TAG} are never picked; remove this filter`,
      });
  });
export type WatchSettings = z.output<typeof watchSchema>;

/**
 * The statistical canary judge: the new version against the current one, judged sequentially (anytime-valid) on the
 * sources listed, failing as soon as harm beyond a margin is certain and passing as soon as non-inferiority is.
 */
export const canarySchema = z.strictObject({
  /**
   * What decides: `live` (the endpoint's own traffic, from its metrics export per served entity and minute), `probes`
   * (our own requests to each version), `paired` (each input sent to both versions). Several: each must show the new
   * version within its margins for a pass, and any may fail it.
   */
  sources: z
    .array(z.enum(['live', 'probes', 'paired']))
    .min(1, 'name at least one source: live, probes or paired')
    .refine((list) => new Set(list).size === list.length, 'name each source once')
    .default(['probes']),
  /** Probe (or paired-replay input) requests per second to each version, for the probes and paired sources. */
  probe_rps: rate(2000).default(50),
  /** Joint probability of failing a version exactly at the margin of harm, over every metric and look. */
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  /** Joint probability of passing a version harmed at the margin on some metric. */
  beta: z.number().gt(0).lt(0.5).default(0.05),
  /** Errors (4xx and 5xx, each compared apart) harm only when worse by at least ×relative AND +absolute. */
  error_floor: z
    .strictObject({
      relative: z.number().min(1, 'relative is a ratio of at least 1 (×2: twice the current rate)').default(2),
      absolute: z
        .number()
        .gt(0, 'absolute is a rate above 0, e.g. 0.005 for half a point')
        .lt(1, 'absolute is a rate below 1, e.g. 0.005 for half a point')
        .default(0.005),
    })
    .default({ relative: 2, absolute: 0.005 }),
  /** A latency quantile harms only when slower by at least this fraction (0.1 = 10%). */
  latency_floor: z.number().min(0).max(10).default(0.1),
  /** The latency quantiles judged, e.g. [0.5, 0.99]. */
  quantiles: z
    .array(
      z.number().gt(0, 'quantiles are between 0 and 1, e.g. 0.99').lt(1, 'quantiles are between 0 and 1, e.g. 0.99'),
    )
    .min(1, 'judge at least one latency quantile, e.g. [0.5, 0.99]')
    .max(5, 'at most 5 quantiles')
    .default([0.5, 0.99]),
  /** How long the window may run past the stage's bake while undecided. */
  max_extension: positiveDuration(7 * DAY, '7d').default(5 * 60_000),
  /** Still undecided at the deadline: fail the stage, or hand it to the approval gate with the evidence. */
  on_deadline: z.enum(['fail', 'approval']).default('fail'),
  /**
   * The endpoint's expected user traffic (all versions), for `rollout plan` and `rollout validate` to tell whether
   * the stage can decide within its window (src/plan/judge-forecast.ts). Unset while live traffic decides: neither
   * command talks to a workspace, so `rollout plan` says the traffic is unknown and `rollout validate` does not check
   * the window.
   */
  traffic: z.strictObject({ rps: z.number().gt(0, 'rps is above 0').max(100_000) }).optional(),
  min_requests: removedKey(
    'min_requests was removed: the judge is sequential and needs no minimum sample; delete the key',
  ),
  max_requests: removedKey(
    'max_requests was removed: the judge passes as soon as non-inferiority is shown; delete the key (the window is the stage bake plus max_extension)',
  ),
  error_rate_floor: removedKey(
    'error_rate_floor was replaced by error_floor: { relative: 2, absolute: 0.005 } (harm needs both); write that instead',
  ),
});
export type CanarySettings = z.output<typeof canarySchema>;

/**
 * Watching after promotion: once the new version serves 100%, its live traffic is judged against the replaced
 * version's own live minutes from before the rollout (recorded while the region waits for replication), by the
 * canary's sequential judge with `tests.canary`'s margins (or the judge's defaults). A clear regression found within
 * `rollback_window` of the promotion restores the rollback point; one found later is reported, not restored.
 */
export const afterPromotionSchema = z
  .strictObject({
    /** How long the promoted version is watched (metric time; the region keeps the endpoint until it ends). */
    watch: durationBetween(60_000, 7 * DAY, { min: '1m (one metric minute)', max: '7 days (7d = 168h)' }),
    /** From the promotion, how long a regression found restores the rollback point (default: the whole watch). */
    rollback_window: positiveDuration(7 * DAY, '7d').optional(),
    /** How much of the current version's live traffic is recorded before the first change, as what it is judged against. */
    baseline: durationBetween(60_000, HOUR, { min: '1m (one metric minute)', max: '1h' }).default(10 * 60_000),
  })
  .superRefine((after, ctx) => {
    if (after.rollback_window !== undefined && after.rollback_window > after.watch)
      ctx.addIssue({
        code: 'custom',
        path: ['rollback_window'],
        message: `rollback_window (${formatDurationMs(after.rollback_window)}) is longer than watch (${formatDurationMs(after.watch)}): nothing is judged after the watch ends; make rollback_window at most ${formatDurationMs(after.watch)}, or watch longer`,
      });
  })
  .transform((after) => ({ ...after, rollback_window: after.rollback_window ?? after.watch }));
export type AfterPromotionSettings = z.output<typeof afterPromotionSchema>;

const workspaceSchema = z
  .strictObject({
    /** A ~/.databrickscfg profile (the worker in the region resolves host and credentials from it). */
    profile: z
      .string()
      .regex(PROFILE, 'profile names are letters, digits, ".", "_", "-", "@" or "+" (at most 100), e.g. eu-west-1')
      .optional(),
    /** Or a workspace URL; credentials then come from the worker's DATABRICKS_* environment. */
    host: z
      .string()
      .superRefine((host, ctx) => {
        const problem = workspaceUrlProblem(host);
        if (problem) ctx.addIssue({ code: 'custom', message: `${WORKSPACE_URL_HINT}: ${problem}` });
      })
      .optional(),
  })
  .refine((w) => !!w.profile !== !!w.host, {
    // A plan file may also write bundle_target, which loadPlan replaces with a profile or host before this runs.
    message: 'give exactly one of profile, host or bundle_target',
  });

/**
 * Settings of the new version's served entity that override what it inherits from the entity it replaces (every
 * setting of that entity: environment variables, instance profile, concurrency, workload size and type, ...). Unset:
 * inherited; with nothing to inherit from, Small, CPU and scale to zero off.
 */
const servedEntitySchema = z.strictObject({
  workload_size: z.enum(WORKLOAD_SIZES).optional(),
  workload_type: z.enum(WORKLOAD_TYPES).optional(),
  scale_to_zero_enabled: z.boolean().optional(),
});

const regionSchema = z.strictObject({
  name: z.string().regex(REGION_NAME, 'region names are lower-case, e.g. eu-west-1'),
  workspace: workspaceSchema,
  /**
   * Where the model is readable in this region: the shared catalog (replicas) that Delta Sharing fills. Omit it for
   * the primary, which reads the model under its own name.
   */
  shared_catalog: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, 'catalog names are letters, digits, "_" or "-", e.g. ml_shared')
    .max(MAX_UC_NAME, `catalog names are at most ${MAX_UC_NAME} characters (Unity Catalog)`)
    .optional(),
  endpoint: endpointName(),
  served_entity: servedEntitySchema.prefault({}),
  /**
   * The served entity on the endpoint that the new version replaces, when the endpoint is shared with other models
   * (default: every served entity of the plan's model, by entity_name). Other served entities keep their traffic.
   */
  replaces: replacedEntityName('fraud_detector-3').optional(),
  /**
   * The legal jurisdiction the region's endpoint serves from (data residency), e.g. EU or US. A version is served
   * here only if its serving_jurisdictions tag in Unity Catalog lists it (src/shared/residency.ts).
   */
  jurisdiction: z
    .string()
    .regex(JURISDICTION, 'write the jurisdiction as an upper-case code, e.g. EU, US or UK')
    .optional(),
});

/** At most 4 release members beside the plan's own model: 5 endpoints changed together per region. */
export const MAX_RELEASE_MEMBERS = 4;

/** The health probe of a release member: its own input record (a companion model takes other inputs). */
const memberHealthSchema = z.strictObject({
  queries: z.number().int().min(1).max(1000).default(3),
  input: z.record(z.string(), z.unknown()),
});

/**
 * A release member: another model version, or the same one on another endpoint, that ships together with the plan's
 * model in every region (src/workflows/region/release.ts). Each member moves with every stage's weight; if any fails,
 * every member in that region is restored.
 */
const releaseMemberSchema = z.strictObject({
  /** How status, reports and the UI name the member, e.g. features. */
  name: z.string().regex(NAME, 'member names are letters, digits, ".", "_" or "-", e.g. features'),
  /** Unity Catalog model in the primary (default: the plan's model, served by a second endpoint). */
  model: modelName().optional(),
  /** The member's version (another model only; the plan's own model ships the rolled-out version). */
  version: versionNumber().optional(),
  /** Or the alias that names it in the primary, read once at pre-flight. */
  alias: aliasName('champion').optional(),
  /** The member's endpoint, by the same name in every region's workspace. */
  endpoint: endpointName(),
  served_entity: servedEntitySchema.prefault({}),
  replaces: replacedEntityName('fraud_features-3').optional(),
  /** Health probes of the member's new version as soon as it serves (its own input: the plan's tests are the lead's). */
  health: memberHealthSchema.optional(),
});
export type ReleaseMember = z.output<typeof releaseMemberSchema>;

/**
 * Where the rollout tells people what happened (src/shared/notifications.ts): channels by name. Their webhook URLs
 * and signing secrets are credentials, so the plan never holds them: the worker reads ROLLOUT_NOTIFY_<CHANNEL>_URL
 * (and _SECRET for kind webhook) from its environment when it delivers.
 */
const CREDENTIALS_NOT_IN_PLAN =
  'webhook URLs and signing secrets are credentials and never go in the plan (it enters workflow history): remove it and set ROLLOUT_NOTIFY_<CHANNEL>_URL (and _SECRET for kind webhook) on the worker';

const notificationChannelSchema = z.strictObject({
  channel: z
    .string()
    .regex(
      CHANNEL_NAME,
      'channel names are lower-case letters, digits, "-" or "_" (at most 40, starting with a letter), e.g. fraud-alerts; the worker reads ROLLOUT_NOTIFY_FRAUD_ALERTS_URL for it',
    ),
  kind: z.enum(CHANNEL_KINDS, { error: `write kind: ${CHANNEL_KINDS.join(', kind: ')}` }),
  events: z
    .array(z.enum(NOTIFICATION_EVENTS, { error: `events are ${NOTIFICATION_EVENTS.join(', ')}` }))
    .min(1, 'list at least one event, or omit events to send all of them')
    .default([...NOTIFICATION_EVENTS])
    .refine((events) => new Set(events).size === events.length, 'an event is listed twice'),
  url: removedKey(CREDENTIALS_NOT_IN_PLAN),
  webhook_url: removedKey(CREDENTIALS_NOT_IN_PLAN),
  secret: removedKey(CREDENTIALS_NOT_IN_PLAN),
});

const notificationsSchema = z
  .array(notificationChannelSchema)
  .min(1, 'list at least one channel, or remove notifications')
  .max(10, 'at most 10 channels')
  .superRefine((channels, ctx) => {
    const variables = new Map<string, string>();
    channels.forEach(({ channel }, i) => {
      const variable = channelEnvVar(channel, 'URL');
      const other = variables.get(variable);
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'channel'],
          message:
            channel === other
              ? `channel ${channel} is listed twice; list its events once`
              : `${channel} and ${other} both read ${variable} on the worker; give each channel a name of its own`,
        });
      else variables.set(variable, channel);
    });
  });

export const GATE_CHECKS = ['health', 'edge-cases', 'load', 'canary'] as const;

const stageSchema = z.strictObject({
  name: z.string().regex(NAME, 'stage names are letters, digits, ".", "_" or "-"'),
  /** Percentage of traffic the new version gets during this stage. */
  traffic: z
    .number({
      error: (issue) =>
        issue.input === undefined ? undefined : 'traffic is a whole percentage from 1 to 100, e.g. traffic: 10',
    })
    .int('traffic is a whole percentage')
    .min(1, 'traffic is 1-100')
    .max(100, 'traffic is 1-100'),
  /** How long the stage bakes before its gate runs. */
  bake: durationBetween(0, 7 * DAY, { min: '0', max: '7 days (7d = 168h)' }).default(0),
  /** Checks that must pass before the next stage. */
  gate: z
    .array(z.enum(GATE_CHECKS))
    .refine((checks) => new Set(checks).size === checks.length, 'each check is listed once')
    .default([]),
  /** Wait for a person to approve (after the gate) before the next stage. */
  approval: z.boolean().default(false),
  /**
   * An A/B stage: the split stays fixed for `bake`, both versions are measured side by side, and a winner is picked
   * by the rule below or by a person (the approval gate: approve keeps the new version, reject the current one).
   */
  ab: z
    .strictObject({
      /** What the winner is judged on; lower is better for each. */
      metric: z.enum(['error_rate', 'latency_p50', 'latency_p99']).default('error_rate'),
      /** `rule`: the metric's two-sided test at `alpha` decides; `approval`: a person decides, with the report. */
      decide_by: z.enum(['rule', 'approval']).default('rule'),
      /** When the rule finds no significant difference: keep the current version, keep the new one, or ask. */
      on_tie: z.enum(['keep-current', 'keep-new', 'approval']).default('approval'),
      alpha: z.number().gt(0).lt(0.5).default(0.05),
      /**
       * What decides: `live` (users' traffic under the stage's split, from the metrics export) or `probes`. Unset:
       * probes when `probe_rps` is above 0, else live.
       */
      source: z.enum(['live', 'probes']).optional(),
      /** Probe requests per second to each version directly, beside user traffic (0: user traffic only). */
      probe_rps: z
        .number()
        .max(2000, 'rates are at most 2000 per second')
        .refine((rps) => rps === 0 || rps >= 1, 'probe_rps is 0 (user traffic only) or at least 1 per second')
        .default(20),
    })
    .optional(),
});

const waveSchema = z.strictObject({
  name: z.string().regex(NAME, 'wave names are letters, digits, ".", "_" or "-"'),
  regions: z.array(z.string()).min(1, 'a wave needs at least one region'),
  /** How many regions of the wave roll out at once (default: all). */
  parallelism: z
    .number()
    .int('parallelism is a whole number of regions')
    .min(1, 'parallelism is at least 1')
    .optional(),
});

const testsSchema = z.strictObject({
  health: z
    .strictObject({
      /** Queries sent straight to the new version; each must answer 200 with predictions. */
      queries: z.number().int().min(1).max(1000).default(3),
      /** An input record used for health queries. */
      input: z.record(z.string(), z.unknown()),
    })
    .optional(),
  edge_cases: z
    .strictObject({
      /** JSONL: one case per line, {"name"?, "input": {...}, "expected": value | {"approx": n, "tolerance": t} | {"one_of": [...]} | {"min": n, "max": n}} */
      file: z.string().min(1),
      /** Absolute tolerance for numeric expectations that give none. */
      tolerance: z.number().min(0).default(0),
    })
    .optional(),
  /** A load test of the endpoint (open model: a constant arrival rate), judged against absolute SLOs. */
  load: z
    .strictObject({
      rps: z.number().min(1, 'rps is at least 1 request per second').max(5000, 'rps is at most 5000 per region'),
      duration: durationBetween(SECOND, HOUR, { min: '1s', max: '1h' }),
      concurrency: z.number().int().positive().max(1000).default(64),
      timeout: positiveDuration(5 * 60_000, '5m').default(10_000),
      slo: z
        .strictObject({
          /** The overall p99 must stay below this. */
          p99: positiveDuration(5 * 60_000, '5m').optional(),
          /** The share of requests answered 5xx or timing out must stay below this. */
          error_rate: z.number().min(0).max(1).optional(),
        })
        .prefault({}),
    })
    .optional(),
  /**
   * Shadow check before any user traffic: the new version joins the endpoint at 0%, and each probe input (the
   * health record and the edge cases) is scored by both versions through the per-served-model route.
   */
  shadow: z
    .strictObject({
      /** Absolute difference between the two predictions of one input that counts as a disagreement. */
      tolerance: z.number().min(0).default(0),
      /** Largest share of inputs on which the versions may disagree (0.05 = 5%). */
      max_disagreement: z.number().min(0).max(1).default(0.05),
      /** Largest mean absolute difference of numeric predictions (unset: no limit). */
      max_mean_difference: z.number().min(0).optional(),
    })
    .optional(),
  /** The statistical canary judge (see `canarySchema`). */
  canary: canarySchema.optional(),
});

/**
 * What a finished rollout records in the primary workspace's Unity Catalog (src/shared/registry-outcome.ts). Default:
 * outcome tags on the version, no alias.
 */
const registrySchema = z.strictObject({
  /** Written only when every region promoted (outcome succeeded). */
  on_success: z
    .strictObject({
      /** Moved to the rolled-out version, e.g. live. */
      alias: aliasName('live', { error: 'write the alias to move to the version, e.g. alias: live' })
        .refine(
          (alias) => !/^v\d+$/i.test(alias) && alias.toLowerCase() !== 'latest',
          'latest and v<number> name versions already (Unity Catalog reserves them); pick another alias, e.g. live',
        )
        .optional(),
      /** Set on the version, e.g. { stage: prod }. */
      tags: z
        .record(
          z.string(),
          z
            .string({ error: 'tag values are strings: quote it, e.g. stage: "prod" or tier: "1"' })
            .max(MAX_TAG_VALUE, `tag values are at most ${MAX_TAG_VALUE} characters (Unity Catalog)`),
        )
        .superRefine((tags, ctx) => {
          const keys = Object.keys(tags);
          if (keys.length > MAX_SUCCESS_TAGS)
            ctx.addIssue({
              code: 'custom',
              message: `at most ${MAX_SUCCESS_TAGS} tags (Unity Catalog keeps 50 per version, and the rollout's outcome tags need room)`,
            });
          for (const key of keys) {
            const problem =
              tagKeyProblem(key) ??
              (key.startsWith(TAG_PREFIX)
                ? `keys starting with ${TAG_PREFIX} are the rollout's own outcome tags; pick another key`
                : undefined);
            if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
          }
        })
        .optional(),
    })
    .optional(),
  /**
   * Tag the version with the outcome: model_rollout_outcome, model_rollout_<region> per region, and, when a region
   * was rolled back, model_rollout_rolled_back with the reason (a watcher skips such a version).
   */
  tag_outcomes: z.boolean({ error: 'tag_outcomes is true or false' }).default(true),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isArrayOf = (value: unknown, item: (element: unknown) => boolean) => Array.isArray(value) && value.every(item);

/**
 * Whether the rules between fields below can run. By default zod skips them after any type error elsewhere (a string
 * where a number belongs, an unknown enum value, a bad duration), so one such error would hide every cross-field
 * problem. The rules read only the fields checked here, so they run whenever these have the right types, and a plan's
 * problems show at once. (zod still skips them after an issue that aborts explicitly, such as a non-integer traffic.)
 */
function crossFieldReady(plan: unknown): boolean {
  return (
    isObject(plan) &&
    typeof plan.primary === 'string' &&
    isArrayOf(
      plan.regions,
      (r) =>
        isObject(r) &&
        typeof r.name === 'string' &&
        (r.shared_catalog === undefined || typeof r.shared_catalog === 'string'),
    ) &&
    (plan.waves === undefined ||
      isArrayOf(plan.waves, (w) => isObject(w) && isArrayOf(w.regions, (r) => typeof r === 'string'))) &&
    isArrayOf(
      plan.stages,
      (s) =>
        isObject(s) &&
        typeof s.name === 'string' &&
        typeof s.traffic === 'number' &&
        isArrayOf(s.gate, (g) => typeof g === 'string'),
    ) &&
    isObject(plan.tests)
  );
}

/** The rules between a release's members and the plan: one endpoint per member and region, versions that are clear. */
function releaseProblems(plan: {
  model: string;
  regions: { name: string; endpoint: string }[];
  release?: { name: string; model?: string; version?: number; alias?: string; endpoint: string }[];
}): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  const endpoints = new Map<string, string>();
  // Guarded like the other cross-field rules: a member with a type error elsewhere is checked by its own schema.
  if (!Array.isArray(plan.release)) return problems;
  plan.release.forEach((member, m) => {
    if (!isObject(member) || typeof member.name !== 'string' || typeof member.endpoint !== 'string') return;
    const at = (...path: (string | number)[]) => ['release', m, ...path];
    if (names.has(member.name)) problems.push({ path: at('name'), message: `member "${member.name}" is listed twice` });
    names.add(member.name);
    const ownModel = (member.model ?? plan.model) === plan.model;
    if (member.version !== undefined && member.alias !== undefined)
      problems.push({ path: at('alias'), message: 'give version or alias, not both' });
    if (ownModel && (member.version !== undefined || member.alias !== undefined))
      problems.push({
        path: at(member.version !== undefined ? 'version' : 'alias'),
        message: `a member of the plan's own model (${plan.model}) ships the version being rolled out; remove it, or name another model`,
      });
    if (!ownModel && member.version === undefined && member.alias === undefined)
      problems.push({
        path: at('version'),
        message: `say which version of ${member.model} ships with each rollout: version: N or alias: A (e.g. champion)`,
      });
    const region = plan.regions.find((r) => r.endpoint === member.endpoint);
    if (region)
      problems.push({
        path: at('endpoint'),
        message: `${member.endpoint} is already region ${region.name}'s endpoint; each member needs an endpoint of its own (two models on one endpoint: give the region replaces, and a plan per model)`,
      });
    const other = endpoints.get(member.endpoint);
    if (other !== undefined)
      problems.push({ path: at('endpoint'), message: `${member.endpoint} is already member ${other}'s endpoint` });
    else endpoints.set(member.endpoint, member.name);
  });
  return problems;
}

export const planSchema = z
  .strictObject({
    /** Unity Catalog model in the primary region, as catalog.schema.model. */
    model: modelName(),
    /** Default version selection; the CLI's --version / --alias override it. */
    version: versionNumber().optional(),
    alias: aliasName('challenger').optional(),
    /** The region whose workspace holds the registered model. */
    primary: z.string(),
    regions: z
      .array(regionSchema)
      .min(1, 'list at least one region')
      .max(MAX_REGIONS, `at most ${MAX_REGIONS} regions; split the rollout into several plans`),
    waves: z.array(waveSchema).max(MAX_REGIONS, `at most ${MAX_REGIONS} waves`).optional(),
    stages: z
      .array(stageSchema)
      .min(1, 'give at least one stage')
      .max(MAX_STAGES, `at most ${MAX_STAGES} stages; most plans need 2-5`),
    tests: testsSchema.prefault({}),
    timeouts: z
      .strictObject({
        /** How long to wait for the version to replicate into a region. */
        replication: timeout(DAY, '24h').default(15 * 60_000),
        /** How long one endpoint config update may take. */
        config_update: timeout(DAY, '24h').default(30 * 60_000),
        /** How long an approval gate waits before the region is rolled back. */
        approval: timeout(30 * DAY, '30 days (720h)').default(24 * 3_600_000),
      })
      .prefault({}),
    /** rollback-region: only a failing region is restored. rollback-all: every region this rollout touched is. */
    failure_policy: z.enum(['rollback-region', 'rollback-all']).default('rollback-region'),
    /** When another version of the same model is being rolled out: wait for it, replace it, or refuse to start. */
    on_concurrent_rollout: z.enum(['queue', 'supersede', 'refuse']).default('queue'),
    /**
     * A region's endpoint has AI Gateway fallbacks on while a stage judges live traffic: the errors of the new version
     * are retried on the current one and never reach the metrics the judge reads. `refuse` (default): pre-flight stops
     * the rollout, nothing touched. `warn`: it goes ahead, and the warning is in its status and report.
     */
    on_gateway_fallback: z.enum(['refuse', 'warn']).default('refuse'),
    /** What the rollout records in the primary's Unity Catalog when it ends (see registrySchema). */
    registry: registrySchema.prefault({}),
    /**
     * A release: other models (a companion feature-lookup model) or endpoints (the model on a second endpoint) that
     * ship together with `model`, stage by stage, in every region; any failure restores every member in the region.
     */
    release: z
      .array(releaseMemberSchema)
      .min(1, 'list at least one member, or remove release')
      .max(MAX_RELEASE_MEMBERS, `at most ${MAX_RELEASE_MEMBERS} members; split the release into several plans`)
      .optional(),
    /** Continuous delivery: what `rollout watch` follows; without it the plan is rolled out only by `rollout start`. */
    watch: watchSchema.optional(),
    /** Keep judging the new version's live traffic after 100%, and restore on a clear regression (afterPromotionSchema). */
    after_promotion: afterPromotionSchema.optional(),
    /** Where events are sent (see notificationChannelSchema); omitted: nowhere. */
    notifications: notificationsSchema.optional(),
    /** Who may approve this plan's approval stages; omitted: anyone who can reach the rollout. */
    approvals: z
      .strictObject({
        /** Normalised (src/shared/identity.ts): " alice " is alice; invisible and control characters are refused. */
        allowed: z
          .array(
            z.string().transform((value, ctx) => {
              const normalized = normalizeIdentity(value);
              if (normalized.ok) return normalized.identity;
              ctx.addIssue({ code: 'custom', message: `${normalized.problem}, e.g. octocat or ana@example.com` });
              return z.NEVER;
            }),
          )
          .min(1, 'list at least one identity, or remove approvals to let anyone approve')
          .max(1000, 'at most 1000 identities; name a few people, not an organisation'),
      })
      .optional(),
  })
  .superRefine(
    (plan, ctx) => {
      const events = estimateRolloutHistoryEvents(
        plan.regions.length,
        plan.stages.length,
        plan.after_promotion !== undefined,
      );
      if (plan.regions.length <= MAX_REGIONS && plan.stages.length <= MAX_STAGES && events > HISTORY_EVENT_BUDGET)
        ctx.addIssue({
          code: 'custom',
          path: ['stages'],
          message: `${plan.regions.length} regions x ${plan.stages.length} stages would write about ${events} events to the rollout's Temporal history, over the budget of ${HISTORY_EVENT_BUDGET} (Temporal stops a workflow at ${TEMPORAL_HISTORY_EVENT_LIMIT}); use fewer stages or split the regions into several plans`,
        });
      const names = new Set<string>();
      plan.regions.forEach((region, i) => {
        if (names.has(region.name))
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'name'],
            message: `region "${region.name}" is listed twice`,
          });
        names.add(region.name);
        if (region.name === plan.primary && region.shared_catalog)
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'shared_catalog'],
            message: `the primary reads the model under its own name; remove shared_catalog from ${region.name}`,
          });
        if (region.name !== plan.primary && !region.shared_catalog)
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i, 'shared_catalog'],
            message: `name the Delta Sharing catalog through which ${region.name} reads the model (only the primary may omit it)`,
          });
      });
      if (!names.has(plan.primary))
        ctx.addIssue({ code: 'custom', path: ['primary'], message: `"${plan.primary}" is not one of regions[].name` });
      if (plan.version !== undefined && plan.alias !== undefined)
        ctx.addIssue({ code: 'custom', path: ['alias'], message: 'give version or alias, not both' });
      const inWaves = new Map<string, number>();
      plan.waves?.forEach((wave, w) =>
        wave.regions.forEach((region, r) => {
          const earlier = inWaves.get(region);
          if (!names.has(region))
            ctx.addIssue({
              code: 'custom',
              path: ['waves', w, 'regions', r],
              message: `unknown region "${region}"; regions[].name are ${[...names].join(', ')}`,
            });
          else if (earlier !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['waves', w, 'regions', r],
              message: `region "${region}" is already in waves[${earlier}] (${plan.waves?.[earlier].name}); a region is in one wave`,
            });
          else inWaves.set(region, w);
        }),
      );
      if (plan.waves)
        for (const name of names)
          if (!inWaves.has(name))
            ctx.addIssue({ code: 'custom', path: ['waves'], message: `region "${name}" is in no wave; add it to one` });
      const stageNames = new Set<string>();
      plan.stages.forEach((stage, s) => {
        if (stageNames.has(stage.name))
          ctx.addIssue({
            code: 'custom',
            path: ['stages', s, 'name'],
            message: `stage "${stage.name}" is listed twice`,
          });
        stageNames.add(stage.name);
        if (s > 0 && stage.traffic < plan.stages[s - 1].traffic)
          ctx.addIssue({
            code: 'custom',
            path: ['stages', s, 'traffic'],
            message: `traffic must not go down between stages (${plan.stages[s - 1].traffic}% before it)`,
          });
        if (stage.gate.includes('health') && !plan.tests.health)
          ctx.addIssue({ code: 'custom', path: ['stages', s, 'gate'], message: 'the health gate needs tests.health' });
        const canarySources = isObject(plan.tests.canary) ? plan.tests.canary.sources : undefined;
        const canaryProbes =
          !Array.isArray(canarySources) || canarySources.some((source) => source === 'probes' || source === 'paired');
        if (
          (stage.gate.includes('load') || (stage.gate.includes('canary') && canaryProbes)) &&
          !plan.tests.health &&
          !plan.tests.edge_cases
        )
          ctx.addIssue({
            code: 'custom',
            path: ['stages', s, 'gate'],
            message: 'load and canary probes send the inputs of tests.health and tests.edge_cases: give at least one',
          });
        if (stage.gate.includes('load') && !plan.tests.load)
          ctx.addIssue({ code: 'custom', path: ['stages', s, 'gate'], message: 'the load gate needs tests.load' });
        if (stage.gate.includes('canary') && !plan.tests.canary)
          ctx.addIssue({ code: 'custom', path: ['stages', s, 'gate'], message: 'the canary gate needs tests.canary' });
        if (
          stage.gate.includes('canary') &&
          Array.isArray(canarySources) &&
          canarySources.includes('live') &&
          typeof stage.traffic === 'number' &&
          !(stage.traffic > 0 && stage.traffic < 100)
        )
          ctx.addIssue({
            code: 'custom',
            path: ['stages', s, 'traffic'],
            message: `live traffic judges the new version against the current one under the split: give a weight between 1 and 99 (it is ${stage.traffic}), or judge this stage on probes`,
          });
        if (stage.gate.includes('edge-cases') && !plan.tests.edge_cases)
          ctx.addIssue({
            code: 'custom',
            path: ['stages', s, 'gate'],
            message: 'the edge-cases gate needs tests.edge_cases',
          });
        // Guarded: these rules also run when another field of the plan has a type error (see crossFieldReady).
        if (isObject(stage.ab)) {
          if (typeof stage.bake === 'number' && !(stage.bake > 0))
            ctx.addIssue({
              code: 'custom',
              path: ['stages', s, 'bake'],
              message: 'an A/B stage measures for its bake time: give one, e.g. bake: 30m',
            });
          if (stage.traffic === 100)
            ctx.addIssue({
              code: 'custom',
              path: ['stages', s, 'traffic'],
              message: 'an A/B stage splits traffic: give the new version less than 100%, e.g. 50',
            });
          if (stage.gate.includes('canary'))
            ctx.addIssue({
              code: 'custom',
              path: ['stages', s, 'gate'],
              message: 'an A/B stage measures both versions itself: remove canary from its gate',
            });
          if (stage.ab.probe_rps === 0 && stage.ab.source === 'probes')
            ctx.addIssue({
              code: 'custom',
              path: ['stages', s, 'ab', 'probe_rps'],
              message: 'source: probes needs probe_rps above 0 (or source: live, the users under the split)',
            });
          if (
            typeof stage.ab.probe_rps === 'number' &&
            stage.ab.probe_rps > 0 &&
            stage.ab.source !== 'live' &&
            !plan.tests.health &&
            !plan.tests.edge_cases
          )
            ctx.addIssue({
              code: 'custom',
              path: ['stages', s, 'ab', 'probe_rps'],
              message: 'A/B probes send the inputs of tests.health and tests.edge_cases: give one, or probe_rps: 0',
            });
        }
      });
      releaseProblems(plan).forEach(({ path, message }) => ctx.addIssue({ code: 'custom', path, message }));
      const judged = isObject(plan.tests.canary) ? plan.tests.canary.sources : undefined;
      // Our probes go through the served-model route, which the endpoint's metrics count like users' requests.
      if (Array.isArray(judged) && judged.includes('live') && judged.some((source) => source !== 'live'))
        ctx.addIssue({
          code: 'custom',
          path: ['tests', 'canary', 'sources'],
          message: `live cannot be judged together with ${judged.filter((source) => source !== 'live').join(' or ')}: the endpoint's metrics count our own probe requests as if users sent them, so the live split would look skewed towards 50/50 (a sample-ratio mismatch) and users' errors diluted; judge a stage on [live] alone, or on probes and paired`,
        });
      if (plan.tests.shadow && !plan.tests.health && !plan.tests.edge_cases)
        ctx.addIssue({
          code: 'custom',
          path: ['tests', 'shadow'],
          message: 'the shadow check scores the inputs of tests.health and tests.edge_cases: give at least one',
        });
    },
    { when: (payload) => crossFieldReady(payload.value) },
  );

// ---- Databricks Asset Bundle references (plan files only) -------------------------------------------------------

/*
 * A plan file may take its regions' workspaces from a Databricks Asset Bundle the team already has: `bundle:` at the
 * top (the path of its databricks.yml, relative to the plan) and `workspace: { bundle_target: <target> }` in a region.
 *
 * These are resolved by loadPlan (src/plan/bundle.ts) BEFORE planSchema validates the plan, rather than accepted by
 * planSchema as a third kind of workspace. Plan is what workflows receive and what enters workflow history: keeping
 * `PlanRegion['workspace']` as `{ profile?, host? }` means no workflow, activity or worker ever meets a bundle target
 * or needs the bundle file (which lives in the repository, not on the workers), and the type every consumer compiles
 * against does not change. A second, nearly identical plan schema (or a transform inside this one) would duplicate
 * the cross-field rules or make the resolved plan's type depend on a union. Resolving first also means every rule of
 * planSchema (profile non-empty, host a credential-free URL) applies to what the bundle gave.
 */

/** The plan file's `bundle:` field. */
export const bundlePathSchema = z
  .string({
    error: "write the path of the bundle's databricks.yml, relative to the plan, e.g. bundle: ../databricks.yml",
  })
  .min(1, "write the path of the bundle's databricks.yml, relative to the plan, e.g. bundle: ../databricks.yml");

/** A region's workspace written as a bundle target. */
export const bundleTargetWorkspaceSchema = z.strictObject({
  bundle_target: z
    .string({ error: 'write the name of a target of the bundle, e.g. bundle_target: prod-eu' })
    .min(1, 'write the name of a target of the bundle, e.g. bundle_target: prod-eu'),
});

/** The `workspace` mapping of a bundle (top-level or a target's): the two fields a plan takes from it. */
export const bundleWorkspaceSchema = z
  .looseObject(
    {
      profile: z.string({ error: 'write the ~/.databrickscfg profile name as a string' }).optional(),
      host: z.string({ error: 'write the workspace URL as a string' }).optional(),
    },
    { error: 'workspace must be a mapping (profile, host, ...)' },
  )
  .nullish();

/** A target of a bundle (`targets.<name>`); a target may be empty (`dev:`). */
export const bundleTargetSchema = z
  .looseObject({ workspace: bundleWorkspaceSchema }, { error: 'a target must be a mapping (workspace, mode, ...)' })
  .nullish();

/** What a plan reads of databricks.yml; everything else in it (resources, variables, ...) is left alone. */
export const bundleFileSchema = z.looseObject({
  targets: z.record(z.string(), z.unknown(), { error: 'targets must be a mapping of target names' }).nullish(),
});

/** A plan file as written: a plan whose region workspaces may name bundle targets. loadPlan returns a Plan. */
export type PlanFileInput = Omit<PlanInput, 'regions'> & {
  bundle?: string;
  regions: (Omit<PlanInput['regions'][number], 'workspace'> & {
    workspace: PlanInput['regions'][number]['workspace'] | z.input<typeof bundleTargetWorkspaceSchema>;
  })[];
};

export type PlanInput = z.input<typeof planSchema>;
export type Plan = z.output<typeof planSchema>;
export type PlanRegion = Plan['regions'][number];
export type PlanStage = Plan['stages'][number];
export type GateCheck = (typeof GATE_CHECKS)[number];
