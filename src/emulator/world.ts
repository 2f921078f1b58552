/**
 * The "world" file: every region's workspace, who may call it, what models exist, how they are shared and served,
 * and how each model version behaves when queried. Validated with zod; every error names the path of the bad field.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { readBounded } from '../read-file';
import { durationMs, formatZodIssues } from '../shared/duration';

/** The largest world file, in bytes. */
const MAX_WORLD_BYTES = 5 * 1024 * 1024;

export const REGION_NAME = /^[a-z][a-z0-9-]{1,40}$/;
export const ENDPOINT_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const UC_IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const MODEL_FULL_NAME = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const probability = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** A random duration. A bare duration ("2s", 150) means a constant. */
export const distributionSchema = z.union([
  durationMs.transform((value) => ({ distribution: 'constant' as const, value })),
  z.strictObject({ distribution: z.literal('constant'), value: durationMs }),
  z
    .strictObject({ distribution: z.literal('uniform'), min: durationMs, max: durationMs })
    .refine((d) => d.max >= d.min, {
      message: 'max must be >= min',
      path: ['max'],
    }),
  z.strictObject({ distribution: z.literal('normal'), mean: durationMs, stddev: durationMs }),
  z.strictObject({ distribution: z.literal('exponential'), mean: durationMs }),
  z
    .strictObject({ distribution: z.literal('lognormal'), median: durationMs, p99: durationMs })
    .refine((d) => d.median > 0 && d.p99 >= d.median, { message: 'needs 0 < median <= p99', path: ['p99'] }),
]);
export type Distribution = z.output<typeof distributionSchema>;

/** How a model version answers queries. */
export const predictionSchema = z.union([
  z.strictObject({ constant: z.unknown() }),
  z.strictObject({ formula: z.string().min(1) }),
  z.strictObject({
    table: z.strictObject({ key: z.string().min(1), values: z.record(z.string(), z.unknown()), default: z.unknown() }),
  }),
]);
export type Prediction = z.output<typeof predictionSchema>;

export const behaviorSchema = z.strictObject({
  latency: distributionSchema.default({ distribution: 'constant', value: 10 }),
  error_rate: probability.default(0),
  /** HTTP status of the injected model errors (5xx by default; 4xx to emulate a model rejecting inputs). */
  error_status: z.number().int().min(400).max(599).default(500),
  prediction: predictionSchema.default({ constant: 0 }),
  /** "fail": the container build fails, so a config update that serves this version ends UPDATE_FAILED. */
  deploy: z.enum(['ok', 'fail']).default('ok'),
});
export type Behavior = z.output<typeof behaviorSchema>;
const behaviorRef = z.union([z.string().min(1), behaviorSchema]);

const aliasName = z.string().regex(UC_IDENTIFIER, 'aliases use letters, digits, "_" and "-"');

const versionSchema = z.strictObject({
  version: z.number().int().positive(),
  behavior: behaviorRef,
  status: z.enum(['READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION']).default('READY'),
  aliases: z.array(aliasName).default([]),
  comment: z.string().optional(),
  /** Unity Catalog tags of the version (e.g. serving_jurisdictions: "EU"), read through the MLflow UC API. */
  tags: z.record(z.string().min(1, 'tag keys are not empty'), z.string()).default({}),
});

const modelSchema = z.strictObject({
  name: z.string().regex(MODEL_FULL_NAME, 'write the model as catalog.schema.model'),
  owner: z.string().default('data-science'),
  comment: z.string().optional(),
  versions: z.array(versionSchema).default([]),
});

const servedEntitySchema = z
  .strictObject({
    name: z.string().regex(ENDPOINT_NAME).optional(),
    entity_name: z.string().min(1),
    entity_version: z.union([z.string(), z.number()]).transform(String),
    workload_size: z.string().optional(),
    workload_type: z.string().optional(),
    scale_to_zero_enabled: z.boolean().default(false),
    // The other compute fields, checked as the API checks them when the endpoint is created (entity-fields.ts).
    environment_vars: z.record(z.string(), z.string()).optional(),
    instance_profile_arn: z.string().optional(),
    min_provisioned_concurrency: z.number().optional(),
    max_provisioned_concurrency: z.number().optional(),
    min_provisioned_throughput: z.number().optional(),
    max_provisioned_throughput: z.number().optional(),
    provisioned_model_units: z.number().optional(),
    burst_scaling_enabled: z.boolean().optional(),
  })
  // Small unless provisioned concurrency or model units size it (the API takes one or the other).
  .transform((entity) => {
    const sized =
      entity.min_provisioned_concurrency !== undefined ||
      entity.max_provisioned_concurrency !== undefined ||
      entity.provisioned_model_units !== undefined;
    return { ...entity, workload_size: entity.workload_size ?? (sized ? undefined : 'Small') };
  });

