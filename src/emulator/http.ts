/** The emulator's small HTTP layer: routes with path parameters, JSON bodies, and Databricks-shaped errors. */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, badRequest } from './api-error';
import type { Permission } from './auth';
import type { PrincipalSpec } from './world';

/** Databricks' documented payload limit for scoring requests; management bodies are far smaller. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export type RouteScope = 'management' | 'invocations' | 'oauth' | 'admin';

export interface RequestContext {
  region: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  now: number;
  requestId: string;
  /** Set on routes that require authentication. */
  principal: PrincipalSpec;
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  /** Raw bytes (a file download); sent as application/octet-stream unless contentType says otherwise. */
  bytes?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: string;
  scope: RouteScope;
  /** null: no authentication (OAuth discovery, the token endpoint, the emulator's admin API). */
  permission: Permission | null;
  handler: (ctx: RequestContext) => Reply | Promise<Reply>;
}

export interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export function compileRoutes(routes: Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    // `/:name` is one path segment, `/:name*` the rest of the path (slashes included); a colon elsewhere is literal
    // (MLflow's `registered-models:is-databricks-sdk-models-artifact-repository-enabled`).
    const source = route.pattern.replace(/\/:([a-z_]+)(\*?)/g, (_m, name: string, rest: string) => {
      names.push(name);
      return rest ? '/(.+)' : '/([^/]+)';
    });
    return { ...route, regex: new RegExp(`^${source}/?$`), names };
  });
}

export type RouteMatch = { route: CompiledRoute; params: Record<string, string> } | { route: undefined };

export function matchRoute(routes: CompiledRoute[], method: string, path: string): RouteMatch {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.regex.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(match[i + 1]);
      } catch {
        throw badRequest(`The path parameter '${name}' is not valid percent-encoding.`, 'MALFORMED_REQUEST');
      }
    });
    return { route, params };
  }
  return { route: undefined };
}

/** Parses a JSON request body; an empty body counts as {}. */
export function jsonBody(ctx: RequestContext): unknown {
  if (ctx.rawBody.length === 0) return {};
  try {
    return JSON.parse(ctx.rawBody.toString('utf8'));
  } catch {
    throw new ApiError(
      400,
      'MALFORMED_REQUEST',
      'Invalid JSON given in the body of the request - failed to parse given JSON',
    );
  }
}

export function jsonObjectBody(ctx: RequestContext): Record<string, unknown> {
  const body = jsonBody(ctx);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError(
      400,
      'MALFORMED_REQUEST',
      'Invalid JSON given in the body of the request - expected a JSON object',
    );
  return body as Record<string, unknown>;
}

export function booleanQuery(ctx: RequestContext, name: string): boolean {
  const value = ctx.query.get(name);
  if (value === null) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`Query parameter '${name}' must be true or false.`);
}

/** Offset pagination with opaque page tokens, as Unity Catalog list calls do. */
export function paginate<T>(
  items: T[],
  ctx: RequestContext,
  limits: { defaultSize: number; maxSize: number },
): { page: T[]; nextPageToken?: string } {
  const raw = ctx.query.get('max_results');
  let size = limits.defaultSize;
  if (raw !== null) {
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw badRequest(`max_results must be a non-negative integer, got '${raw}'.`);
    size = parsed === 0 ? limits.defaultSize : Math.min(parsed, limits.maxSize);
  }
  let offset = 0;
  const token = ctx.query.get('page_token');
  if (token) {
    const decoded = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!decoded) throw badRequest(`page_token '${token}' is not a token this API returned.`);
    offset = Number(decoded[1]);
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return { page, nextPageToken: next < items.length ? Buffer.from(`o${next}`).toString('base64url') : undefined };
}
