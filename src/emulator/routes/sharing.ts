/**
 * Delta Sharing, Databricks-to-Databricks: shares, recipients and permissions on the provider (the primary), and
 * the provider as recipients see it. Only MODEL objects are emulated.
 */
import { alreadyExists, badRequest, notFound } from '../api-error';
import type { ShareRecord } from '../catalog';
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { RequestContext, Route } from '../http';
import { booleanQuery, jsonObjectBody, paginate } from '../http';
import { isObject } from '../serving';

const UC = '/api/2.1/unity-catalog';
const MAX_UPDATES = 100;

export function shareJson(share: ShareRecord, includeObjects: boolean) {
  return {
    name: share.name,
    owner: share.owner,
    comment: share.comment,
    created_at: share.createdAt,
    created_by: share.createdBy,
    updated_at: share.updatedAt,
    updated_by: share.updatedBy,
    objects: includeObjects
      ? share.objects.map((o) => ({
          name: o.name,
          data_object_type: 'MODEL',
          string_shared_as: o.stringSharedAs,
          added_at: o.addedAt,
          added_by: o.addedBy,
          history_data_sharing_status: 'DISABLED',
          status: 'ACTIVE',
        }))
      : undefined,
  };
}

export function sharingRoutes(emulator: EmulatorForRoutes): Route[] {
  const uc = emulator.catalog;
  const primary = emulator.world.primary;
  const sharesHere = (ctx: RequestContext) => (ctx.region === primary ? [...uc.shares.values()] : []);
  const share = (ctx: RequestContext) => {
    const found = ctx.region === primary ? uc.shares.get(ctx.params.name) : undefined;
    if (!found) throw notFound(`Share '${ctx.params.name}' does not exist.`, 'SHARE_DOES_NOT_EXIST');
    return found;
  };
  const recipientsHere = (ctx: RequestContext) => (ctx.region === primary ? [...uc.recipients.values()] : []);
  const recipientJson = (name: string) => {
    const r = uc.recipients.get(name)!;
    return {
      name: r.name,
      authentication_type: 'DATABRICKS',
      data_recipient_global_metastore_id: r.globalMetastoreId,
      activated: true,
      cloud: r.globalMetastoreId.split(':')[0],
      region: r.region,
      metastore_id: r.globalMetastoreId.split(':')[2],
      owner: 'admins',
      created_at: r.createdAt,
      created_by: r.createdBy,
      updated_at: r.createdAt,
      updated_by: r.createdBy,
    };
  };
  /** Recipients see the provider when any share is granted to them. */
  const providerVisible = (ctx: RequestContext) =>
    [...uc.shares.values()].some((s) => s.grantees.has(uc.recipientName(ctx.region)));
  const provider = (ctx: RequestContext) => {
    if (ctx.params.name !== uc.providerName || !providerVisible(ctx))
      throw notFound(`Provider '${ctx.params.name}' does not exist.`, 'PROVIDER_DOES_NOT_EXIST');
    const primaryWorkspace = emulator.workspace(primary);
    return {
      name: uc.providerName,
      authentication_type: 'DATABRICKS',
      data_provider_global_metastore_id: `${primaryWorkspace.spec.cloud}:${primary}:${primaryWorkspace.metastoreId}`,
      metastore_id: primaryWorkspace.metastoreId,
      cloud: primaryWorkspace.spec.cloud,
      region: primary,
      owner: 'admins',
      created_at: emulator.startedAt,
      created_by: 'admins',
      updated_at: emulator.startedAt,
      updated_by: 'admins',
    };
  };
  const permissionsJson = (s: ShareRecord) => ({
    privilege_assignments: [...s.grantees].sort().map((principal) => ({ principal, privileges: ['SELECT'] })),
  });

  return [
    {
      method: 'GET',
      pattern: `${UC}/shares`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const { page, nextPageToken } = paginate(sharesHere(ctx), ctx, { defaultSize: 1000, maxSize: 1000 });
        return { json: { shares: page.map((s) => shareJson(s, false)), next_page_token: nextPageToken } };
      },
    },
    {
      method: 'POST',
      pattern: `${UC}/shares`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        if (ctx.region !== primary)
          throw badRequest(`The emulator keeps shares in the provider workspace (${primary}); create them there.`);
        const body = jsonObjectBody(ctx);
        if (typeof body.name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(body.name))
          throw badRequest("'name' is required: letters, digits, '_' and '-'.");
        if (uc.shares.has(body.name)) throw alreadyExists(`Share '${body.name}' already exists.`);
        const record: ShareRecord = {
          name: body.name,
          owner: ctx.principal.name,
          comment: typeof body.comment === 'string' ? body.comment : undefined,
          createdAt: ctx.now,
          createdBy: ctx.principal.name,
          updatedAt: ctx.now,
          updatedBy: ctx.principal.name,
          objects: [],
          grantees: new Set(),
        };
        uc.shares.set(record.name, record);
        return { json: shareJson(record, true) };
      },
    },
    {
      method: 'GET',
      pattern: `${UC}/shares/:name`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({ json: shareJson(share(ctx), booleanQuery(ctx, 'include_shared_data')) }),
    },
    {
      method: 'PATCH',
      pattern: `${UC}/shares/:name`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const target = share(ctx);
        const body = jsonObjectBody(ctx);
        const updates = body.updates ?? [];
        if (!Array.isArray(updates)) throw badRequest("'updates' must be an array of {action, data_object}.");
        if (updates.length > MAX_UPDATES)
          throw badRequest(`The maximum number update data objects allowed is a ${MAX_UPDATES}.`);
        // Validate every update before applying any, so a bad one changes nothing.
        const planned = updates.map((update: unknown, i) => {
          if (!isObject(update) || !isObject(update.data_object))
            throw badRequest(`'updates[${i}]' must be {"action": ..., "data_object": {...}}.`);
          const action = update.action;
          const object = update.data_object;
          if (action !== 'ADD' && action !== 'REMOVE' && action !== 'UPDATE')
            throw badRequest(`'updates[${i}].action' must be ADD, REMOVE or UPDATE.`);
          if (typeof object.name !== 'string') throw badRequest(`'updates[${i}].data_object.name' is required.`);
          if (object.data_object_type !== 'MODEL')
            throw badRequest(
              `'updates[${i}].data_object.data_object_type' must be MODEL: the emulator shares models only.`,
            );
          if (object.shared_as !== undefined)
            throw badRequest(`'updates[${i}].data_object.shared_as' must be omitted for MODEL; use string_shared_as.`);
          const sharedAs = object.string_shared_as;
          if (
            sharedAs !== undefined &&
            (typeof sharedAs !== 'string' || !/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(sharedAs))
          )
            throw badRequest(`'updates[${i}].data_object.string_shared_as' must be <schema>.<model>.`);
          const exists = target.objects.some((o) => o.name === object.name);
          if (action === 'ADD') {
            if (exists) throw alreadyExists(`Model '${object.name}' is already in share '${target.name}'.`);
            uc.resolveModel(primary, object.name);
          } else if (!exists) throw notFound(`Model '${object.name}' is not in share '${target.name}'.`);
          return { action, name: object.name, sharedAs: sharedAs };
        });
        for (const { action, name, sharedAs } of planned) {
          target.objects = target.objects.filter((o) => o.name !== name);
          if (action !== 'REMOVE')
            target.objects.push({ name, stringSharedAs: sharedAs, addedAt: ctx.now, addedBy: ctx.principal.name });
        }
        if (typeof body.comment === 'string') target.comment = body.comment;
        target.updatedAt = ctx.now;
        target.updatedBy = ctx.principal.name;
        return { json: shareJson(target, true) };
      },
    },
    {
      method: 'DELETE',
      pattern: `${UC}/shares/:name`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        uc.shares.delete(share(ctx).name);
        return { json: {} };
      },
    },
    {
      method: 'GET',
      pattern: `${UC}/shares/:name/permissions`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({ json: permissionsJson(share(ctx)) }),
    },
    {
      method: 'PATCH',
      pattern: `${UC}/shares/:name/permissions`,
      scope: 'management',
      permission: 'uc:write',
      handler: (ctx) => {
        const target = share(ctx);
        const body = jsonObjectBody(ctx);
        if (!Array.isArray(body.changes)) throw badRequest("'changes' must be an array of {principal, add, remove}.");
        const changes = body.changes.map((change: unknown, i) => {
          if (!isObject(change) || typeof change.principal !== 'string')
            throw badRequest(`'changes[${i}].principal' is required.`);
          if (!uc.recipients.has(change.principal))
            throw notFound(`Recipient '${change.principal}' does not exist.`, 'RECIPIENT_DOES_NOT_EXIST');
          for (const key of ['add', 'remove'] as const) {
            const list = change[key];
            if (list !== undefined && (!Array.isArray(list) || list.some((p) => p !== 'SELECT')))
              throw badRequest(`'changes[${i}].${key}' may only contain "SELECT" for a share.`);
          }
          return change as { principal: string; add?: string[]; remove?: string[] };
        });
        for (const change of changes) {
          if (change.add?.length) target.grantees.add(change.principal);
          if (change.remove?.length) target.grantees.delete(change.principal);
        }
        return { json: body.omit_permissions_list === true ? {} : permissionsJson(target) };
      },
    },
    {
      method: 'GET',
      pattern: `${UC}/recipients`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        const { page, nextPageToken } = paginate(recipientsHere(ctx), ctx, { defaultSize: 1000, maxSize: 1000 });
        return { json: { recipients: page.map((r) => recipientJson(r.name)), next_page_token: nextPageToken } };
      },
    },
    {
      method: 'GET',
      pattern: `${UC}/recipients/:name`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        if (!recipientsHere(ctx).some((r) => r.name === ctx.params.name))
          throw notFound(`Recipient '${ctx.params.name}' does not exist.`, 'RECIPIENT_DOES_NOT_EXIST');
        return { json: recipientJson(ctx.params.name) };
      },
    },
    {
      method: 'GET',
      pattern: `${UC}/providers`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({
        json: { providers: providerVisible(ctx) ? [provider({ ...ctx, params: { name: uc.providerName } })] : [] },
      }),
    },
    {
      method: 'GET',
      pattern: `${UC}/providers/:name`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => ({ json: provider(ctx) }),
    },
    {
      method: 'GET',
      pattern: `${UC}/providers/:name/shares`,
      scope: 'management',
      permission: 'uc:read',
      handler: (ctx) => {
        provider(ctx);
        const granted = [...uc.shares.values()].filter((s) => s.grantees.has(uc.recipientName(ctx.region)));
        const { page, nextPageToken } = paginate(granted, ctx, { defaultSize: 1000, maxSize: 1000 });
        return { json: { shares: page.map((s) => ({ name: s.name })), next_page_token: nextPageToken } };
      },
    },
  ];
}