const routeSchema = z.strictObject({
  served_entity_name: z.string().optional(),
  served_model_name: z.string().optional(),
  traffic_percentage: z.number().int(),
});

const liveRps = z.number().min(0, 'must be >= 0').max(10_000, 'at most 10000 requests per second');
const positiveDuration = durationMs.refine((ms) => ms > 0, 'must be longer than 0');
const inputRecord = z.record(z.string(), z.unknown());

/**
 * Users of an endpoint, simulated without anyone calling it (src/emulator/live-traffic.ts): `rps` on average, shaped
 * over metric time, each request one of `inputs` (uniformly, or by weight with {mix: [{weight, record}]}).
 */
export const liveTrafficSchema = z.strictObject({
  rps: liveRps,
  shape: z
    .union([
      z.literal('constant'),
      z.strictObject({
        /** Multipliers of rps: the trough at the start of live traffic, the peak half a period later. */
        diurnal: z
          .strictObject({
            peak: z.number().min(0),
            trough: z.number().min(0),
            period: positiveDuration.default(24 * 3_600_000),
          })
          .refine((d) => d.peak >= d.trough, { message: 'peak must be >= trough', path: ['peak'] }),
      }),
      z.strictObject({
        /** From metric time `at` after the emulator started (ascending), `rps` replaces the rate. */
        steps: z
          .array(z.strictObject({ at: durationMs, rps: liveRps }))
          .min(1)
          .refine((steps) => steps.every((s, i) => i === 0 || s.at >= steps[i - 1].at), {
            message: 'steps must be in ascending order of at',
          }),
      }),
    ])
    .default('constant'),
  inputs: z
    .union([
      z.array(inputRecord).min(1, 'give at least one input record'),
      z.strictObject({
        mix: z.array(z.strictObject({ weight: z.number().positive(), record: inputRecord })).min(1),
      }),
    ])
    .optional(),
});
export type LiveTrafficSpec = z.output<typeof liveTrafficSchema>;

const endpointSchema = z.strictObject({
  name: z.string().regex(ENDPOINT_NAME, 'endpoint names are 1-63 letters, digits, "-" or "_"'),
  served_entities: z.array(servedEntitySchema).min(1),
  traffic_config: z.strictObject({ routes: z.array(routeSchema) }).optional(),
  /** Endpoint fields kept as written (checked as the API checks them on create). */
  tags: z.array(z.strictObject({ key: z.string(), value: z.string().optional() })).optional(),
  budget_policy_id: z.string().optional(),
  email_notifications: z.record(z.string(), z.unknown()).optional(),
  telemetry_config: z.record(z.string(), z.unknown()).optional(),
  /** How long a config update of this endpoint takes (overrides the region's). */
  config_update_duration: distributionSchema.optional(),
  /** Simulated users of the endpoint (docs/emulator.md, "Live traffic"). */
  live_traffic: liveTrafficSchema.optional(),
  /** AI Gateway config, as `ai_gateway` on create (validated by the serving API; docs/emulator.md, "AI Gateway"). */
  ai_gateway: z.record(z.string(), z.unknown()).optional(),
  /** Route-optimized: queried only at its own data-plane URL, with an OAuth token scoped to it (docs/emulator.md). */
  route_optimized: z.boolean().default(false),
});

const sharedCatalogSchema = z.strictObject({
  name: z.string().regex(UC_IDENTIFIER),
  share: z.string().min(1),
});

const rateLimitSchema = z.strictObject({
  /** Management API calls (/api/...) per second and burst; omit for no limit. */
  management_per_second: z.number().positive().optional(),
  management_burst: z.number().int().positive().optional(),
  /** Invocations per second across the workspace (Databricks documents 200 QPS for non-route-optimized endpoints). */
  invocations_per_second: z.number().positive().optional(),
  invocations_burst: z.number().int().positive().optional(),
  /** Serving endpoint create/update operations per 5 minutes (Databricks documents 50 per workspace). */
  config_updates_per_5_minutes: z.number().int().positive().default(50),
  /** Seconds sent in Retry-After on a 429. */
  retry_after_seconds: z.number().int().min(0).default(1),
});

