/**
 * zod schemas of the Databricks responses we read (docs/databricks-api.md §1-3).
 *
 * - Unknown fields are tolerated and stripped (Databricks adds fields all the time). Every documented field we may
 *   round-trip (e.g. served entity compute settings) is declared so it survives.
 * - Fields our code depends on are required; a 2xx body without them is a `DatabricksResponseError`.
 * - Enum fields accept unknown future values: the type is `OpenEnum<'A' | 'B'>` = the known values or any string.
 * - int64 fields accept JSON numbers or digit strings (proto3 JSON renders int64 as strings).
 */
import { z } from 'zod';
import { formatZodIssues } from '../shared/duration';

/** Known values with autocompletion, but any other string is accepted too. */
export type OpenEnum<T extends string> = T | (string & {});

function openEnum<const T extends string>(_known: readonly T[]) {
  return z.string().transform((value): OpenEnum<T> => value);
}

const int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const stringish = z.union([z.string(), z.number().transform(String)]);
const unknownRecord = z.record(z.string(), z.unknown());

export function formatIssues(error: z.ZodError): string[] {
  return formatZodIssues(error);
}

// --- Model Serving ------------------------------------------------------------------------------------------------

export const ENDPOINT_READY_STATES = ['READY', 'NOT_READY'] as const;
export const CONFIG_UPDATE_STATES = ['NOT_UPDATING', 'IN_PROGRESS', 'UPDATE_FAILED', 'UPDATE_CANCELED'] as const;
export const DEPLOYMENT_STATES = [
  'DEPLOYMENT_CREATING',
  'DEPLOYMENT_READY',
  'DEPLOYMENT_FAILED',
  'DEPLOYMENT_ABORTED',
  'DEPLOYMENT_RECOVERING',
] as const;
export const PERMISSION_LEVELS = ['CAN_MANAGE', 'CAN_QUERY', 'CAN_VIEW'] as const;

export type EndpointReadyState = OpenEnum<(typeof ENDPOINT_READY_STATES)[number]>;
export type ConfigUpdateState = OpenEnum<(typeof CONFIG_UPDATE_STATES)[number]>;
export type DeploymentState = OpenEnum<(typeof DEPLOYMENT_STATES)[number]>;

export const endpointStateSchema = z.object({
  ready: openEnum(ENDPOINT_READY_STATES),
  config_update: openEnum(CONFIG_UPDATE_STATES),
});

export const servedEntityStateSchema = z.object({
  deployment: openEnum(DEPLOYMENT_STATES),
  deployment_state_message: z.string().optional(),
});

/** Compute settings shared by served entity/model inputs and outputs. */
const computeFields = {
  workload_size: z.string().optional(),
  workload_type: z.string().optional(),
  scale_to_zero_enabled: z.boolean().optional(),
  environment_vars: z.record(z.string(), z.string()).optional(),
  instance_profile_arn: z.string().optional(),
  min_provisioned_concurrency: z.number().optional(),
  max_provisioned_concurrency: z.number().optional(),
  min_provisioned_throughput: z.number().optional(),
  max_provisioned_throughput: z.number().optional(),
  provisioned_model_units: int64.optional(),
  burst_scaling_enabled: z.boolean().optional(),
};

/** Documented workload sizes and types of a served entity (custom sizes also exist; these are the named ones). */
export const WORKLOAD_SIZES = ['Small', 'Medium', 'Large'] as const;
export const WORKLOAD_TYPES = [
  'CPU',
  'CPU_LARGE',
  'CPU_MEDIUM',
  'GPU_SMALL',
  'GPU_MEDIUM',
  'GPU_LARGE',
  'GPU_XLARGE',
  'GPU_XLARGE_8',
  'MULTIGPU_MEDIUM',
] as const;

export const servedEntityOutputSchema = z.object({
  name: z.string(),
  entity_name: z.string().optional(),
  entity_version: stringish.optional(),
  ...computeFields,
  external_model: unknownRecord.optional(),
  foundation_model: unknownRecord.optional(),
  creator: z.string().optional(),
  creation_timestamp: int64.optional(),
  state: servedEntityStateSchema.optional(),
});
export type ServedEntityOutput = z.output<typeof servedEntityOutputSchema>;

