/**
 * Who is calling: personal access tokens and OAuth M2M (client credentials) per workspace, and what they may do.
 * A principal exists only in the workspaces the world lists for it: its token is refused (401) anywhere else,
 * as a workspace-scoped PAT is.
 */
import { permissionDenied, unauthenticated } from './api-error';
import { parseAuthorizationDetails } from './data-plane';
import { Random } from './random';
import type { PrincipalSpec, World } from './world';

/** 'authenticated': any principal of the workspace, whatever its grants (SCIM Me). */
export type Permission = 'authenticated' | 'serving:view' | 'serving:query' | 'serving:manage' | 'uc:read' | 'uc:write';

const SERVING_RANK = { NONE: 0, CAN_VIEW: 1, CAN_QUERY: 2, CAN_MANAGE: 3 } as const;
const UC_RANK = { NONE: 0, READ: 1, WRITE: 2 } as const;

interface IssuedToken {
  principal: PrincipalSpec;
  region: string;
  expiresAt: number;
  /** Set on tokens requested with authorization_details: the route-optimized endpoints (ids) they may query. */
  dataPlaneEndpoints?: string[];
}

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

type TokenAnswer = { status: number; body: Record<string, unknown> };

export class Authenticator {
  private readonly issued = new Map<string, IssuedToken>();
  private readonly rng: Random;

  constructor(private readonly world: World) {
    this.rng = Random.stream(world.seed, 'oauth-tokens');
  }

  private memberOf(principal: PrincipalSpec, region: string) {
    return principal.workspaces.includes('*') || principal.workspaces.includes(region);
  }

  /** The principal behind an Authorization header in a region's workspace, or a 401. */
  authenticate(header: string | undefined, region: string, now: number): PrincipalSpec {
    const token = bearer(header);
    const issued = this.liveIssued(token, region, now);
    if (issued) {
      if (issued.dataPlaneEndpoints)
        throw unauthenticated(
          'This OAuth token is scoped to route-optimized endpoints (authorization_details) and is valid only at their data-plane URLs.',
        );
      return issued.principal;
    }
    const principal = this.world.principals.find((p) => p.token === token);
    if (!principal || !this.memberOf(principal, region)) throw unauthenticated('Invalid access token.');
    return principal;
  }

  /** An issued OAuth token of this region that has not expired (undefined for anything else, PATs included). */
  private liveIssued(token: string, region: string, now: number): IssuedToken | undefined {
    const issued = this.issued.get(token);
    if (!issued) return undefined;
    if (issued.region !== region) throw unauthenticated('Invalid access token.');
    if (now >= issued.expiresAt) {
      this.issued.delete(token);
      throw unauthenticated('Token expired. Please obtain a new OAuth token.');
    }
    return issued;
  }

  /**
   * The principal querying a route-optimized endpoint at its data-plane URL: only an OAuth token requested with
   * authorization_details naming this endpoint is accepted. A PAT, or a workspace OAuth token without that scope, is
   * refused with 401 and what to do instead.
   */
  authenticateDataPlane(header: string | undefined, region: string, endpointId: string, now: number): PrincipalSpec {
    const token = bearer(header);
    const issued = this.liveIssued(token, region, now);
    if (!issued) {
      if (this.world.principals.some((p) => p.token === token))
        throw unauthenticated(
          'Route-optimized endpoints accept OAuth tokens only; personal access tokens are not supported. Request an ' +
            "OAuth token (service principal client credentials) with the endpoint's authorization_details from " +
            'data_plane_info.query_info.',
        );
      throw unauthenticated('Invalid access token.');
    }
    if (!issued.dataPlaneEndpoints)
      throw unauthenticated(
        "This OAuth token is not scoped to the endpoint. Exchange it at /oidc/v1/token for one with the endpoint's " +
          'authorization_details (data_plane_info.query_info.authorization_details).',
      );
    if (!issued.dataPlaneEndpoints.includes(endpointId))
      throw permissionDenied('This OAuth token is not authorized to query this endpoint (authorization_details).');
    return issued.principal;
  }