const regionSchema = z.strictObject({
  name: z.string().regex(REGION_NAME, 'region names are lower-case, e.g. eu-west-1'),
  cloud: z.enum(['aws', 'azure', 'gcp']).default('aws'),
  /** 0 (default) picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
  workspace_id: z.number().int().positive().optional(),
  /** The continent for the network model; derived from the region name when omitted (us-/eu-/ap-/...). */
  continent: z.enum(['na', 'sa', 'eu', 'af', 'me', 'ap', 'oc']).optional(),
  /** Delay between a version becoming READY in the primary and appearing in this region's shared catalog. */
  replication_delay: distributionSchema.optional(),
  /** How long a serving config update takes. */
  config_update_duration: distributionSchema.optional(),
  shared_catalogs: z.array(sharedCatalogSchema).default([]),
  endpoints: z.array(endpointSchema).default([]),
  rate_limits: rateLimitSchema.optional(),
});

const principalSchema = z.strictObject({
  name: z.string().min(1),
  /** A personal access token accepted in every workspace the principal belongs to. */
  token: z.string().min(8, 'tokens are at least 8 characters').optional(),
  /** OAuth M2M credentials of a service principal. */
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(8).optional(),
  /** Regions whose workspace the principal belongs to; "*" = all. */
  workspaces: z.array(z.string()).default(['*']),
  serving: z.enum(['CAN_MANAGE', 'CAN_QUERY', 'CAN_VIEW', 'NONE']).default('CAN_MANAGE'),
  unity_catalog: z.enum(['WRITE', 'READ', 'NONE']).default('WRITE'),
});

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fail_config_updates'),
    region: z.string(),
    endpoint: z.string().optional(),
    count: z.number().int().positive().default(1),
    message: z.string().optional(),
  }),
  z.strictObject({
    /** The next update reports success (NOT_UPDATING, config_version + 1) but keeps serving the old entities. */
    kind: z.literal('silent_revert'),
    region: z.string(),
    endpoint: z.string().optional(),
    count: z.number().int().positive().default(1),
  }),
  z.strictObject({ kind: z.literal('stall_replication'), region: z.string() }),
  z.strictObject({
    /** Answer requests with this status (429 or 5xx) and Retry-After, for a number of requests or a while. */
    kind: z.literal('storm'),
    region: z.string(),
    status: z.union([z.literal(429), z.number().int().min(500).max(599)]),
    scope: z.enum(['management', 'invocations', 'all']).default('all'),
    count: z.number().int().positive().optional(),
    duration: durationMs.optional(),
    retry_after_seconds: z.number().int().min(0).default(1),
    probability: probability.default(1),
  }),
  z.strictObject({
    /** Destroy the connection without an answer ("drop") or never answer ("hang"). */
    kind: z.enum(['drop_connections', 'hang_connections']),
    region: z.string(),
    scope: z.enum(['management', 'invocations', 'all']).default('all'),
    count: z.number().int().positive().optional(),
    duration: durationMs.optional(),
    probability: probability.default(1),
  }),
  z.strictObject({
    /** Make a version worse (or better) when queried, everywhere or in one region. */
    kind: z.literal('degrade_version'),
    region: z.string().optional(),
    model: z.string().regex(MODEL_FULL_NAME),
    version: z.number().int().positive(),
    error_rate: probability.optional(),
    extra_latency: distributionSchema.optional(),
    latency_factor: z.number().positive().optional(),
  }),
]);
export type FaultSpec = z.output<typeof faultSchema>;

const networkSchema = z.strictObject({
  /** Round trip between a client and a workspace in the same region (the blog's ~50 ms in-region). */
  in_region_ms: z.number().min(0).default(50),
  /** Same continent, different region. */
  same_continent_ms: z.number().min(0).default(75),
  /** Across the Atlantic (na <-> eu): the blog's 100-150 ms. */
  transatlantic_ms: z.number().min(0).default(125),
  /** Any other pair of continents. */
  intercontinental_ms: z.number().min(0).default(200),
  /** Relative jitter (0.1 = +-10%). */
  jitter: z.number().min(0).max(1).default(0.1),
  overrides: z.array(z.strictObject({ from: z.string(), to: z.string(), rtt_ms: z.number().min(0) })).default([]),
});

