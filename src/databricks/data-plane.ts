/**
 * Route-optimized endpoints (docs/databricks-api.md §1.7): they accept OAuth tokens only and are queried at their own
 * data-plane URL, `data_plane_info.query_info.endpoint_url` of GET. The token for it is the workspace's OAuth M2M token
 * exchanged for one scoped by `query_info.authorization_details`, as the SDKs' data-plane clients do. The client reads
 * all of it from GET, as on a real workspace; the worker's credentials never leave the worker.
 */
import { inspect } from 'node:util';
import { OAuthM2MCredentials, TokenCache, type Authorization, type CredentialsProvider } from './auth';
import { DatabricksConfigError, DatabricksResponseError } from './errors';
import type { ServingEndpointDetailed } from './schemas';
import { REDACTED } from './secret';

/** Where a route-optimized endpoint answers, read from its GET answer; undefined for other endpoints. */
export interface DataPlaneRoute {
  /** The traffic-split invocations URL (`.../serving-endpoints/{name}/invocations`). */
  invocationsUrl: string;
  /** The JSON string to request the endpoint's token with. */
  authorizationDetails: string;
}

export function dataPlaneRoute(endpoint: ServingEndpointDetailed): DataPlaneRoute | undefined {
  if (endpoint.route_optimized !== true) return undefined;
  const info = endpoint.data_plane_info?.query_info;
  const invocationsUrl = info?.endpoint_url ?? endpoint.endpoint_url;
  const problems = [
    ...(invocationsUrl ? [] : ['data_plane_info.query_info.endpoint_url: missing on a route-optimized endpoint']),
    ...(info?.authorization_details
      ? []
      : ['data_plane_info.query_info.authorization_details: missing on a route-optimized endpoint']),
  ];
  if (problems.length)
    throw new DatabricksResponseError('GET', `/api/2.0/serving-endpoints/${endpoint.name}`, 200, problems);
  return { invocationsUrl: invocationsUrl!, authorizationDetails: info!.authorization_details! };
}

/** The URL of one served model's invocations on the data plane: next to the traffic-split one. */
export function servedModelUrl(invocationsUrl: string, servedModel: string): string {
  const url = new URL(invocationsUrl);
  if (!url.pathname.endsWith('/invocations'))
    throw new DatabricksResponseError('GET', url.pathname, 200, [
      `data_plane_info.query_info.endpoint_url: "${url.pathname}" does not end with /invocations`,
    ]);
  url.pathname = `${url.pathname.slice(0, -'/invocations'.length)}/served-models/${encodeURIComponent(servedModel)}/invocations`;
  return url.toString();
}

/**
 * The workspace credentials that can query a route-optimized endpoint: OAuth M2M only. A PAT gets a configuration
 * error (not retryable) naming the endpoint, the workspace and the fix.
 */
export function dataPlaneCapable(
  credentials: CredentialsProvider,
  endpoint: string,
  workspace: string,
): OAuthM2MCredentials {
  if (credentials instanceof OAuthM2MCredentials) return credentials;
  throw new DatabricksConfigError(
    `serving endpoint '${endpoint}' in ${workspace} is route-optimized: Databricks accepts only OAuth tokens for it, ` +
      `at its data-plane URL, and this workspace's credentials are ${
        credentials.authType === 'pat' ? 'a personal access token' : `of type ${credentials.authType}`
      }. Configure OAuth M2M for this workspace: client_id and client_secret of a service principal with CAN_QUERY ` +
      `on the endpoint, in its profile instead of token (or auth_type = oauth-m2m).`,
  );
}

/** Credentials for one endpoint's data plane: its scoped token, cached until shortly before it expires. */
export class DataPlaneCredentials implements CredentialsProvider {
  readonly authType = 'oauth-m2m-data-plane';
  readonly #tokens: TokenCache;

  constructor(
    private readonly workspace: OAuthM2MCredentials,
    authorizationDetails: string,
    now: () => number = Date.now,
  ) {
    this.#tokens = new TokenCache(() => workspace.exchangeToken(authorizationDetails), now);
  }

  authorize(signal?: AbortSignal): Promise<Authorization> {
    return this.#tokens.authorize(signal);
  }

  invalidate(header: string): void {
    this.#tokens.invalidate(header);
  }

  secretValues(): string[] {
    return [...this.workspace.secretValues(), ...this.#tokens.secretValues()];
  }

  toJSON(): object {
    return { authType: this.authType, clientId: this.workspace.clientId, token: REDACTED };
  }

  [inspect.custom](): string {
    return `DataPlaneCredentials { clientId: '${this.workspace.clientId}', token: ${REDACTED} }`;
  }
}
