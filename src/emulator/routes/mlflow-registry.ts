/**
 * MLflow's Unity Catalog model registry, `/api/2.0/mlflow/unity-catalog/...`: what `mlflow` 3.x calls with
 * `registry_uri="databricks-uc"` (its `UcModelRegistryStore`; docs/databricks-api.md section 8). Bodies are the JSON
 * form of MLflow's protos (`databricks_uc_registry_messages.proto`): `version` is a string, tags and aliases are lists.
 * GET requests carry their fields in the query string, the others in a JSON body (DELETE too; the query is accepted).
 *
 * Versions registered here live in the same Unity Catalog as the 2.1 API's (`GET /api/2.1/unity-catalog/models/...`),
 * replicate through Delta Sharing like any other, and are served with the behavior their `emulator_behavior` tag
 * names (see behaviorForNewVersion). Their files go through the Files API (routes/files.ts): this registry answers
 * `is-databricks-sdk-models-artifact-repository-enabled` with true, so MLflow uploads with the Databricks SDK's Files
 * API to `/Models/<catalog>/<schema>/<model>/<version>/...` on the workspace's own URL.
 */
import { badRequest, notFound } from '../api-error';
import type { ModelRecord, ModelView, UnityCatalog, VersionView } from '../catalog';
import { splitFullName } from '../catalog';
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { RequestContext, Route } from '../http';
import { jsonObjectBody, paginate } from '../http';
import { predictor } from '../invocations';
import type { Behavior, World } from '../world';

const MLFLOW_UC = '/api/2.0/mlflow/unity-catalog';
const MODELS = `${MLFLOW_UC}/registered-models`;
const VERSIONS = `${MLFLOW_UC}/model-versions`;
/** The version tag that names the world behavior an MLflow-registered version is served with. */
export const BEHAVIOR_TAG = 'emulator_behavior';
/** How long temporary credentials last (Databricks issues them for about an hour). */
const CREDENTIALS_TTL_MS = 60 * 60 * 1000;

const fullNameOf = (view: ModelView) => `${view.catalog}.${view.schema}.${view.name}`;

function aliasList(view: ModelView, now: number, version?: number) {
  return [...view.aliases(now)]
    .filter(([, v]) => version === undefined || v === version)
    .map(([alias, v]) => ({ alias, version: String(v) }));
}

/** A version in the MLflow UC registry's shape: `version` is a string, tags are `[{key, value}]`. */
export function mlflowVersionJson(view: ModelView, version: VersionView, now: number) {
  const record = version.record;
  return {
    name: fullNameOf(view),
    version: String(record.version),
    creation_timestamp: record.createdAt,
    last_updated_timestamp: record.updatedAt,
    user_id: record.createdBy,
    description: record.comment,
    source: record.source,
    run_id: record.runId,
    status: version.status,
    storage_location: record.storageLocation,
    aliases: aliasList(view, now, record.version),
    tags: [...record.tags].map(([key, value]) => ({ key, value })),
  };
}

export function mlflowModelJson(view: ModelView, now: number) {
  const model = view.model;
  return {
    name: fullNameOf(view),
    creation_timestamp: model.createdAt,
    last_updated_timestamp: model.updatedAt,
    user_id: model.createdBy,
    description: model.comment,
    aliases: aliasList(view, now),
    tags: [...model.tags].map(([key, value]) => ({ key, value })),
  };
}

function requiredString(fields: Record<string, unknown>, field: string, what: string): string {
  const value = fields[field];
  if (typeof value !== 'string' || !value) throw badRequest(`'${field}' is required: ${what}.`);
  return value;
}

function optionalString(fields: Record<string, unknown>, field: string): string | undefined {
  const value = fields[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`'${field}' must be a string.`);
  return value;
}

function versionNumber(fields: Record<string, unknown>): number {
  const raw = fields.version;
  const number = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : typeof raw === 'number' ? raw : NaN;
  if (!Number.isInteger(number) || number <= 0)
    throw badRequest(`'version' must be a positive integer, got '${String(raw)}'.`);
  return number;
}