export const worldSchema = z
  .strictObject({
    seed: z.number().int().default(1),
    /**
     * How fast the metric clock runs: metric minutes pass `time_scale` times faster than real ones (60: a metric
     * minute per real second). Only the metrics export and live traffic follow it; everything else is real time.
     */
    time_scale: z.number().positive('must be > 0').max(1_000_000, 'at most 1000000').default(1),
    /**
     * Emulator extension: how many completed metric minutes the metrics export shows, each with its own timestamp
     * (Databricks shows the last one: 1, the default). With a fast time_scale, a client that reads less often than
     * once per metric minute would otherwise miss minutes.
     */
    metrics_export_minutes: z.number().int().min(1).max(60, 'at most 60 (the minutes kept)').default(1),
    primary: z.string(),
    defaults: z
      .strictObject({
        replication_delay: distributionSchema.default({ distribution: 'lognormal', median: 2000, p99: 8000 }),
        config_update_duration: distributionSchema.default({ distribution: 'constant', value: 3000 }),
        registration_duration: distributionSchema.default({ distribution: 'constant', value: 1000 }),
        oauth_token_ttl_seconds: z.number().int().positive().default(3600),
      })
      .prefault({}),
    network: networkSchema.prefault({}),
    principals: z.array(principalSchema).min(1, 'declare at least one principal with a token or OAuth client'),
    behaviors: z.record(z.string(), behaviorSchema).default({}),
    regions: z.array(regionSchema).min(1),
    models: z.array(modelSchema).default([]),
    sharing: z
      .strictObject({
        /** The provider name recipients see (defaults to "<primary>-provider"). */
        provider_name: z.string().regex(UC_IDENTIFIER).optional(),
        shares: z
          .array(
            z.strictObject({
              name: z.string().regex(UC_IDENTIFIER),
              /** MODEL objects by full name in the primary; string_shared_as renames schema.model for recipients. */
              objects: z.array(
                z.strictObject({
                  name: z.string().regex(MODEL_FULL_NAME),
                  data_object_type: z.literal('MODEL').default('MODEL'),
                  string_shared_as: z
                    .string()
                    .regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, 'string_shared_as is <schema>.<model>')
                    .optional(),
                }),
              ),
              /** Regions whose workspace is a recipient of this share (SELECT granted). */
              recipients: z.array(z.string()).default([]),
            }),
          )
          .default([]),
      })
      .prefault({}),
    faults: z.array(faultSchema).default([]),
  })
  .superRefine((world, ctx) => {
    const regions = new Set<string>();
    world.regions.forEach((region, index) => {
      if (regions.has(region.name))
        ctx.addIssue({
          code: 'custom',
          path: ['regions', index, 'name'],
          message: `duplicate region "${region.name}"`,
        });
      regions.add(region.name);
    });
    if (!regions.has(world.primary))
      ctx.addIssue({ code: 'custom', path: ['primary'], message: `"${world.primary}" is not one of regions[].name` });
    const ports = new Map<number, number>();
    world.regions.forEach((region, index) => {
      if (region.port === 0) return;
      if (ports.has(region.port))
        ctx.addIssue({
          code: 'custom',
          path: ['regions', index, 'port'],
          message: `port ${region.port} is used twice`,
        });
      ports.set(region.port, index);
    });
    const known = (name: string) => name === '*' || regions.has(name);
    world.principals.forEach((principal, index) => {
      if (!principal.token && !principal.client_id)
        ctx.addIssue({
          code: 'custom',
          path: ['principals', index],
          message: 'give a token or a client_id/client_secret',
        });
      if (!!principal.client_id !== !!principal.client_secret)
        ctx.addIssue({
          code: 'custom',
          path: ['principals', index, 'client_secret'],
          message: 'client_id and client_secret go together',
        });
      principal.workspaces.forEach((name, i) => {
        if (!known(name))
          ctx.addIssue({
            code: 'custom',
            path: ['principals', index, 'workspaces', i],
            message: `unknown region "${name}"`,
          });
      });
    });
    const behaviorNames = new Set(Object.keys(world.behaviors));
    const modelNames = new Set<string>();
    world.models.forEach((model, index) => {
      if (modelNames.has(model.name))
        ctx.addIssue({ code: 'custom', path: ['models', index, 'name'], message: `duplicate model "${model.name}"` });
      modelNames.add(model.name);
      const versions = new Set<number>();
      const aliases = new Set<string>();
      model.versions.forEach((version, v) => {
        if (versions.has(version.version))
          ctx.addIssue({
            code: 'custom',
            path: ['models', index, 'versions', v, 'version'],
            message: 'duplicate version',
          });
        versions.add(version.version);
        if (typeof version.behavior === 'string' && !behaviorNames.has(version.behavior))
          ctx.addIssue({
            code: 'custom',
            path: ['models', index, 'versions', v, 'behavior'],
            message: `unknown behavior "${version.behavior}"; define it under behaviors:`,
          });
        version.aliases.forEach((alias, a) => {
          if (aliases.has(alias))
            ctx.addIssue({
              code: 'custom',
              path: ['models', index, 'versions', v, 'aliases', a],
              message: `alias "${alias}" already points to another version`,
            });
          aliases.add(alias);
        });
      });
    });
    const shareNames = new Set<string>();
    world.sharing.shares.forEach((share, index) => {
      shareNames.add(share.name);
      share.objects.forEach((object, o) => {
        if (!modelNames.has(object.name))
          ctx.addIssue({
            code: 'custom',
            path: ['sharing', 'shares', index, 'objects', o, 'name'],
            message: `model "${object.name}" is not declared under models:`,
          });
      });
      share.recipients.forEach((recipient, r) => {
        if (!regions.has(recipient) || recipient === world.primary)
          ctx.addIssue({
            code: 'custom',
            path: ['sharing', 'shares', index, 'recipients', r],
            message: regions.has(recipient)
              ? `"${recipient}" is the primary; recipients are the other regions`
              : `unknown region "${recipient}"; recipients are regions[].name other than the primary`,
          });
      });
    });
    world.regions.forEach((region, index) => {
      region.shared_catalogs.forEach((catalog, c) => {
        const share = world.sharing.shares.find((s) => s.name === catalog.share);
        if (!share)
          ctx.addIssue({
            code: 'custom',
            path: ['regions', index, 'shared_catalogs', c, 'share'],
            message: `unknown share "${catalog.share}"; declare it under sharing.shares`,
          });
        else if (!share.recipients.includes(region.name))
          ctx.addIssue({
            code: 'custom',
            path: ['regions', index, 'shared_catalogs', c, 'share'],
            message: `region "${region.name}" is not a recipient of share "${catalog.share}"`,
          });
      });
      const endpointNames = new Set<string>();
      region.endpoints.forEach((endpoint, e) => {
        if (endpointNames.has(endpoint.name))
          ctx.addIssue({
            code: 'custom',
            path: ['regions', index, 'endpoints', e, 'name'],
            message: 'duplicate endpoint',
          });
        endpointNames.add(endpoint.name);
      });
    });
    world.faults.forEach((fault, index) => {
      if ('region' in fault && fault.region !== undefined && !regions.has(fault.region))
        ctx.addIssue({
          code: 'custom',
          path: ['faults', index, 'region'],
          message: `unknown region "${fault.region}"`,
        });
    });
  });