/** The legacy `served_models` form. */
export const servedModelOutputSchema = z.object({
  name: z.string(),
  model_name: z.string().optional(),
  model_version: stringish.optional(),
  ...computeFields,
  creator: z.string().optional(),
  creation_timestamp: int64.optional(),
  state: servedEntityStateSchema.optional(),
});
export type ServedModelOutput = z.output<typeof servedModelOutputSchema>;

export const routeSchema = z.object({
  served_model_name: z.string().optional(),
  served_entity_name: z.string().optional(),
  traffic_percentage: z.number().int(),
});
export type Route = z.output<typeof routeSchema>;

export const trafficConfigSchema = z.object({ routes: z.array(routeSchema).default([]) });
export type TrafficConfig = z.output<typeof trafficConfigSchema>;

const coreConfigFields = {
  served_entities: z.array(servedEntityOutputSchema).default([]),
  served_models: z.array(servedModelOutputSchema).default([]),
  traffic_config: trafficConfigSchema.optional(),
  auto_capture_config: unknownRecord.optional(),
  config_version: int64.optional(),
};

export const endpointCoreConfigOutputSchema = z.object(coreConfigFields);
export type EndpointCoreConfigOutput = z.output<typeof endpointCoreConfigOutputSchema>;

export const endpointPendingConfigSchema = z.object({ ...coreConfigFields, start_time: int64.optional() });
export type EndpointPendingConfig = z.output<typeof endpointPendingConfigSchema>;

export const endpointTagSchema = z.object({ key: z.string(), value: z.string().optional() });
export type EndpointTag = z.output<typeof endpointTagSchema>;

const endpointCommonFields = {
  name: z.string(),
  id: z.string().optional(),
  creator: z.string().optional(),
  creation_timestamp: int64.optional(),
  last_updated_timestamp: int64.optional(),
  tags: z.array(endpointTagSchema).optional(),
  task: z.string().optional(),
  description: z.string().optional(),
  budget_policy_id: z.string().optional(),
  ai_gateway: unknownRecord.optional(),
};

export const servingEndpointDetailedSchema = z.object({
  ...endpointCommonFields,
  state: endpointStateSchema,
  config: endpointCoreConfigOutputSchema.optional(),
  pending_config: endpointPendingConfigSchema.optional(),
  permission_level: openEnum(PERMISSION_LEVELS).optional(),
  route_optimized: z.boolean().optional(),
  endpoint_url: z.string().optional(),
  /** Route-optimized endpoints: where to query them, and the authorization_details (a JSON string) of their tokens. */
  data_plane_info: z
    .object({
      query_info: z
        .object({ endpoint_url: z.string().optional(), authorization_details: z.string().optional() })
        .optional(),
    })
    .optional(),
  email_notifications: unknownRecord.optional(),
  telemetry_config: unknownRecord.optional(),
});
export type ServingEndpointDetailed = z.output<typeof servingEndpointDetailedSchema>;

/** The list form (`EndpointCoreConfigSummary`). */
export const servingEndpointSummarySchema = z.object({
  ...endpointCommonFields,
  state: z
    .object({
      ready: openEnum(ENDPOINT_READY_STATES).optional(),
      config_update: openEnum(CONFIG_UPDATE_STATES).optional(),
    })
    .optional(),
  config: z
    .object({
      served_entities: z
        .array(
          z.object({
            name: z.string(),
            entity_name: z.string().optional(),
            entity_version: stringish.optional(),
            external_model: unknownRecord.optional(),
            foundation_model: unknownRecord.optional(),
          }),
        )
        .default([]),
      served_models: z
        .array(z.object({ name: z.string(), model_name: z.string().optional(), model_version: stringish.optional() }))
        .default([]),
    })
    .optional(),
});
export type ServingEndpointSummary = z.output<typeof servingEndpointSummarySchema>;

export const listEndpointsResponseSchema = z.object({ endpoints: z.array(servingEndpointSummarySchema).default([]) });

