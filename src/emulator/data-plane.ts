/**
 * Route-optimized endpoints' data plane. On Databricks each such endpoint answers at its own host; here its data-plane
 * URL is a path prefix on the region's own server: `{workspace}/serving-data-plane/{endpoint id}/serving-endpoints/
 * {name}/invocations`. It takes only OAuth tokens scoped to the endpoint through `authorization_details` (the form the
 * SDKs request, docs/emulator.md "Route-optimized endpoints").
 */
import type { EndpointRecord } from './serving';

export const DATA_PLANE_PREFIX = '/serving-data-plane';
export const QUERY_ACTION = 'query_inference_endpoint';

export function dataPlaneInvocationsUrl(workspaceUrl: string, endpoint: Pick<EndpointRecord, 'id' | 'name'>): string {
  return `${workspaceUrl}${DATA_PLANE_PREFIX}/${endpoint.id}/serving-endpoints/${encodeURIComponent(endpoint.name)}/invocations`;
}

/** The `authorization_details` a token must be requested with to query the endpoint (a JSON string, as GET returns). */
export function authorizationDetailsFor(endpointId: string): string {
  return JSON.stringify([
    {
      type: 'workspace_permission',
      object_type: 'serving-endpoints',
      object_path: `/serving-endpoints/${endpointId}`,
      actions: [QUERY_ACTION],
    },
  ]);
}

/** The fields GET adds for a route-optimized endpoint; none for others. */
export function routeOptimizedJson(endpoint: EndpointRecord, workspaceUrl: string) {
  if (!endpoint.routeOptimized) return {};
  const url = dataPlaneInvocationsUrl(workspaceUrl, endpoint);
  return {
    endpoint_url: url,
    data_plane_info: { query_info: { endpoint_url: url, authorization_details: authorizationDetailsFor(endpoint.id) } },
  };
}

/**
 * The endpoint ids an `authorization_details` value grants queries on, or a problem: it must be a JSON array of
 * `{type: "workspace_permission", object_type: "serving-endpoints", object_path: "/serving-endpoints/{id}",
 * actions: ["query_inference_endpoint"]}`.
 */
export function parseAuthorizationDetails(raw: string): { endpointIds: string[] } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { problem: 'authorization_details is not valid JSON.' };
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    return { problem: 'authorization_details must be a non-empty JSON array.' };
  const endpointIds: string[] = [];
  for (const [i, item] of parsed.entries()) {
    const detail = item as Record<string, unknown>;
    const path =
      typeof detail?.object_path === 'string' ? /^\/serving-endpoints\/([^/]+)$/.exec(detail.object_path) : null;
    if (
      detail?.type !== 'workspace_permission' ||
      detail.object_type !== 'serving-endpoints' ||
      !path ||
      !Array.isArray(detail.actions) ||
      !detail.actions.includes(QUERY_ACTION)
    )
      return {
        problem:
          `authorization_details[${i}] must be {"type": "workspace_permission", "object_type": "serving-endpoints", ` +
          `"object_path": "/serving-endpoints/<endpoint id>", "actions": ["${QUERY_ACTION}"]}.`,
      };
    endpointIds.push(path[1]);
  }
  return { endpointIds };
}
