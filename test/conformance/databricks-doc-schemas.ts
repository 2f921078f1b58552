/**
 * Strict zod schemas of the Databricks REST responses the emulator produces, written ONLY from
 * /work/shared/docs/databricks-api.md ("the doc"). Every schema cites the section it comes from (`// §x.y`).
 *
 * Rules applied throughout:
 * - Objects are `z.strictObject`: a field the doc does not list for that object fails validation.
 * - Fields are optional unless the doc says they are always present or required.
 * - `null` is never accepted (§0 "Absent fields": omit unset fields rather than send `null`).
 * - Timestamps are int64 epoch milliseconds (§0 "Timestamps"), checked to be plausible.
 * - Enums are exactly the doc's lists.
 *
 * Also exports the §4.2 error_code → HTTP status mapping and a Prometheus text-exposition validator (§1.8).
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

/** §0 Timestamps: int64 epoch milliseconds. Plausible = after 2017-07 (1.5e12) and before 2100 (4.1e12). */
export const epochMs = z
  .number()
  .int('epoch milliseconds must be an integer')
  .gt(1.5e12, 'not plausible epoch milliseconds (seconds instead of ms?)')
  .lt(4.1e12, 'not plausible epoch milliseconds (microseconds?)');

/** Any JSON value except `null` (§0 "Absent fields"), recursively. */
export const nonNullJson: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.array(nonNullJson), z.record(z.string(), nonNullJson)]),
);

/** A JSON object whose shape the doc does not give ("—" in the doc); values must still not be `null`. */
const opaqueObject = z.record(z.string(), nonNullJson);

const int64 = z.number().int();
const nonNegInt = z.number().int().min(0);

// ---------------------------------------------------------------------------------------------------------------
// §1 Model Serving
// ---------------------------------------------------------------------------------------------------------------

/** §1.4 `permission_level`; §1.1 permissions API levels. */
export const servingPermissionLevel = z.enum(['CAN_MANAGE', 'CAN_QUERY', 'CAN_VIEW']);

/** §1.4 `state.ready`. */
export const endpointReady = z.enum(['READY', 'NOT_READY']);
/** §1.4 `state.config_update`. */
export const endpointConfigUpdate = z.enum(['NOT_UPDATING', 'IN_PROGRESS', 'UPDATE_FAILED', 'UPDATE_CANCELED']);

/**
 * §1.4 `state: {ready, config_update}`. Both are present in the real-cloud create response of §1.2
 * (`"state":{"config_update":"NOT_UPDATING","ready":"NOT_READY"}`), so both are required.
 * (`update_state` from an older page is explicitly NOT the field name: §1.4 note.)
 */
export const endpointStateSchema = z.strictObject({
  ready: endpointReady,
  config_update: endpointConfigUpdate,
});

/** §1.4 served entity `state.deployment`. */
export const deploymentState = z.enum([
  'DEPLOYMENT_CREATING',
  'DEPLOYMENT_READY',
  'DEPLOYMENT_FAILED',
  'DEPLOYMENT_ABORTED',
  'DEPLOYMENT_RECOVERING',
]);

/** §1.4 `state: {deployment, deployment_state_message}` of a served entity / served model. */
export const servedEntityStateSchema = z.strictObject({
  deployment: deploymentState.optional(),
  deployment_state_message: z.string().optional(),
});

/** §1.3 `workload_type`. */
export const workloadType = z.enum([
  'CPU',
  'CPU_LARGE',
  'CPU_MEDIUM',
  'GPU_SMALL',
  'GPU_MEDIUM',
  'GPU_LARGE',
  'GPU_XLARGE',
  'GPU_XLARGE_8',
  'MULTIGPU_MEDIUM',
]);

/** §1.1: names are alphanumerics, dashes and underscores; §1.3: served entity names likewise. */
const servingName = z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'alphanumerics, "-" and "_" (1..63)');

/**
 * §1.3 compute fields shared by `ServedEntityInput` and `ServedModelInput` ("Otherwise the same compute fields").
 * `burst_scaling_enabled` is deliberately absent: §1.3 "burst_scaling_enabled is not echoed on GET".
 * `*_plaintext` secrets are never returned (§1.3), so no such field is accepted either.
 */
const computeOutputFields = {
  workload_size: z.string().min(1).optional(), // §1.3 "Small" | "Medium" | "Large" | custom sizes
  scale_to_zero_enabled: z.boolean().optional(),
  workload_type: workloadType.optional(),
  environment_vars: z.record(z.string(), z.string()).optional(),
  instance_profile_arn: z.string().optional(),
  min_provisioned_concurrency: nonNegInt.optional(),
  max_provisioned_concurrency: nonNegInt.optional(),
  min_provisioned_throughput: nonNegInt.optional(),
  max_provisioned_throughput: nonNegInt.optional(),
  provisioned_model_units: int64.optional(),
};