  authorize(principal: PrincipalSpec, permission: Permission) {
    if (permission === 'authenticated') return;
    const [area, level] = permission.split(':');
    const allowed =
      area === 'serving'
        ? SERVING_RANK[principal.serving] >= { view: 1, query: 2, manage: 3 }[level as 'view']
        : UC_RANK[principal.unity_catalog] >= { read: 1, write: 2 }[level as 'read'];
    if (!allowed)
      throw permissionDenied(
        `User ${principal.name} does not have ${
          area === 'serving'
            ? `${level === 'manage' ? 'Manage' : level === 'query' ? 'Query' : 'View'} permissions on the serving endpoint`
            : `${level.toUpperCase()} privileges in Unity Catalog`
        } required for this request.`,
      );
  }

  servingPermissionLevel(principal: PrincipalSpec): string {
    return principal.serving === 'NONE' ? 'CAN_VIEW' : principal.serving;
  }

  /**
   * The token endpoint: the client credentials grant, and the JWT bearer grant that exchanges a workspace OAuth token
   * (`assertion`) for one scoped by `authorization_details` to route-optimized endpoints, as the SDKs' data-plane
   * clients do. Either grant with `authorization_details` gives a scoped token. Answers in RFC 6749 form.
   */
  issueToken(basicAuth: string | undefined, form: URLSearchParams, region: string, now: number): TokenAnswer {
    const invalidClient = {
      status: 401,
      body: { error: 'invalid_client', error_description: 'Client authentication failed' },
    };
    const client = clientCredentials(basicAuth, form);
    if (!client) return invalidClient;
    const grant = form.get('grant_type');
    let principal: PrincipalSpec | undefined;
    if (grant === 'client_credentials') {
      principal = this.world.principals.find((p) => p.client_id !== undefined && p.client_id === client.id);
      if (!principal || principal.client_secret !== client.secret || !this.memberOf(principal, region))
        return invalidClient;
    } else if (grant === JWT_BEARER_GRANT) {
      const assertion = form.get('assertion') ?? '';
      const issued = this.issued.get(assertion);
      if (!issued || issued.region !== region || now >= issued.expiresAt || issued.dataPlaneEndpoints)
        return invalidGrant('assertion must be an unexpired OAuth access token of this workspace.');
      principal = issued.principal;
      if (client.id !== undefined && (principal.client_id !== client.id || principal.client_secret !== client.secret))
        return invalidClient;
      if (form.get('authorization_details') === null)
        return invalidRequest('The jwt-bearer grant needs authorization_details.');
    } else
      return {
        status: 400,
        body: {
          error: 'unsupported_grant_type',
          error_description: `Only grant_type=client_credentials and ${JWT_BEARER_GRANT} are supported.`,
        },
      };
    let dataPlaneEndpoints: string[] | undefined;
    const details = form.get('authorization_details');
    if (details !== null) {
      const parsed = parseAuthorizationDetails(details);
      if ('problem' in parsed) return invalidRequest(parsed.problem);
      if (principal.serving !== 'CAN_QUERY' && principal.serving !== 'CAN_MANAGE')
        return {
          status: 400,
          body: {
            error: 'invalid_authorization_details',
            error_description: 'User is not authorized to the requested authorizations.',
          },
        };
      dataPlaneEndpoints = parsed.endpointIds;
    }
    const scope = form.get('scope') ?? 'all-apis';
    const ttl = this.world.defaults.oauth_token_ttl_seconds;
    const token = `eyJemu.${this.rng.hex(48)}`;
    this.issued.set(token, { principal, region, expiresAt: now + ttl * 1000, dataPlaneEndpoints });
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: ttl, scope } };
  }
}

function bearer(header: string | undefined): string {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
  if (!match) throw unauthenticated('Credential was not sent or was of an unsupported type for this API.');
  return match[1];
}

/** Client id and secret from HTTP Basic or the form; undefined when the Basic header is malformed. */
function clientCredentials(
  basicAuth: string | undefined,
  form: URLSearchParams,
): { id?: string; secret?: string } | undefined {
  const basic = basicAuth && /^Basic\s+(\S+)$/i.exec(basicAuth.trim());
  if (!basic) return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

const invalidRequest = (description: string): TokenAnswer => ({
  status: 400,
  body: { error: 'invalid_request', error_description: description },
});
const invalidGrant = (description: string): TokenAnswer => ({
  status: 400,
  body: { error: 'invalid_grant', error_description: description },
});