/**
 * Unity Catalog's rules for tag keys and values: no reserved character in a key (the refusal real workspaces give, e.g.
 * for MLflow's own `mlflow.source.type`), keys up to 255 characters, values up to 1000.
 */
function checkTag(key: string, value: string, field: string): void {
  if (/[.,\-=/:]/.test(key))
    throw badRequest(`Tag name ${key} contains one or more of the reserved characters: List(., ,, -, =, /, :)`);
  if (key.length > 255) throw badRequest(`'${field}': tag keys are at most 255 characters.`);
  if (value.length > 1000) throw badRequest(`'${field}': tag values are at most 1000 characters.`);
}

/** `[{key, value}]` as MLflow sends tags; each key non-empty, each value a string. */
function tagList(fields: Record<string, unknown>): Map<string, string> {
  const raw = fields.tags;
  const tags = new Map<string, string>();
  if (raw === undefined || raw === null) return tags;
  if (!Array.isArray(raw)) throw badRequest("'tags' must be a list of {key, value}.");
  raw.forEach((tag: unknown, i) => {
    const t = (tag ?? {}) as Record<string, unknown>;
    if (typeof t.key !== 'string' || !t.key) throw badRequest(`'tags[${i}].key' is required: the tag's key.`);
    if (t.value !== undefined && typeof t.value !== 'string') throw badRequest(`'tags[${i}].value' must be a string.`);
    checkTag(t.key, t.value ?? '', `tags[${i}]`);
    tags.set(t.key, t.value ?? '');
  });
  return tags;
}

/** The fields of a request: the query for GET, else the JSON body (or the query when there is no body). */
function fieldsOf(ctx: RequestContext): Record<string, unknown> {
  if (ctx.method === 'GET' || ctx.rawBody.length === 0) return Object.fromEntries(ctx.query);
  return jsonObjectBody(ctx);
}

/**
 * The behavior a version registered through MLflow is served with: the world behavior its `emulator_behavior` tag
 * names; else that of the model's newest version (a retrain behaves like its predecessor until told otherwise); else
 * the world behavior named `default`. None of these: the registration is refused, saying how to fix it.
 */
export function behaviorForNewVersion(world: World, model: ModelRecord, tags: Map<string, string>): Behavior {
  const named = tags.get(BEHAVIOR_TAG);
  const known = Object.keys(world.behaviors).join(', ') || '(none)';
  if (named !== undefined) {
    const behavior = world.behaviors[named];
    if (!behavior)
      throw badRequest(
        `'tags': ${BEHAVIOR_TAG} names behavior '${named}', which the emulator's world does not define; use one of: ${known}.`,
      );
    return behavior;
  }
  const newest = Math.max(0, ...model.versions.keys());
  if (newest > 0) return model.versions.get(newest)!.behavior;
  const fallback = world.behaviors.default;
  if (fallback) return fallback;
  throw badRequest(
    `'tags': '${model.fullName}' has no version to take a behavior from and the world defines no 'default' behavior; ` +
      `tag the version with ${BEHAVIOR_TAG} = one of: ${known}.`,
  );
}

/** Parses the filters Unity Catalog's MLflow search accepts: `name = '<full name>'`, optionally `AND run_id = '...'`. */
function versionFilter(filter: string): { name?: string; runId?: string } {
  const result: { name?: string; runId?: string } = {};
  if (!filter.trim()) return result;
  for (const clause of filter.split(/\s+AND\s+/i)) {
    const match =
      /^\s*(name|run_id)\s*=\s*'([^']*)'\s*$/.exec(clause) ?? /^\s*(name|run_id)\s*=\s*"([^"]*)"\s*$/.exec(clause);
    if (!match)
      throw badRequest(
        `'filter': unsupported clause '${clause.trim()}'; Unity Catalog supports name = '<catalog>.<schema>.<model>' ` +
          "and run_id = '<run id>'.",
      );
    if (match[1] === 'name') result.name = match[2];
    else result.runId = match[2];
  }
  return result;
}