/** §1.4 output additions: "The input fields, plus creator, creation_timestamp, foundation_model, and state". */
const outputAdditions = {
  creator: z.string().optional(),
  creation_timestamp: epochMs.optional(),
  foundation_model: opaqueObject.optional(),
  state: servedEntityStateSchema.optional(),
};

/** §1.4 `ServedEntityOutput` = §1.3 `ServedEntityInput` + output additions. `entity_version` is a string (§1.3). */
export const servedEntityOutputSchema = z.strictObject({
  name: servingName.optional(),
  entity_name: z.string().min(1).optional(),
  entity_version: z.string().min(1).optional(),
  external_model: opaqueObject.optional(),
  ...computeOutputFields,
  ...outputAdditions,
});

/** §1.4 `ServedModelOutput` = §1.3 `ServedModelInput` (legacy; model_version is a string) + output additions. */
export const servedModelOutputSchema = z.strictObject({
  name: servingName.optional(),
  model_name: z.string().min(1).optional(),
  model_version: z.string().min(1).optional(),
  ...computeOutputFields,
  ...outputAdditions,
});

/** §1.3 `Route`: `traffic_percentage` is an int in 0..100 and "always serialized". */
export const routeSchema = z.strictObject({
  served_model_name: z.string().optional(),
  served_entity_name: z.string().optional(),
  traffic_percentage: z.number().int().min(0).max(100),
});

/** §1.3 `traffic_config: {routes: [Route]}`. */
export const trafficConfigSchema = z.strictObject({ routes: z.array(routeSchema).optional() });

/** §1.3 `auto_capture_config: {catalog_name, schema_name, table_name_prefix, enabled}`. */
export const autoCaptureConfigSchema = z.strictObject({
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  table_name_prefix: z.string().optional(),
  enabled: z.boolean().optional(),
});

/** §1.4 `config: EndpointCoreConfigOutput` — "the config currently being served". */
export const endpointCoreConfigOutputSchema = z.strictObject({
  served_entities: z.array(servedEntityOutputSchema).optional(),
  served_models: z.array(servedModelOutputSchema).optional(),
  traffic_config: trafficConfigSchema.optional(),
  auto_capture_config: autoCaptureConfigSchema.optional(),
  config_version: int64.min(1).optional(),
});

/** §1.4 `pending_config: EndpointPendingConfig` — adds `start_time` (int64, ms). */
export const endpointPendingConfigSchema = z.strictObject({
  served_entities: z.array(servedEntityOutputSchema).optional(),
  served_models: z.array(servedModelOutputSchema).optional(),
  traffic_config: trafficConfigSchema.optional(),
  auto_capture_config: autoCaptureConfigSchema.optional(),
  config_version: int64.min(1).optional(),
  start_time: epochMs.optional(),
});

/** §1.2 `tags: [{key, value?}]`. */
export const endpointTagSchema = z.strictObject({ key: z.string().min(1), value: z.string().optional() });

/** §1.4 `data_plane_info: {query_info: {endpoint_url, authorization_details}}`. */
export const dataPlaneInfoSchema = z.strictObject({
  query_info: z
    .strictObject({
      endpoint_url: z.string().optional(),
      authorization_details: nonNullJson.optional(),
    })
    .optional(),
});

/**
 * §1.4 `ServingEndpointDetailed` (GET / PUT config / POST create). `name` and `state` are required: both are present
 * in the real-cloud create response of §1.2 (even for an endpoint created without config).
 */
export const servingEndpointDetailedSchema = z
  .strictObject({
    name: servingName,
    id: z.string().min(1).optional(),
    creator: z.string().optional(),
    creation_timestamp: epochMs.optional(),
    last_updated_timestamp: epochMs.optional(),
    state: endpointStateSchema,
    config: endpointCoreConfigOutputSchema.optional(),
    pending_config: endpointPendingConfigSchema.optional(),
    permission_level: servingPermissionLevel.optional(),
    route_optimized: z.boolean().optional(),
    endpoint_url: z.string().optional(),
    data_plane_info: dataPlaneInfoSchema.optional(),
    tags: z.array(endpointTagSchema).optional(),
    task: z.string().optional(),
    description: z.string().optional(), // §1.3: "description is always echoed (empty string when unset)"
    ai_gateway: opaqueObject.optional(),
    budget_policy_id: z.string().optional(),
    email_notifications: opaqueObject.optional(),
    telemetry_config: opaqueObject.optional(),
  })
  .superRefine((endpoint, ctx) => {
    // §1.4: "endpoint_url is present if route-optimized".
    if (endpoint.endpoint_url !== undefined && endpoint.route_optimized !== true)
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint_url'],
        message: 'endpoint_url is only present if route-optimized',
      });
    // §1.4: READY means all served entities in the active config are ready.
    if (endpoint.state.ready === 'READY') {
      const entities = [...(endpoint.config?.served_entities ?? []), ...(endpoint.config?.served_models ?? [])];
      entities.forEach((entity, i) => {
        const deployment = entity.state?.deployment;
        if (deployment !== undefined && deployment !== 'DEPLOYMENT_READY')
          ctx.addIssue({
            code: 'custom',
            path: ['config', 'served_entities', i, 'state', 'deployment'],
            message: `state.ready is READY but an active served entity is ${deployment}`,
          });
      });
    }
  });

