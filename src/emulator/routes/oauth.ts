/** OAuth M2M: discovery and the client-credentials token endpoint; and the host metadata the Go SDK reads. */
import type { EmulatorForRoutes } from './emulator-for-routes';
import type { Route } from '../http';

export function oauthRoutes(emulator: EmulatorForRoutes): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/oidc/.well-known/oauth-authorization-server',
      scope: 'oauth',
      permission: null,
      handler: (ctx) => {
        const base = emulator.workspace(ctx.region).url;
        return {
          json: {
            authorization_endpoint: `${base}/oidc/v1/authorize`,
            token_endpoint: `${base}/oidc/v1/token`,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/oidc/v1/token',
      scope: 'oauth',
      permission: null,
      handler: (ctx) => {
        const form = new URLSearchParams(ctx.rawBody.toString('utf8'));
        const { status, body } = emulator.auth.issueToken(ctx.headers.authorization, form, ctx.region, ctx.now);
        return { status, json: body };
      },
    },
    {
      method: 'GET',
      pattern: '/.well-known/databricks-config',
      scope: 'oauth',
      permission: null,
      handler: (ctx) => {
        const workspace = emulator.workspace(ctx.region);
        return {
          json: {
            oidc_endpoint: `${workspace.url}/oidc`,
            workspace_id: String(workspace.workspaceId),
            cloud: workspace.spec.cloud,
            host_type: 'workspace',
          },
        };
      },
    },
  ];
}
