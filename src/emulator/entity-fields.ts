/**
 * The served-entity and endpoint settings the emulator stores and returns exactly as written (docs/emulator.md,
 * "Served-entity and endpoint fields"): validated for type, never interpreted. `{{secrets/scope/key}}` references in
 * `environment_vars` are kept as written and never resolved.
 */
import { badRequest } from './api-error';

/** The optional compute fields of a ServedEntityInput beyond workload_size/type and scale_to_zero_enabled. */
export interface ComputeFields {
  environment_vars?: Record<string, string>;
  instance_profile_arn?: string;
  min_provisioned_concurrency?: number;
  max_provisioned_concurrency?: number;
  min_provisioned_throughput?: number;
  max_provisioned_throughput?: number;
  provisioned_model_units?: number;
  burst_scaling_enabled?: boolean;
}

/** email_notifications (Go SDK `EmailNotifications`). */
export interface EmailNotifications {
  on_update_failure?: string[];
  on_update_success?: string[];
}

/** The endpoint-level settings kept as written (besides name, description, config and tags). */
export interface EndpointSettings {
  budget_policy_id?: string;
  email_notifications?: EmailNotifications;
  telemetry_config?: Record<string, unknown>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSTANCE_PROFILE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/[\w+=,.@/-]+$/;
const SECRET_REFERENCE_START = '{{secrets/';
const SECRET_REFERENCE = /^\{\{secrets\/[^/{}\s]+\/[^/{}\s]+\}\}$/;
const INTEGER_FIELDS = [
  'min_provisioned_concurrency',
  'max_provisioned_concurrency',
  'min_provisioned_throughput',
  'max_provisioned_throughput',
  'provisioned_model_units',
] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and checks the compute fields of served entity `item` (at `path`, e.g. "served_entities[0]"). */
export function parseComputeFields(item: Record<string, unknown>, path: string): ComputeFields {
  const fields: ComputeFields = {};
  if (item.environment_vars !== undefined) fields.environment_vars = parseEnvironmentVars(item.environment_vars, path);
  const arn = item.instance_profile_arn;
  if (arn !== undefined) {
    if (typeof arn !== 'string' || !INSTANCE_PROFILE_ARN.test(arn))
      throw badRequest(
        `'${path}.instance_profile_arn' must be an instance profile ARN, for example "arn:aws:iam::123456789012:instance-profile/serving".`,
      );
    fields.instance_profile_arn = arn;
  }
  for (const key of INTEGER_FIELDS) {
    const value = item[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw badRequest(`'${path}.${key}' must be a whole number of 0 or more.`);
    fields[key] = value;
  }
  for (const [min, max] of [
    ['min_provisioned_concurrency', 'max_provisioned_concurrency'],
    ['min_provisioned_throughput', 'max_provisioned_throughput'],
  ] as const) {
    const low = fields[min];
    const high = fields[max];
    if (low !== undefined && high !== undefined && low > high)
      throw badRequest(`'${path}.${min}' (${low}) must not be above '${path}.${max}' (${high}).`);
  }
  if (
    item.workload_size !== undefined &&
    (fields.min_provisioned_concurrency !== undefined || fields.max_provisioned_concurrency !== undefined)
  )
    throw badRequest(
      `'${path}' sets both workload_size and min/max_provisioned_concurrency; set one of them, not both.`,
    );
  const burst = item.burst_scaling_enabled;
  if (burst !== undefined) {
    if (typeof burst !== 'boolean') throw badRequest(`'${path}.burst_scaling_enabled' must be true or false.`);
    fields.burst_scaling_enabled = burst;
  }
  return fields;
}

function parseEnvironmentVars(input: unknown, path: string): Record<string, string> {
  if (!isObject(input))
    throw badRequest(
      `'${path}.environment_vars' must be an object of names to string values, for example {"API_KEY": "{{secrets/scope/key}}"}.`,
    );
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    if (!ENV_NAME.test(name))
      throw badRequest(
        `'${path}.environment_vars' has the name "${name}"; names are letters, digits and '_', not starting with a digit.`,
      );
    if (typeof value !== 'string')
      throw badRequest(`'${path}.environment_vars.${name}' must be a string (numbers and booleans too: "1", "true").`);
    if (value.startsWith(SECRET_REFERENCE_START) && !SECRET_REFERENCE.test(value))
      throw badRequest(
        `'${path}.environment_vars.${name}' is not a secret reference: write it as {{secrets/<scope>/<key>}}.`,
      );
    vars[name] = value;
  }
  return vars;
}

/** Whether two entities' compute fields are the same (order of environment variables does not matter). */
export function sameComputeFields(a: ComputeFields, b: ComputeFields): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Reads and checks the endpoint settings of a create body. */
export function parseEndpointSettings(body: Record<string, unknown>): EndpointSettings {
  const settings: EndpointSettings = {};
  const policy = body.budget_policy_id;
  if (policy !== undefined) {
    if (typeof policy !== 'string' || policy === '')
      throw badRequest("'budget_policy_id' must be the id of a budget policy (a non-empty string).");
    settings.budget_policy_id = policy;
  }
  if (body.email_notifications !== undefined)
    settings.email_notifications = parseEmailNotifications(body.email_notifications);
  const telemetry = body.telemetry_config;
  if (telemetry !== undefined) {
    if (!isObject(telemetry)) throw badRequest("'telemetry_config' must be a JSON object.");
    settings.telemetry_config = structuredClone(telemetry);
  }
  return settings;
}

function parseEmailNotifications(input: unknown): EmailNotifications {
  const hint = 'for example {"on_update_failure": ["ml-oncall@example.com"]}';
  if (!isObject(input))
    throw badRequest(`'email_notifications' must be an object with on_update_failure/on_update_success; ${hint}.`);
  const out: EmailNotifications = {};
  for (const [key, value] of Object.entries(input)) {
    if (key !== 'on_update_failure' && key !== 'on_update_success')
      throw badRequest(
        `'email_notifications.${key}' is not a field; email_notifications has on_update_failure and on_update_success.`,
      );
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !v.includes('@')))
      throw badRequest(`'email_notifications.${key}' must be an array of email addresses; ${hint}.`);
    out[key] = [...(value as string[])];
  }
  return out;
}