export const logsResponseSchema = z.object({ logs: z.string().default('') });

export const tagsResponseSchema = z.object({ tags: z.array(endpointTagSchema).default([]) });

/** An invocation answer: any JSON object (predictions / outputs / choices ...). */
export const queryResponseSchema = unknownRecord;

// --- Unity Catalog ------------------------------------------------------------------------------------------------

export const MODEL_VERSION_STATUSES = [
  'PENDING_REGISTRATION',
  'READY',
  'FAILED_REGISTRATION',
  'MODEL_VERSION_STATUS_UNKNOWN',
] as const;
export type ModelVersionStatus = OpenEnum<(typeof MODEL_VERSION_STATUSES)[number]>;

const auditFields = {
  created_at: int64.optional(),
  created_by: z.string().optional(),
  updated_at: int64.optional(),
  updated_by: z.string().optional(),
};

export const registeredModelAliasSchema = z.object({
  alias_name: z.string(),
  version_num: int64,
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  model_name: z.string().optional(),
  id: z.string().optional(),
});
export type RegisteredModelAlias = z.output<typeof registeredModelAliasSchema>;

/** On a model version, an alias may omit `version_num` (it is the version itself). */
const modelVersionAliasSchema = registeredModelAliasSchema.partial({ version_num: true });

export const modelVersionInfoSchema = z.object({
  model_name: z.string().optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  version: int64,
  /** Absent status reads as MODEL_VERSION_STATUS_UNKNOWN, never as READY. */
  status: openEnum(MODEL_VERSION_STATUSES).default('MODEL_VERSION_STATUS_UNKNOWN'),
  source: z.string().optional(),
  run_id: z.string().optional(),
  run_workspace_id: int64.optional(),
  storage_location: z.string().optional(),
  aliases: z.array(modelVersionAliasSchema).optional(),
  comment: z.string().optional(),
  id: z.string().optional(),
  metastore_id: z.string().optional(),
  model_version_dependencies: unknownRecord.optional(),
  ...auditFields,
});
export type ModelVersionInfo = z.output<typeof modelVersionInfoSchema>;

/**
 * A version as the MLflow client's Unity Catalog registry API answers it (`/api/2.0/mlflow/unity-catalog/model-versions/get`):
 * the API that carries a version's tags. `version` is a string there.
 */
export const mlflowModelVersionResponseSchema = z.object({
  model_version: z.object({
    name: z.string(),
    version: z.union([z.string(), z.number()]).transform(String),
    status: z.string().optional(),
    tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).default([]),
  }),
});
export type MlflowModelVersion = z.output<typeof mlflowModelVersionResponseSchema>['model_version'];

export const registeredModelInfoSchema = z.object({
  full_name: z.string(),
  name: z.string().optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  owner: z.string().optional(),
  comment: z.string().optional(),
  storage_location: z.string().optional(),
  metastore_id: z.string().optional(),
  aliases: z.array(registeredModelAliasSchema).optional(),
  browse_only: z.boolean().optional(),
  ...auditFields,
});
export type RegisteredModelInfo = z.output<typeof registeredModelInfoSchema>;

export const listModelVersionsResponseSchema = z.object({
  model_versions: z.array(modelVersionInfoSchema).default([]),
  next_page_token: z.string().optional(),
});
export type ListModelVersionsPage = z.output<typeof listModelVersionsResponseSchema>;

export const listRegisteredModelsResponseSchema = z.object({
  registered_models: z.array(registeredModelInfoSchema).default([]),
  next_page_token: z.string().optional(),
});
export type ListRegisteredModelsPage = z.output<typeof listRegisteredModelsResponseSchema>;

export const CATALOG_TYPES = [
  'MANAGED_CATALOG',
  'DELTASHARING_CATALOG',
  'FOREIGN_CATALOG',
  'INTERNAL_CATALOG',
  'MANAGED_ONLINE_CATALOG',
  'SYSTEM_CATALOG',
] as const;
export type CatalogType = OpenEnum<(typeof CATALOG_TYPES)[number]>;

