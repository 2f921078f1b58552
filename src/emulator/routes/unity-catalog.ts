/** Unity Catalog: registered models, versions, aliases (/api/2.1/unity-catalog/models) and catalogs. */
import { badRequest, notFound } from '../api-error';
import type { CatalogRecord, ModelView, VersionView } from '../catalog';
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { RequestContext, Route } from '../http';
import { booleanQuery, jsonObjectBody, paginate } from '../http';

const MODELS = '/api/2.1/unity-catalog/models';
const CATALOGS = '/api/2.1/unity-catalog/catalogs';
// MLflow's registry routes (/api/2.0/mlflow/unity-catalog/...) are in mlflow-registry.ts.

export function aliasJson(view: ModelView, alias: string, version: number) {
  return {
    alias_name: alias,
    version_num: version,
    catalog_name: view.catalog,
    schema_name: view.schema,
    model_name: view.name,
    id: `${view.model.id}:${alias}`,
  };
}

function aliasesOf(view: ModelView, now: number, version?: number) {
  return [...view.aliases(now)]
    .filter(([, v]) => version === undefined || v === version)
    .map(([alias, v]) => aliasJson(view, alias, v));
}

export function modelInfoJson(view: ModelView, now: number, includeAliases: boolean) {
  const model = view.model;
  return {
    full_name: `${view.catalog}.${view.schema}.${view.name}`,
    name: view.name,
    catalog_name: view.catalog,
    schema_name: view.schema,
    owner: model.owner,
    comment: model.comment,
    storage_location: model.storageLocation,
    metastore_id: view.metastoreId,
    created_at: model.createdAt,
    created_by: model.createdBy,
    updated_at: model.updatedAt,
    updated_by: model.updatedBy,
    aliases: includeAliases ? aliasesOf(view, now) : undefined,
    browse_only: false,
  };
}

export function versionInfoJson(view: ModelView, version: VersionView, now: number, includeAliases: boolean) {
  const record = version.record;
  return {
    model_name: view.name,
    catalog_name: view.catalog,
    schema_name: view.schema,
    version: record.version,
    status: version.status,
    source: record.source,
    run_id: record.runId,
    storage_location: record.storageLocation,
    comment: record.comment,
    id: record.id,
    metastore_id: view.metastoreId,
    created_at: record.createdAt,
    created_by: record.createdBy,
    updated_at: record.updatedAt,
    updated_by: record.createdBy,
    aliases: includeAliases ? aliasesOf(view, now, record.version) : undefined,
  };
}

export function catalogJson(catalog: CatalogRecord, metastoreId: string) {
  return {
    name: catalog.name,
    catalog_type: catalog.type,
    provider_name: catalog.providerName,
    share_name: catalog.shareName,
    owner: catalog.owner,
    metastore_id: metastoreId,
    created_at: catalog.createdAt,
    created_by: catalog.createdBy,
    updated_at: catalog.createdAt,
    updated_by: catalog.createdBy,
    comment: catalog.comment,
  };
}

function versionParam(ctx: RequestContext): number {
  const version = Number(ctx.params.version);
  if (!Number.isInteger(version) || version <= 0)
    throw badRequest(`The model version must be a positive integer, got '${ctx.params.version}'.`);
  return version;
}