export type WorldInput = z.input<typeof worldSchema>;
export type World = z.output<typeof worldSchema>;
export type RegionSpec = World['regions'][number];
export type PrincipalSpec = World['principals'][number];
export type EndpointSpec = RegionSpec['endpoints'][number];

export class WorldError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid world ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorldError';
  }
}

export function parseWorld(input: unknown, source = '(inline)'): World {
  const result = worldSchema.safeParse(input);
  if (!result.success) throw new WorldError(source, formatZodIssues(result.error));
  return result.data;
}

export function loadWorldFile(path: string): World {
  // Bounded, and regular files only: a world path that is /dev/zero or a FIFO must not hang the emulator.
  const read = readBounded(path, MAX_WORLD_BYTES);
  if (!read.ok)
    throw new WorldError(path, [
      read.reason === 'too-big'
        ? 'the file is over 5 MiB; a world file is a few KiB'
        : read.reason === 'not-regular'
          ? `the file is ${read.kind}, not a regular file; name a file`
          : `cannot read the file: ${read.message}`,
    ]);
  const text = read.bytes.toString('utf8');
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new WorldError(path, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parseWorld(document, path);
}

/** Resolves a version's behavior reference against the world's named behaviors. */
export function resolveBehavior(world: World, ref: string | Behavior): Behavior {
  if (typeof ref !== 'string') return ref;
  const behavior = world.behaviors[ref];
  if (!behavior) throw new Error(`unknown behavior "${ref}"`);
  return behavior;
}
