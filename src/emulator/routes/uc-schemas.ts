/**
 * Unity Catalog schemas (/api/2.1/unity-catalog/schemas), read-only and derived from the world: a catalog's schemas
 * are those of the models it holds, its own or those its share grants the region.
 */
import { badRequest, notFound } from '../api-error';
import type { CatalogRecord } from '../catalog';
import { booleanQuery, paginate, type RequestContext, type Route } from '../http';
import { Random } from '../random';
import type { EmulatorForRoutes } from './emulator-for-routes';

const SCHEMAS = '/api/2.1/unity-catalog/schemas';

export function schemaRoutes(emulator: EmulatorForRoutes): Route[] {
  const uc = emulator.catalog;

  const schemaJson = (ctx: RequestContext, catalog: CatalogRecord, name: string) => {
    const fullName = `${catalog.name}.${name}`;
    return {
      name,
      catalog_name: catalog.name,
      full_name: fullName,
      catalog_type: catalog.type,
      owner: catalog.owner,
      metastore_id: emulator.workspace(ctx.region).metastoreId,
      schema_id: Random.stream(emulator.world.seed, `schema:${ctx.region}:${fullName}`).uuid(),
      created_at: catalog.createdAt,
      created_by: catalog.createdBy,
      updated_at: catalog.createdAt,
      updated_by: catalog.createdBy,
    };
  };

  return [
    {
      method: 'GET',
      pattern: SCHEMAS,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const catalogName = ctx.query.get('catalog_name');
        if (!catalogName)
          throw badRequest("'catalog_name' is required: the catalog whose schemas to list, e.g. ?catalog_name=main.");
        booleanQuery(ctx, 'include_browse');
        const { catalog, schemas } = uc.listSchemas(ctx.region, catalogName);
        const { page, nextPageToken } = paginate(schemas, ctx, { defaultSize: 1000, maxSize: 1000 });
        return {
          json: { schemas: page.map((name) => schemaJson(ctx, catalog, name)), next_page_token: nextPageToken },
        };
      },
    },
    {
      method: 'GET',
      pattern: `${SCHEMAS}/:full_name`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const fullName = ctx.params.full_name;
        const parts = fullName.split('.');
        if (parts.length !== 2 || parts.some((p) => p.length === 0))
          throw badRequest(`Invalid schema name '${fullName}': expected <catalog>.<schema>.`);
        booleanQuery(ctx, 'include_browse');
        const { catalog, schemas } = uc.listSchemas(ctx.region, parts[0]);
        if (!schemas.includes(parts[1]))
          throw notFound(`Schema '${fullName}' does not exist.`, 'SCHEMA_DOES_NOT_EXIST');
        return { json: schemaJson(ctx, catalog, parts[1]) };
      },
    },
  ];
}
