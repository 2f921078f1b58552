/**
 * Who is calling: personal access tokens and OAuth M2M (client credentials) per workspace, and what they may do.
 * A principal exists only in the workspaces the world lists for it: its token is refused (401) anywhere else,
 * as a workspace-scoped PAT is.
 */
import { permissionDenied, unauthenticated } from './api-error';
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
}

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
    if (!header) throw unauthenticated('Credential was not sent or was of an unsupported type for this API.');
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw unauthenticated('Credential was not sent or was of an unsupported type for this API.');
    const token = match[1];
    const issued = this.issued.get(token);
    if (issued) {
      if (issued.region !== region) throw unauthenticated('Invalid access token.');
      if (now >= issued.expiresAt) {
        this.issued.delete(token);
        throw unauthenticated('Token expired. Please obtain a new OAuth token.');
      }
      return issued.principal;
    }
    const principal = this.world.principals.find((p) => p.token === token);
    if (!principal || !this.memberOf(principal, region)) throw unauthenticated('Invalid access token.');
    return principal;
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

  /** OAuth client credentials grant; answers in RFC 6749 form, as the token endpoint does. */
  issueToken(
    basicAuth: string | undefined,
    form: URLSearchParams,
    region: string,
    now: number,
  ): { status: number; body: Record<string, unknown> } {
    const invalidClient = {
      status: 401,
      body: { error: 'invalid_client', error_description: 'Client authentication failed' },
    };
    let clientId = form.get('client_id') ?? undefined;
    let clientSecret = form.get('client_secret') ?? undefined;
    const basic = basicAuth && /^Basic\s+(\S+)$/i.exec(basicAuth.trim());
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return invalidClient;
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (form.get('grant_type') !== 'client_credentials')
      return {
        status: 400,
        body: {
          error: 'unsupported_grant_type',
          error_description: 'Only grant_type=client_credentials is supported.',
        },
      };
    const principal = this.world.principals.find((p) => p.client_id !== undefined && p.client_id === clientId);
    if (!principal || principal.client_secret !== clientSecret || !this.memberOf(principal, region))
      return invalidClient;
    const scope = form.get('scope') ?? 'all-apis';
    const ttl = this.world.defaults.oauth_token_ttl_seconds;
    const token = `eyJemu.${this.rng.hex(48)}`;
    this.issued.set(token, { principal, region, expiresAt: now + ttl * 1000 });
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: ttl, scope } };
  }
}