function modelRoutes(uc: UnityCatalog): Route[] {
  const model = (ctx: RequestContext, fields: Record<string, unknown>) =>
    uc.resolveModel(ctx.region, requiredString(fields, 'name', "the model's catalog.schema.model"));
  const writable = (ctx: RequestContext, fields: Record<string, unknown>) => {
    const view = model(ctx, fields);
    uc.assertWritable(view);
    return view;
  };
  return [
    {
      method: 'POST',
      pattern: `${MODELS}/create`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const [catalog, schema, name] = splitFullName(requiredString(body, 'name', "the model's catalog.schema.model"));
        const tags = tagList(body);
        const description = optionalString(body, 'description');
        const record = uc.createModel(
          ctx.region,
          { catalog, schema, name, comment: description },
          ctx.principal.name,
          ctx.now,
        );
        for (const [key, value] of tags) record.tags.set(key, value);
        return { json: { registered_model: mlflowModelJson(uc.resolveModel(ctx.region, record.fullName), ctx.now) } };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}/get`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({ json: { registered_model: mlflowModelJson(model(ctx, fieldsOf(ctx)), ctx.now) } }),
    },
    {
      method: 'GET',
      pattern: `${MODELS}/search`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const all = uc.listModels(ctx.region);
        const { page, nextPageToken } = paginate(all, ctx, { defaultSize: 100, maxSize: 1000 });
        return {
          json: {
            registered_models: page.map((v) => mlflowModelJson(v, ctx.now)),
            next_page_token: nextPageToken,
          },
        };
      },
    },
    {
      method: 'PATCH',
      pattern: `${MODELS}/update`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const view = writable(ctx, body);
        if (body.new_name !== undefined && body.new_name !== '')
          throw badRequest("'new_name': renaming a registered model is not supported by the emulator.");
        const description = optionalString(body, 'description');
        if (description !== undefined) view.model.comment = description;
        view.model.updatedAt = ctx.now;
        view.model.updatedBy = ctx.principal.name;
        return { json: { registered_model: mlflowModelJson(view, ctx.now) } };
      },
    },
    {
      method: 'DELETE',
      pattern: `${MODELS}/delete`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        uc.models.delete(writable(ctx, fieldsOf(ctx)).model.fullName);
        return { json: {} };
      },
    },
    {
      method: 'POST',
      pattern: `${MODELS}/set-tag`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const view = writable(ctx, body);
        const key = requiredString(body, 'key', "the tag's key");
        const value = optionalString(body, 'value') ?? '';
        checkTag(key, value, 'key');
        view.model.tags.set(key, value);
        view.model.updatedAt = ctx.now;
        return { json: {} };
      },
    },
    {
      method: 'DELETE',
      pattern: `${MODELS}/delete-tag`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const fields = fieldsOf(ctx);
        const view = writable(ctx, fields);
        const key = requiredString(fields, 'key', "the tag's key");
        if (!view.model.tags.delete(key)) throw notFound(`Tag '${key}' does not exist on '${fullNameOf(view)}'.`);
        return { json: {} };
      },
    },
    {
      method: 'POST',
      pattern: `${MODELS}/alias`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const view = writable(ctx, body);
        const alias = requiredString(body, 'alias', "the alias's name");
        if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(alias))
          throw badRequest(`'alias': '${alias}' may contain only letters, digits, '_' and '-'.`);
        if (/^v\d+$/i.test(alias) || alias.toLowerCase() === 'latest')
          throw badRequest(`'alias': '${alias}' is reserved (latest and v<number> name versions already).`);
        const version = versionNumber(body);
        uc.findVersion(view, version, ctx.now);
        view.model.aliases.set(alias, version);
        return { json: {} };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}/alias`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const fields = fieldsOf(ctx);
        const view = model(ctx, fields);
        const alias = requiredString(fields, 'alias', "the alias's name");
        const target = view.aliases(ctx.now).get(alias);
        if (target === undefined) throw notFound(`Alias '${alias}' does not exist for model '${fullNameOf(view)}'.`);
        return { json: { model_version: mlflowVersionJson(view, uc.findVersion(view, target, ctx.now), ctx.now) } };
      },
    },
    {
      method: 'DELETE',
      pattern: `${MODELS}/alias`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const fields = fieldsOf(ctx);
        const view = writable(ctx, fields);
        const alias = requiredString(fields, 'alias', "the alias's name");
        if (!view.model.aliases.delete(alias))
          throw notFound(`Alias '${alias}' does not exist for model '${fullNameOf(view)}'.`);
        return { json: {} };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}:is-databricks-sdk-models-artifact-repository-enabled`,
      scope: 'management',
      permission: 'uc:read',
      // The emulator's artifact store is the Files API (routes/files.ts); see docs/emulator.md.
      handler: () => ({ json: { is_databricks_sdk_models_artifact_repository_enabled: true } }),
    },
  ];
}

function versionRoutes(emulator: EmulatorForRoutes, uc: UnityCatalog): Route[] {
  const found = (ctx: RequestContext, fields: Record<string, unknown>) => {
    const view = uc.resolveModel(ctx.region, requiredString(fields, 'name', "the model's catalog.schema.model"));
    return { view, version: uc.findVersion(view, versionNumber(fields), ctx.now) };
  };
  const writable = (ctx: RequestContext, fields: Record<string, unknown>) => {
    const f = found(ctx, fields);
    uc.assertWritable(f.view);
    return f;
  };
  const reply = (ctx: RequestContext, view: ModelView, number: number) => ({
    json: { model_version: mlflowVersionJson(view, uc.findVersion(view, number, ctx.now), ctx.now) },
  });
  return [
    {
      method: 'POST',
      pattern: `${VERSIONS}/create`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const view = uc.resolveModel(ctx.region, requiredString(body, 'name', "the model's catalog.schema.model"));
        uc.assertWritable(view);
        const source = requiredString(body, 'source', "the URI of the model's files");
        const runId = optionalString(body, 'run_id');
        const description = optionalString(body, 'description');
        const tags = tagList(body);
        const behavior = behaviorForNewVersion(emulator.world, view.model, tags);
        try {
          predictor(behavior);
        } catch (err) {
          throw badRequest(`'tags': the behavior ${BEHAVIOR_TAG} names cannot predict: ${(err as Error).message}`);
        }
        // Pending until MLflow has uploaded the files and calls finalize.
        const record = uc.addVersion(view.model, {
          behavior,
          createdBy: ctx.principal.name,
          now: ctx.now,
          settlesAt: Number.POSITIVE_INFINITY,
          failed: false,
          comment: description,
          tags: Object.fromEntries(tags),
          source,
          runId: runId || undefined,
        });
        return reply(ctx, view, record.version);
      },
    },
    {
      method: 'POST',
      pattern: `${VERSIONS}/finalize`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const { view, version } = writable(ctx, jsonObjectBody(ctx));
        uc.finalizeVersion(view.model, version.record, ctx.now);
        return reply(ctx, view, version.record.version);
      },
    },
    {
      method: 'GET',
      pattern: `${VERSIONS}/get`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const { view, version } = found(ctx, fieldsOf(ctx));
        return { json: { model_version: mlflowVersionJson(view, version, ctx.now) } };
      },
    },
    {
      method: 'GET',
      pattern: `${VERSIONS}/search`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const filter = versionFilter(ctx.query.get('filter') ?? '');
        if (filter.name === undefined)
          throw badRequest(
            "'filter' must name the model: name = '<catalog>.<schema>.<model>' (Unity Catalog searches one model's versions).",
          );
        const view = uc.resolveModel(ctx.region, filter.name);
        const versions = view
          .versions(ctx.now)
          .filter((v) => filter.runId === undefined || v.record.runId === filter.runId)
          .sort((a, b) => b.record.version - a.record.version);
        const { page, nextPageToken } = paginate(versions, ctx, { defaultSize: 10000, maxSize: 10000 });
        return {
          json: {
            model_versions: page.map((v) => mlflowVersionJson(view, v, ctx.now)),
            next_page_token: nextPageToken,
          },
        };
      },
    },
    {
      method: 'PATCH',
      pattern: `${VERSIONS}/update`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const { view, version } = writable(ctx, body);
        const description = optionalString(body, 'description');
        if (description !== undefined) version.record.comment = description;
        version.record.updatedAt = ctx.now;
        return reply(ctx, view, version.record.version);
      },
    },
    {
      method: 'DELETE',
      pattern: `${VERSIONS}/delete`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const { view, version } = writable(ctx, fieldsOf(ctx));
        view.model.versions.delete(version.record.version);
        for (const [alias, target] of view.model.aliases)
          if (target === version.record.version) view.model.aliases.delete(alias);
        return { json: {} };
      },
    },
    {
      method: 'POST',
      pattern: `${VERSIONS}/set-tag`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const { version } = writable(ctx, body);
        const key = requiredString(body, 'key', "the tag's key");
        if (typeof body.value !== 'string') throw badRequest("'value' must be a string.");
        checkTag(key, body.value, 'key');
        version.record.tags.set(key, body.value);
        version.record.updatedAt = ctx.now;
        return { json: {} };
      },
    },
    {
      method: 'DELETE',
      pattern: `${VERSIONS}/delete-tag`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const fields = fieldsOf(ctx);
        const { version } = writable(ctx, fields);
        const key = requiredString(fields, 'key', "the tag's key");
        if (!version.record.tags.delete(key))
          throw notFound(`Tag '${key}' does not exist on version ${version.record.version}.`);
        return { json: {} };
      },
    },
    {
      method: 'POST',
      pattern: `${VERSIONS}/generate-temporary-credentials`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        const { view, version } = found(ctx, body);
        const operation = optionalString(body, 'operation') ?? 'MODEL_VERSION_OPERATION_READ';
        if (!['MODEL_VERSION_OPERATION_READ', 'MODEL_VERSION_OPERATION_READ_WRITE'].includes(operation))
          throw badRequest(
            `'operation' must be MODEL_VERSION_OPERATION_READ or MODEL_VERSION_OPERATION_READ_WRITE, got '${operation}'.`,
          );
        if (operation === 'MODEL_VERSION_OPERATION_READ_WRITE') {
          uc.assertWritable(view);
          if (version.status !== 'PENDING_REGISTRATION')
            throw badRequest(
              `'operation': version ${version.record.version} is ${version.status}; its files can be written only while PENDING_REGISTRATION.`,
            );
        }
        // No cloud store behind the emulator: the files live in its default storage, reached through the Files API.
        return {
          json: { credentials: { storage_mode: 'DEFAULT_STORAGE', expiration_time: ctx.now + CREDENTIALS_TTL_MS } },
        };
      },
    },
    {
      method: 'GET',
      pattern: `${VERSIONS}/get-download-uri`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({ json: { artifact_uri: found(ctx, fieldsOf(ctx)).version.record.storageLocation } }),
    },
    {
      method: 'POST',
      pattern: `${VERSIONS}/emit-lineage`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        // Lineage is accepted and not kept: the emulator has no lineage graph.
        found(ctx, jsonObjectBody(ctx));
        return { json: {} };
      },
    },
  ];
}

export function mlflowRegistryRoutes(emulator: EmulatorForRoutes): Route[] {
  return [...modelRoutes(emulator.catalog), ...versionRoutes(emulator, emulator.catalog)];
}