export function unityCatalogRoutes(emulator: EmulatorForRoutes): Route[] {
  const uc = emulator.catalog;
  const view = (ctx: RequestContext) => uc.resolveModel(ctx.region, ctx.params.full_name);
  const writable = (ctx: RequestContext) => {
    const v = view(ctx);
    uc.assertWritable(v);
    return v;
  };
  const metastore = (ctx: RequestContext) => emulator.workspace(ctx.region).metastoreId;
  return [
    {
      method: 'GET',
      pattern: MODELS,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const catalog = ctx.query.get('catalog_name') ?? undefined;
        const schema = ctx.query.get('schema_name') ?? undefined;
        if (!!catalog !== !!schema) throw badRequest('Specify both catalog_name and schema_name, or neither.');
        const all = uc.listModels(ctx.region, catalog, schema);
        const limits = catalog ? { defaultSize: 10000, maxSize: 10000 } : { defaultSize: 100, maxSize: 1000 };
        const { page, nextPageToken } = paginate(all, ctx, limits);
        return {
          json: {
            registered_models: page.map((v) => modelInfoJson(v, ctx.now, false)),
            next_page_token: nextPageToken,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: MODELS,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        for (const field of ['catalog_name', 'schema_name', 'name'])
          if (typeof body[field] !== 'string' || !body[field]) throw badRequest(`'${field}' is required.`);
        const model = uc.createModel(
          ctx.region,
          {
            catalog: body.catalog_name as string,
            schema: body.schema_name as string,
            name: body.name as string,
            comment: typeof body.comment === 'string' ? body.comment : undefined,
          },
          ctx.principal.name,
          ctx.now,
        );
        return { json: modelInfoJson(uc.resolveModel(ctx.region, model.fullName), ctx.now, false) };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}/:full_name`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({ json: modelInfoJson(view(ctx), ctx.now, booleanQuery(ctx, 'include_aliases')) }),
    },
    {
      method: 'PATCH',
      pattern: `${MODELS}/:full_name`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const v = writable(ctx);
        const body = jsonObjectBody(ctx);
        if (body.new_name !== undefined)
          throw badRequest('Renaming a registered model is not supported by the emulator; only comment and owner.');
        if (body.comment !== undefined && typeof body.comment !== 'string')
          throw badRequest("'comment' must be a string.");
        if (body.owner !== undefined && typeof body.owner !== 'string') throw badRequest("'owner' must be a string.");
        if (body.comment !== undefined) v.model.comment = body.comment;
        if (body.owner !== undefined) v.model.owner = body.owner;
        v.model.updatedAt = ctx.now;
        v.model.updatedBy = ctx.principal.name;
        return { json: modelInfoJson(v, ctx.now, false) };
      },
    },
    {
      method: 'DELETE',
      pattern: `${MODELS}/:full_name`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        uc.models.delete(writable(ctx).model.fullName);
        return { json: {} };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}/:full_name/versions`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const v = view(ctx);
        const versions = v.versions(ctx.now).sort((a, b) => b.record.version - a.record.version);
        const { page, nextPageToken } = paginate(versions, ctx, { defaultSize: 100, maxSize: 1000 });
        // "The elements in the response will not contain any aliases or tags."
        return {
          json: {
            model_versions: page.map((mv) => versionInfoJson(v, mv, ctx.now, false)),
            next_page_token: nextPageToken,
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}/:full_name/versions/:version`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const v = view(ctx);
        const version = uc.findVersion(v, versionParam(ctx), ctx.now);
        return { json: versionInfoJson(v, version, ctx.now, booleanQuery(ctx, 'include_aliases')) };
      },
    },
    {
      method: 'PATCH',
      pattern: `${MODELS}/:full_name/versions/:version`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const v = writable(ctx);
        const version = uc.findVersion(v, versionParam(ctx), ctx.now);
        const body = jsonObjectBody(ctx);
        if (typeof body.comment !== 'string')
          throw badRequest("'comment' is required: only the comment of a model version can be updated.");
        version.record.comment = body.comment;
        version.record.updatedAt = ctx.now;
        return { json: versionInfoJson(v, version, ctx.now, false) };
      },
    },
    {
      method: 'DELETE',
      pattern: `${MODELS}/:full_name/versions/:version`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const v = writable(ctx);
        const version = uc.findVersion(v, versionParam(ctx), ctx.now);
        v.model.versions.delete(version.record.version);
        for (const [alias, target] of v.model.aliases)
          if (target === version.record.version) v.model.aliases.delete(alias);
        return { json: {} };
      },
    },
    {
      method: 'PUT',
      pattern: `${MODELS}/:full_name/aliases/:alias`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const v = writable(ctx);
        const body = jsonObjectBody(ctx);
        const versionNum = body.version_num;
        if (typeof versionNum !== 'number' || !Number.isInteger(versionNum))
          throw badRequest("'version_num' must be the version number as an integer.");
        if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(ctx.params.alias))
          throw badRequest(`Alias '${ctx.params.alias}' may contain only letters, digits, '_' and '-'.`);
        uc.findVersion(v, versionNum, ctx.now);
        v.model.aliases.set(ctx.params.alias, versionNum);
        return { json: aliasJson(v, ctx.params.alias, versionNum) };
      },
    },
    {
      method: 'GET',
      pattern: `${MODELS}/:full_name/aliases/:alias`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const v = view(ctx);
        const target = v.aliases(ctx.now).get(ctx.params.alias);
        if (target === undefined)
          throw notFound(`Alias '${ctx.params.alias}' does not exist for model '${ctx.params.full_name}'.`);
        return {
          json: versionInfoJson(v, uc.findVersion(v, target, ctx.now), ctx.now, booleanQuery(ctx, 'include_aliases')),
        };
      },
    },
    {
      method: 'DELETE',
      pattern: `${MODELS}/:full_name/aliases/:alias`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const v = writable(ctx);
        if (!v.model.aliases.delete(ctx.params.alias))
          throw notFound(`Alias '${ctx.params.alias}' does not exist for model '${ctx.params.full_name}'.`);
        return { json: {} };
      },
    },
    {
      method: 'GET',
      pattern: CATALOGS,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const all = [...uc.catalogs.get(ctx.region)!.values()].sort((a, b) => a.name.localeCompare(b.name));
        const { page, nextPageToken } = paginate(all, ctx, { defaultSize: 1000, maxSize: 1000 });
        return { json: { catalogs: page.map((c) => catalogJson(c, metastore(ctx))), next_page_token: nextPageToken } };
      },
    },
    {
      method: 'GET',
      pattern: `${CATALOGS}/:name`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const catalog = uc.catalogs.get(ctx.region)!.get(ctx.params.name);
        if (!catalog) throw notFound(`Catalog '${ctx.params.name}' does not exist.`, 'CATALOG_DOES_NOT_EXIST');
        return { json: catalogJson(catalog, metastore(ctx)) };
      },
    },
    {
      method: 'POST',
      pattern: CATALOGS,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const body = jsonObjectBody(ctx);
        if (typeof body.name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(body.name))
          throw badRequest("'name' is required: letters, digits, '_' and '-'.");
        const provider = body.provider_name;
        const share = body.share_name;
        if (body.comment !== undefined && typeof body.comment !== 'string')
          throw badRequest("'comment' must be a string.");
        const comment = body.comment;
        if (provider === undefined && share === undefined)
          return {
            json: catalogJson(
              uc.addCatalog(
                ctx.region,
                { name: body.name, type: 'MANAGED_CATALOG', comment },
                ctx.now,
                ctx.principal.name,
              ),
              metastore(ctx),
            ),
          };
        if (typeof provider !== 'string' || typeof share !== 'string')
          throw badRequest('A catalog from a share needs both provider_name and share_name.');
        if (provider !== uc.providerName)
          throw notFound(`Provider '${provider}' does not exist.`, 'PROVIDER_DOES_NOT_EXIST');
        const shared = uc.shares.get(share);
        if (!shared || !shared.grantees.has(uc.recipientName(ctx.region)))
          throw notFound(
            `Share '${share}' of provider '${provider}' is not accessible.`,
            'PROVIDER_SHARE_NOT_ACCESSIBLE',
          );
        const catalog = uc.addCatalog(
          ctx.region,
          { name: body.name, type: 'DELTASHARING_CATALOG', providerName: provider, shareName: share, comment },
          ctx.now,
          ctx.principal.name,
        );
        return { json: catalogJson(catalog, metastore(ctx)) };
      },
    },
  ];
}