/**
 * §1.4 "List summary form" (`ServingEndpoint`): `config` is `EndpointCoreConfigSummary`
 * `{served_entities:[{name, entity_name, entity_version, external_model, foundation_model}],
 *   served_models:[{name, model_name, model_version}]}`.
 */
export const servingEndpointSummarySchema = z.strictObject({
  name: servingName,
  id: z.string().min(1).optional(),
  creator: z.string().optional(),
  creation_timestamp: epochMs.optional(),
  last_updated_timestamp: epochMs.optional(),
  state: endpointStateSchema.optional(),
  config: z
    .strictObject({
      served_entities: z
        .array(
          z.strictObject({
            name: servingName.optional(),
            entity_name: z.string().min(1).optional(),
            entity_version: z.string().min(1).optional(),
            external_model: opaqueObject.optional(),
            foundation_model: opaqueObject.optional(),
          }),
        )
        .optional(),
      served_models: z
        .array(
          z.strictObject({
            name: servingName.optional(),
            model_name: z.string().min(1).optional(),
            model_version: z.string().min(1).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  tags: z.array(endpointTagSchema).optional(),
  task: z.string().optional(),
  description: z.string().optional(),
  ai_gateway: opaqueObject.optional(),
  budget_policy_id: z.string().optional(),
  usage_policy_id: z.string().optional(),
  telemetry_config: opaqueObject.optional(),
});

/** §1.1 `GET /api/2.0/serving-endpoints` → `{"endpoints":[ServingEndpoint]}`. */
export const listServingEndpointsResponseSchema = z.strictObject({
  endpoints: z.array(servingEndpointSummarySchema).optional(),
});

/** §1.1 build-logs and logs → `{"logs": string}`. */
export const servedModelLogsResponseSchema = z.strictObject({ logs: z.string().optional() });

/** §1.7 `QueryEndpointResponse` for custom models: `predictions: [any]`. */
export const queryEndpointCustomModelResponseSchema = z.strictObject({
  predictions: z.array(nonNullJson),
});

/** §1.1 PATCH tags → `{"tags":[...]}`. */
export const patchTagsResponseSchema = z.strictObject({ tags: z.array(endpointTagSchema).optional() });

// ---------------------------------------------------------------------------------------------------------------
// §2 Unity Catalog models
// ---------------------------------------------------------------------------------------------------------------

/** §2.3 `RegisteredModelAlias`: `alias_name`, `version_num` (int), `catalog_name`, `schema_name`, `model_name`, `id`. */
export const registeredModelAliasSchema = z.strictObject({
  alias_name: z.string().min(1).optional(),
  version_num: z.number().int().positive().optional(),
  catalog_name: z.string().min(1).optional(),
  schema_name: z.string().min(1).optional(),
  model_name: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
});

/** §2.3 `RegisteredModelInfo`. */
export const registeredModelInfoSchema = z
  .strictObject({
    full_name: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    catalog_name: z.string().min(1).optional(),
    schema_name: z.string().min(1).optional(),
    owner: z.string().optional(),
    comment: z.string().optional(),
    storage_location: z.string().optional(),
    metastore_id: z.string().optional(),
    created_at: epochMs.optional(),
    created_by: z.string().optional(),
    updated_at: epochMs.optional(),
    updated_by: z.string().optional(),
    aliases: z.array(registeredModelAliasSchema).optional(),
    browse_only: z.boolean().optional(),
  })
  .superRefine((model, ctx) => {
    // §0 "UC full names such as cat.sch.model"; §2.3 full_name / name / catalog_name / schema_name.
    if (model.full_name && model.catalog_name && model.schema_name && model.name) {
      const expected = `${model.catalog_name}.${model.schema_name}.${model.name}`;
      if (model.full_name !== expected)
        ctx.addIssue({ code: 'custom', path: ['full_name'], message: `full_name should be ${expected}` });
    }
  });

/** §2.3 `ModelVersionInfo.status`. */
export const modelVersionStatus = z.enum([
  'PENDING_REGISTRATION',
  'READY',
  'FAILED_REGISTRATION',
  'MODEL_VERSION_STATUS_UNKNOWN',
]);

/** §2.3 `model_version_dependencies.dependencies[]`: one of table / function / connection / credential. */
const modelVersionDependencySchema = z.union([
  z.strictObject({ table: z.strictObject({ table_full_name: z.string() }) }),
  z.strictObject({ function: z.strictObject({ function_full_name: z.string() }) }),
  z.strictObject({ connection: opaqueObject }),
  z.strictObject({ credential: opaqueObject }),
]);

/** §2.3 `ModelVersionInfo`. `version` is an **int**; `model_name` is relative to the schema. */
export const modelVersionInfoSchema = z.strictObject({
  model_name: z
    .string()
    .min(1)
    .refine((name) => !name.includes('.'), 'model_name is relative to the schema (no dots)')
    .optional(),
  catalog_name: z.string().min(1).optional(),
  schema_name: z.string().min(1).optional(),
  version: z.number().int().positive().optional(),
  status: modelVersionStatus.optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  run_workspace_id: z.number().int().optional(),
  storage_location: z.string().optional(),
  aliases: z.array(registeredModelAliasSchema).optional(),
  comment: z.string().optional(),
  id: z.string().min(1).optional(),
  metastore_id: z.string().optional(),
  created_at: epochMs.optional(),
  created_by: z.string().optional(),
  updated_at: epochMs.optional(),
  updated_by: z.string().optional(),
  model_version_dependencies: z
    .strictObject({ dependencies: z.array(modelVersionDependencySchema).optional() })
    .optional(),
});

/** §2.2: `next_page_token` is absent on the last page (so never `""` or `null`). */
const nextPageToken = z.string().min(1, 'next_page_token must be absent, not empty, on the last page').optional();

/** §2.1 list models → `{registered_models:[...], next_page_token?}`. */
export const listRegisteredModelsResponseSchema = z.strictObject({
  registered_models: z.array(registeredModelInfoSchema).optional(),
  next_page_token: nextPageToken,
});

/**
 * §2.1 list versions → `{model_versions:[...], next_page_token?}`.
 * §2.2: "The elements in the response will not contain any aliases or tags."
 */
export const listModelVersionsResponseSchema = z.strictObject({
  model_versions: z
    .array(
      modelVersionInfoSchema.refine((v) => v.aliases === undefined, {
        message: 'list versions elements must not contain aliases (§2.2)',
        path: ['aliases'],
      }),
    )
    .optional(),
  next_page_token: nextPageToken,
});

// ---------------------------------------------------------------------------------------------------------------
// §3 Delta Sharing and catalogs
// ---------------------------------------------------------------------------------------------------------------

/** §3.3 `catalog_type`: DELTASHARING_CATALOG plus the other GO `CatalogType` values. */
export const catalogType = z.enum([
  'DELTASHARING_CATALOG',
  'MANAGED_CATALOG',
  'FOREIGN_CATALOG',
  'INTERNAL_CATALOG',
  'MANAGED_ONLINE_CATALOG',
  'SYSTEM_CATALOG',
]);

/**
 * §3.3 `CatalogInfo`, as far as the doc describes it: the create body `{name, provider_name, share_name, comment?}` is
 * echoed with `catalog_type`. The common UC fields `owner`, `metastore_id`, `created_at`, `created_by`, `updated_at`,
 * `updated_by` are justified by §0 "Timestamps" ("UC objects: created_at and updated_at are epoch milliseconds") and
 * the shape every UC object in §2.3 / §3.1 / §3.2 / §3.3 shares. Nothing else (the doc lists nothing else).
 */
export const catalogInfoSchema = z
  .strictObject({
    name: z.string().min(1),
    catalog_type: catalogType.optional(),
    provider_name: z.string().min(1).optional(),
    share_name: z.string().min(1).optional(),
    comment: z.string().optional(),
    owner: z.string().optional(),
    metastore_id: z.string().optional(),
    created_at: epochMs.optional(),
    created_by: z.string().optional(),
    updated_at: epochMs.optional(),
    updated_by: z.string().optional(),
  })
  .superRefine((catalog, ctx) => {
    // §3.3: a DELTASHARING_CATALOG "echoes provider_name and share_name".
    if (catalog.catalog_type === 'DELTASHARING_CATALOG') {
      if (!catalog.provider_name)
        ctx.addIssue({
          code: 'custom',
          path: ['provider_name'],
          message: 'a DELTASHARING_CATALOG echoes provider_name',
        });
      if (!catalog.share_name)
        ctx.addIssue({ code: 'custom', path: ['share_name'], message: 'a DELTASHARING_CATALOG echoes share_name' });
    }
  });

/** §3.1 `data_object_type`. */
export const dataObjectType = z.enum([
  'TABLE',
  'VIEW',
  'MATERIALIZED_VIEW',
  'STREAMING_TABLE',
  'FOREIGN_TABLE',
  'SCHEMA',
  'VOLUME',
  'MODEL',
  'NOTEBOOK_FILE',
  'FUNCTION',
  'FEATURE_SPEC',
]);

/** §3.1 `SharedDataObject.status`. */
export const sharedDataObjectStatus = z.enum(['ACTIVE', 'PERMISSION_DENIED']);

/** §3.1 `SharedDataObject`. `name` is required. */
export const sharedDataObjectSchema = z
  .strictObject({
    name: z.string().min(1),
    data_object_type: dataObjectType.optional(),
    history_data_sharing_status: z.enum(['ENABLED', 'DISABLED']).optional(),
    // "a 2-part <schema>.<model> using only alphanumerics and _. Omit it entirely rather than send """
    string_shared_as: z
      .string()
      .regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, 'string_shared_as is <schema>.<name> (alphanumerics and _)')
      .optional(),
    shared_as: z.string().optional(),
    status: sharedDataObjectStatus.optional(),
    comment: z.string().optional(),
    added_at: epochMs.optional(),
    added_by: z.string().optional(),
    cdf_enabled: z.boolean().optional(),
    start_version: int64.optional(),
    partitions: z.array(nonNullJson).optional(),
    content: z.string().optional(),
  })
  .superRefine((object, ctx) => {
    if (object.data_object_type === 'MODEL') {
      // §3.1: shared_as is for tables only and "must be omitted entirely" for MODEL.
      if (object.shared_as !== undefined)
        ctx.addIssue({ code: 'custom', path: ['shared_as'], message: 'shared_as must be omitted for MODEL' });
      // §3.1: "for a model, catalog.schema.model".
      if (!/^[^.]+\.[^.]+\.[^.]+$/.test(object.name))
        ctx.addIssue({ code: 'custom', path: ['name'], message: 'a MODEL object is named catalog.schema.model' });
    }
  });

/** §3.1 `ShareInfo`. */
export const shareInfoSchema = z.strictObject({
  name: z.string().min(1),
  owner: z.string().optional(),
  comment: z.string().optional(),
  created_at: epochMs.optional(),
  created_by: z.string().optional(),
  updated_at: epochMs.optional(),
  updated_by: z.string().optional(),
  storage_root: z.string().optional(),
  storage_location: z.string().optional(),
  objects: z.array(sharedDataObjectSchema).optional(),
});

/** §3.1 list shares → `{shares:[ShareInfo], next_page_token?}`. */
export const listSharesResponseSchema = z.strictObject({
  shares: z.array(shareInfoSchema).optional(),
  next_page_token: nextPageToken,
});

/** §3.2 `authentication_type`. */
export const authenticationType = z.enum(['DATABRICKS', 'TOKEN', 'OAUTH_CLIENT_CREDENTIALS', 'OIDC_FEDERATION']);

/** §3.2 "format cloud:region:metastore-uuid". */
const globalMetastoreId = z
  .string()
  .regex(/^[a-z0-9]+:[a-z0-9-]+:[A-Za-z0-9-]+$/, 'global metastore ids are cloud:region:metastore-uuid');

/** §3.3 `ProviderInfo`. */
export const providerInfoSchema = z
  .strictObject({
    name: z.string().min(1),
    authentication_type: authenticationType.optional(),
    data_provider_global_metastore_id: globalMetastoreId.optional(),
    metastore_id: z.string().optional(),
    cloud: z.string().optional(),
    region: z.string().optional(),
    owner: z.string().optional(),
    comment: z.string().optional(),
    created_at: epochMs.optional(),
    created_by: z.string().optional(),
    updated_at: epochMs.optional(),
    updated_by: z.string().optional(),
    recipient_profile: opaqueObject.optional(),
  })
  .superRefine((provider, ctx) => {
    // §3.3: "The metastore id, cloud and region are present only for DATABRICKS type."
    if (provider.authentication_type !== 'DATABRICKS')
      for (const key of ['data_provider_global_metastore_id', 'metastore_id', 'cloud', 'region'] as const)
        if (provider[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is present only for DATABRICKS providers` });
  });

/** §3.3 provider shares list → `{shares:[{name}], next_page_token?}` — "Only share names." */
export const listProviderSharesResponseSchema = z.strictObject({
  shares: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
  next_page_token: nextPageToken,
});

/** §3.2 `RecipientInfo` = the create body fields + `activated`, `activation_url`, `cloud`, `region`, ... */
export const recipientInfoSchema = z
  .strictObject({
    name: z.string().min(1),
    authentication_type: authenticationType.optional(),
    data_recipient_global_metastore_id: globalMetastoreId.optional(),
    comment: z.string().optional(),
    owner: z.string().optional(),
    ip_access_list: opaqueObject.optional(),
    properties_kvpairs: opaqueObject.optional(),
    sharing_code: z.string().optional(),
    activated: z.boolean().optional(),
    activation_url: z.string().optional(),
    cloud: z.string().optional(),
    region: z.string().optional(),
    metastore_id: z.string().optional(),
    tokens: z.array(opaqueObject).optional(),
    created_at: epochMs.optional(),
    created_by: z.string().optional(),
    updated_at: epochMs.optional(),
    updated_by: z.string().optional(),
  })
  .superRefine((recipient, ctx) => {
    // §3.2: data_recipient_global_metastore_id "only for DATABRICKS"; tokens "TOKEN type only".
    if (recipient.data_recipient_global_metastore_id !== undefined && recipient.authentication_type !== 'DATABRICKS')
      ctx.addIssue({
        code: 'custom',
        path: ['data_recipient_global_metastore_id'],
        message: 'only for DATABRICKS recipients',
      });
    if (recipient.tokens !== undefined && recipient.authentication_type !== 'TOKEN')
      ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'tokens are for TOKEN recipients only' });
  });

/** §3.1 share permissions → `{privilege_assignments:[{principal, privileges:[...]}]}`. */
export const sharePermissionsResponseSchema = z.strictObject({
  privilege_assignments: z
    .array(z.strictObject({ principal: z.string().min(1), privileges: z.array(z.string().min(1)).optional() }))
    .optional(),
});

/*
 * List routes the doc does not describe (it gives no path or shape for listing catalogs, recipients or providers). The
 * emulator serves them, so they are checked by ANALOGY with the §2.1 / §3.1 list shapes `{<plural>:[Info],
 * next_page_token?}`; the items use the doc's schemas above. A failure here is weaker evidence than elsewhere.
 */
/** By analogy with §3.1 (list shares): `{catalogs:[CatalogInfo], next_page_token?}`. */
export const listCatalogsResponseSchema = z.strictObject({
  catalogs: z.array(catalogInfoSchema).optional(),
  next_page_token: nextPageToken,
});
/** By analogy with §3.1: `{recipients:[RecipientInfo], next_page_token?}`. */
export const listRecipientsResponseSchema = z.strictObject({
  recipients: z.array(recipientInfoSchema).optional(),
  next_page_token: nextPageToken,
});
/** By analogy with §3.1: `{providers:[ProviderInfo], next_page_token?}`. */
export const listProvidersResponseSchema = z.strictObject({
  providers: z.array(providerInfoSchema).optional(),
  next_page_token: nextPageToken,
});

// ---------------------------------------------------------------------------------------------------------------
// §4 Errors
// ---------------------------------------------------------------------------------------------------------------

const GOOGLE_RPC = 'type.googleapis.com/google.rpc.';

/** §4.1 `details[]` items, by `@type`. Types whose fields the doc gives as "—" only have their `@type` checked. */
export const errorDetailSchema = z.union([
  z.strictObject({
    '@type': z.literal(`${GOOGLE_RPC}ErrorInfo`),
    reason: z.string().optional(),
    domain: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({
    '@type': z.literal(`${GOOGLE_RPC}RequestInfo`),
    request_id: z.string().optional(),
    serving_data: z.string().optional(),
  }),
  z.strictObject({
    '@type': z.literal(`${GOOGLE_RPC}RetryInfo`),
    retry_delay: z
      .string()
      .regex(/^\d+(\.\d+)?s$/, 'retry_delay is a duration like "3s"')
      .optional(),
  }),
  z.looseObject({
    '@type': z.enum(
      ['DebugInfo', 'QuotaFailure', 'PreconditionFailure', 'BadRequest', 'ResourceInfo', 'Help'].map(
        (name) => `${GOOGLE_RPC}${name}`,
      ) as [string, ...string[]],
    ),
  }),
]);

/**
 * §4.1 error body `{error_code, message, details?}`. `error_code` is a string (the integer form is for "some legacy
 * endpoints", none of which the emulator implements).
 */
export const errorBodySchema = z.strictObject({
  error_code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'error_code is an UPPER_SNAKE string'),
  message: z.string().min(1),
  details: z.array(errorDetailSchema).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * §4.2 error_code → HTTP status: the codes with an explicit class, plus the pairing the doc recommends for the codes
 * classified by status (RESOURCE_CONFLICT→409, PERMISSION_DENIED→403, UNAUTHENTICATED→401,
 * TEMPORARILY_UNAVAILABLE→503, REQUEST_LIMIT_EXCEEDED→429; NOT_FOUND and BAD_REQUEST by their names).
 */
export const ERROR_CODE_STATUS: Readonly<Record<string, number>> = {
  // Not in the reference doc, but what real workspaces answer to a body that is not JSON, as public scripts record:
  // {"error_code":"MALFORMED_REQUEST","message":"Invalid JSON given in the body of the request - failed to parse given JSON"}
  MALFORMED_REQUEST: 400,
  INVALID_STATE: 400,
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  // Not in the reference doc: Databricks' answer to an unknown API path (issue 13), "No API found for 'GET /path'".
  ENDPOINT_NOT_FOUND: 404,
  // Not in the reference doc: the emulator's choice for a body over the 16 MB payload limit (docs/emulator.md).
  REQUEST_ENTITY_TOO_LARGE: 413,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  RESOURCE_EXHAUSTED: 429,
  REQUEST_LIMIT_EXCEEDED: 429,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  TEMPORARILY_UNAVAILABLE: 503,
};

/**
 * §3.4 UC-specific codes; "Which HTTP status each returns is UNCONFIRMED (presumably 404/409)": the *_DOES_NOT_EXIST
 * ones are paired with 404 and the *_ALREADY_EXISTS ones with 409; PROVIDER_SHARE_NOT_ACCESSIBLE is left open.
 */
export const UC_ERROR_CODE_STATUS: Readonly<Record<string, number>> = {
  SHARE_DOES_NOT_EXIST: 404,
  PROVIDER_DOES_NOT_EXIST: 404,
  RECIPIENT_DOES_NOT_EXIST: 404,
  CATALOG_DOES_NOT_EXIST: 404,
  SCHEMA_DOES_NOT_EXIST: 404,
  SHARE_ALREADY_EXISTS: 409,
  RECIPIENT_ALREADY_EXISTS: 409,
};

/** The error codes the doc pairs with an HTTP status (§4.2, plus the §3.4 UC codes when `includeUc`). */
export function errorCodesForStatus(status: number, includeUc = false): string[] {
  const table = includeUc ? { ...ERROR_CODE_STATUS, ...UC_ERROR_CODE_STATUS } : ERROR_CODE_STATUS;
  return Object.entries(table)
    .filter(([, s]) => s === status)
    .map(([code]) => code);
}

// ---------------------------------------------------------------------------------------------------------------
// §5 Auth
// ---------------------------------------------------------------------------------------------------------------

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an absolute http(s) URL');

/**
 * §5.2 `GET {host}/oidc/.well-known/oauth-authorization-server` → "JSON with authorization_endpoint and
 * token_endpoint"; JS17 requires both to be strings.
 */
export const oidcDiscoverySchema = z.strictObject({
  authorization_endpoint: httpUrl,
  token_endpoint: httpUrl,
});

/**
 * §5.2 token response. JS17 requires `access_token` and `expires_in` (seconds); GO reads `token_type`; the doc
 * recommends `{"access_token","token_type":"Bearer","expires_in":3600,"scope":"all-apis"}`.
 */
export const oauthTokenResponseSchema = z.strictObject({
  access_token: z.string().min(1),
  token_type: z
    .string()
    .regex(/^bearer$/i, 'token_type is Bearer')
    .optional(),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});

/** §5.2 JS17 token errors read `error_code`/`errorCode`/`error` and `error_description`/`errorSummary`. */
export const oauthTokenErrorSchema = z
  .looseObject({
    error_code: z.string().optional(),
    errorCode: z.string().optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
    errorSummary: z.string().optional(),
  })
  .refine((body) => body.error_code ?? body.errorCode ?? body.error, 'a token error names its code');

/** §5.2 host metadata `GET {host}/.well-known/databricks-config` (best effort for the SDKs). */
export const hostMetadataSchema = z.strictObject({
  oidc_endpoint: z.string().optional(),
  account_id: z.string().optional(),
  workspace_id: z.union([z.string(), z.number().int()]).optional(),
  cloud: z.string().optional(),
  host_type: z.string().optional(),
  token_federation_default_oidc_audiences: z.array(z.string()).optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// §1.8 Prometheus text exposition
// ---------------------------------------------------------------------------------------------------------------

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TIMESTAMP = /^-?\d+$/;
const METRIC_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
  line: number;
}

export interface PrometheusParseResult {
  samples: PrometheusSample[];
  types: Map<string, string>;
  help: Map<string, string>;
  errors: string[];
}

function parseValue(text: string): number {
  if (/^\+?Inf$/.test(text)) return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!nameMatch) return `bad label name at column ${i + 1}`;
    const name = nameMatch[0];
    if (!LABEL_NAME.test(name)) return `bad label name "${name}"`;
    if (name in labels) return `duplicate label "${name}"`;
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') return `expected "=" after label ${name}`;
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') return `label ${name}: value must be double-quoted`;
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return `label ${name}: unterminated value`;
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else return `label ${name}: bad escape "\\${next ?? ''}"`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
    while (line[i] === ' ') i++;
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] === '}') return { labels, end: i + 1 };
    return `expected "," or "}" at column ${i + 1}`;
  }
}

/** The metric family a sample belongs to, given the declared types (histogram/summary suffixes). */
function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_count', '_sum']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const type = types.get(base);
      if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
    }
  }
  return name;
}

/** Parses Prometheus text exposition format (0.0.4; a trailing OpenMetrics `# EOF` is tolerated). */
export function parsePrometheusText(text: string): PrometheusParseResult {
  const samples: PrometheusSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const errors: string[] = [];
  const seenFamilies = new Set<string>();
  let currentFamily: string | undefined;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const n = index + 1;
    const line = raw.replace(/\r$/, '');
    const err = (message: string) => errors.push(`line ${n}: ${message}: ${JSON.stringify(raw)}`);
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const help_ = /^#\s+HELP\s+(\S+)(?:\s(.*))?$/.exec(line);
      const type_ = /^#\s+TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line);
      if (/^#\s+HELP\b/.test(line)) {
        if (!help_) return err('malformed HELP line');
        if (!METRIC_NAME.test(help_[1])) return err(`bad metric name "${help_[1]}" in HELP`);
        if (help.has(help_[1])) return err(`second HELP for ${help_[1]}`);
        help.set(help_[1], help_[2] ?? '');
      } else if (/^#\s+TYPE\b/.test(line)) {
        if (!type_) return err('malformed TYPE line');
        if (!METRIC_NAME.test(type_[1])) return err(`bad metric name "${type_[1]}" in TYPE`);
        if (!METRIC_TYPES.has(type_[2])) return err(`unknown metric type "${type_[2]}"`);
        if (types.has(type_[1])) return err(`second TYPE for ${type_[1]}`);
        if (seenFamilies.has(type_[1])) return err(`TYPE for ${type_[1]} after its samples`);
        types.set(type_[1], type_[2]);
      } else if (line === '# EOF' && index !== lines.length - 1) {
        err('# EOF must be the last line');
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) return err('a sample must start with a metric name');
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i);
      if (typeof parsed === 'string') return err(parsed);
      labels = parsed.labels;
      i = parsed.end;
    }
    const rest = line.slice(i);
    const m = /^[ \t]+(\S+)(?:[ \t]+(\S+))?[ \t]*$/.exec(rest);
    if (!m) return err('expected "name{labels} value [timestamp]"');
    if (!VALUE.test(m[1])) return err(`bad sample value "${m[1]}"`);
    if (m[2] !== undefined && !TIMESTAMP.test(m[2])) return err(`bad timestamp "${m[2]}" (int64 ms)`);
    const family = familyOf(name, types);
    if (family !== currentFamily) {
      if (seenFamilies.has(family)) err(`samples of ${family} are not grouped together`);
      seenFamilies.add(family);
      currentFamily = family;
    }
    samples.push({
      name,
      labels,
      value: parseValue(m[1]),
      timestamp: m[2] === undefined ? undefined : Number(m[2]),
      line: n,
    });
  });
  return { samples, types, help, errors };
}

const labelKey = (labels: Record<string, string>, omit: string) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== omit)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/**
 * Validates Prometheus text: every non-comment, non-blank line is `name{labels} value [timestamp]`; HELP/TYPE lines
 * are well-formed; histogram buckets are cumulative, have increasing `le`, end in `le="+Inf"`, and `_count` equals the
 * +Inf bucket (and `_sum` exists). Returns the list of problems (empty when valid).
 */
export function validatePrometheusText(text: string): string[] {
  const { samples, types, errors } = parsePrometheusText(text);
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<
      string,
      { buckets: { le: number; value: number; line: number }[]; count?: number; sum?: number }
    >();
    const get = (key: string) => {
      let s = series.get(key);
      if (!s) series.set(key, (s = { buckets: [] }));
      return s;
    };
    for (const sample of samples) {
      if (sample.name === `${family}_bucket`) {
        const le = sample.labels.le;
        if (le === undefined) {
          errors.push(`line ${sample.line}: ${family}_bucket without an le label`);
          continue;
        }
        const bound = parseValue(le);
        if (!VALUE.test(le) || Number.isNaN(bound)) {
          errors.push(`line ${sample.line}: ${family}_bucket has a bad le "${le}"`);
          continue;
        }
        get(labelKey(sample.labels, 'le')).buckets.push({ le: bound, value: sample.value, line: sample.line });
      } else if (sample.name === `${family}_count`) get(labelKey(sample.labels, 'le')).count = sample.value;
      else if (sample.name === `${family}_sum`) get(labelKey(sample.labels, 'le')).sum = sample.value;
      else if (sample.name === family)
        errors.push(`line ${sample.line}: histogram ${family} has a bare sample (use _bucket/_sum/_count)`);
    }
    for (const [key, s] of series) {
      const where = `histogram ${family}${key === '[]' ? '' : ` ${key}`}`;
      if (s.buckets.length === 0) {
        errors.push(`${where}: no buckets`);
        continue;
      }
      for (let i = 1; i < s.buckets.length; i++) {
        if (!(s.buckets[i].le > s.buckets[i - 1].le))
          errors.push(`line ${s.buckets[i].line}: ${where}: le values must increase`);
        if (s.buckets[i].value < s.buckets[i - 1].value)
          errors.push(`line ${s.buckets[i].line}: ${where}: buckets are not cumulative`);
      }
      const last = s.buckets[s.buckets.length - 1];
      if (last.le !== Infinity) errors.push(`line ${last.line}: ${where}: the last bucket must be le="+Inf"`);
      if (s.count === undefined) errors.push(`${where}: no _count`);
      else if (last.le === Infinity && s.count !== last.value)
        errors.push(`${where}: _count ${s.count} differs from the +Inf bucket ${last.value}`);
      if (s.sum === undefined) errors.push(`${where}: no _sum`);
    }
  }
  for (const sample of samples) {
    const type = types.get(familyOf(sample.name, types));
    if (type === 'counter' && (sample.value < 0 || Number.isNaN(sample.value)))
      errors.push(`line ${sample.line}: counter ${sample.name} is negative or NaN`);
  }
  return errors;
}

/** Formats zod issues for test failure messages (path: message). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('\n');
}
