/**
 * The emulator's own admin API, under /__emulator/ (a path Databricks cannot use): register model versions in the
 * primary as a training job would, inject and clear faults, and read the whole state (for invariant checks).
 * It needs no token: it exists only on an emulator, which listens on loopback by default.
 */
import { z } from 'zod';
import { badRequest, notFound } from '../api-error';
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { Route } from '../http';
import { jsonBody } from '../http';
import { predictor } from '../invocations';
import { durationMs, formatZodIssues } from '../../shared/duration';
import { behaviorSchema, faultSchema, type Behavior } from '../world';
import { versionInfoJson } from './unity-catalog';

const registerSchema = z.strictObject({
  behavior: z.union([z.string().min(1), behaviorSchema]),
  registration_duration: durationMs.optional(),
  fail_registration: z.boolean().default(false),
  comment: z.string().optional(),
  created_by: z.string().default('training-job'),
  /** Unity Catalog tags of the new version, e.g. {"serving_jurisdictions": "EU"}. */
  tags: z.record(z.string().min(1), z.string()).optional(),
});

function validate<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw badRequest(`Invalid request: ${formatZodIssues(result.error).join('; ')}`);
  return result.data;
}

export function adminRoutes(emulator: EmulatorForRoutes): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/__emulator/health',
      scope: 'admin',
      permission: null,
      handler: (ctx) => ({ json: { ok: true, region: ctx.region } }),
    },
    {
      method: 'GET',
      pattern: '/__emulator/state',
      scope: 'admin',
      permission: null,
      handler: (ctx) => ({ json: emulator.snapshot(ctx.now) }),
    },
    {
      method: 'POST',
      pattern: '/__emulator/models/:full_name/versions',
      scope: 'admin',
      permission: null,
      handler: (ctx) => {
        const body = validate(registerSchema, jsonBody(ctx));
        const world = emulator.world;
        const named = typeof body.behavior === 'string' ? body.behavior : undefined;
        const behavior: Behavior | undefined =
          typeof body.behavior === 'string' ? world.behaviors[body.behavior] : body.behavior;
        if (!behavior)
          throw badRequest(
            `Unknown behavior '${named}'; the world defines: ${Object.keys(world.behaviors).join(', ')}.`,
          );
        try {
          predictor(behavior);
        } catch (err) {
          throw badRequest(`behavior.prediction: ${(err as Error).message}`);
        }
        const view = emulator.catalog.resolveModel(world.primary, ctx.params.full_name);
        const registration = body.registration_duration ?? emulator.sampleRegistration(view.model.fullName);
        const record = emulator.catalog.addVersion(view.model, {
          behavior,
          createdBy: body.created_by,
          now: ctx.now,
          settlesAt: ctx.now + registration,
          failed: body.fail_registration,
          comment: body.comment,
          tags: body.tags,
        });
        const version = emulator.catalog.findVersion(view, record.version, ctx.now);
        return { json: versionInfoJson(view, version, ctx.now, false) };
      },
    },
    {
      method: 'GET',
      pattern: '/__emulator/faults',
      scope: 'admin',
      permission: null,
      handler: (ctx) => ({ json: { faults: emulator.faults.list(ctx.now) } }),
    },
    {
      method: 'POST',
      pattern: '/__emulator/faults',
      scope: 'admin',
      permission: null,
      handler: (ctx) => {
        const raw = jsonBody(ctx);
        const withRegion =
          typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('region' in raw)
            ? { ...raw, region: ctx.region }
            : raw;
        const spec = validate(faultSchema, withRegion);
        if ('region' in spec && spec.region !== undefined && !emulator.hasRegion(spec.region))
          throw badRequest(`region: unknown region '${spec.region}'.`);
        return { json: emulator.faults.add(spec, ctx.now) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/__emulator/faults',
      scope: 'admin',
      permission: null,
      handler: (ctx) => {
        emulator.faults.clear(ctx.query.get('region') ?? undefined, ctx.now);
        return { json: {} };
      },
    },
    {
      method: 'DELETE',
      pattern: '/__emulator/faults/:id',
      scope: 'admin',
      permission: null,
      handler: (ctx) => {
        if (!emulator.faults.remove(ctx.params.id, ctx.now)) throw notFound(`No fault '${ctx.params.id}'.`);
        return { json: {} };
      },
    },
  ];
}