export const catalogInfoSchema = z.object({
  name: z.string(),
  catalog_type: openEnum(CATALOG_TYPES).optional(),
  provider_name: z.string().optional(),
  share_name: z.string().optional(),
  comment: z.string().optional(),
  owner: z.string().optional(),
  metastore_id: z.string().optional(),
  full_name: z.string().optional(),
  ...auditFields,
});
export type CatalogInfo = z.output<typeof catalogInfoSchema>;

// --- Delta Sharing ------------------------------------------------------------------------------------------------

export const DATA_OBJECT_TYPES = [
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
] as const;
export const SHARED_OBJECT_STATUSES = ['ACTIVE', 'PERMISSION_DENIED'] as const;
export const AUTHENTICATION_TYPES = ['DATABRICKS', 'TOKEN', 'OAUTH_CLIENT_CREDENTIALS', 'OIDC_FEDERATION'] as const;
export type AuthenticationType = OpenEnum<(typeof AUTHENTICATION_TYPES)[number]>;

export const sharedDataObjectSchema = z.object({
  name: z.string(),
  data_object_type: openEnum(DATA_OBJECT_TYPES).optional(),
  string_shared_as: z.string().optional(),
  shared_as: z.string().optional(),
  status: openEnum(SHARED_OBJECT_STATUSES).optional(),
  history_data_sharing_status: z.string().optional(),
  comment: z.string().optional(),
  added_at: int64.optional(),
  added_by: z.string().optional(),
  cdf_enabled: z.boolean().optional(),
  start_version: int64.optional(),
});
export type SharedDataObject = z.output<typeof sharedDataObjectSchema>;

export const shareInfoSchema = z.object({
  name: z.string(),
  owner: z.string().optional(),
  comment: z.string().optional(),
  storage_root: z.string().optional(),
  storage_location: z.string().optional(),
  objects: z.array(sharedDataObjectSchema).default([]),
  ...auditFields,
});
export type ShareInfo = z.output<typeof shareInfoSchema>;

export const listSharesResponseSchema = z.object({
  shares: z.array(shareInfoSchema).default([]),
  next_page_token: z.string().optional(),
});

export const sharePermissionsSchema = z.object({
  privilege_assignments: z
    .array(z.object({ principal: z.string(), privileges: z.array(z.string()).default([]) }))
    .default([]),
  next_page_token: z.string().optional(),
});
export type SharePermissions = z.output<typeof sharePermissionsSchema>;

/** Provider info. `recipient_profile` (a bearer token for TOKEN providers) is deliberately not kept. */
export const providerInfoSchema = z.object({
  name: z.string(),
  authentication_type: openEnum(AUTHENTICATION_TYPES).optional(),
  data_provider_global_metastore_id: z.string().optional(),
  metastore_id: z.string().optional(),
  cloud: z.string().optional(),
  region: z.string().optional(),
  owner: z.string().optional(),
  comment: z.string().optional(),
  ...auditFields,
});
export type ProviderInfo = z.output<typeof providerInfoSchema>;

export const providerShareSchema = z.object({ name: z.string() });
export type ProviderShare = z.output<typeof providerShareSchema>;

export const listProviderSharesResponseSchema = z.object({
  shares: z.array(providerShareSchema).default([]),
  next_page_token: z.string().optional(),
});

/** Recipient info. `tokens` (TOKEN recipients' credentials) and `activation_url` are deliberately not kept. */
export const recipientInfoSchema = z.object({
  name: z.string(),
  authentication_type: openEnum(AUTHENTICATION_TYPES).optional(),
  activated: z.boolean().optional(),
  data_recipient_global_metastore_id: z.string().optional(),
  metastore_id: z.string().optional(),
  cloud: z.string().optional(),
  region: z.string().optional(),
  owner: z.string().optional(),
  comment: z.string().optional(),
  ...auditFields,
});
export type RecipientInfo = z.output<typeof recipientInfoSchema>;

export const listRecipientsResponseSchema = z.object({
  recipients: z.array(recipientInfoSchema).default([]),
  next_page_token: z.string().optional(),
});
