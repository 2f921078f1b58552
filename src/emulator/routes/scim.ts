/**
 * SCIM: `GET /api/2.0/preview/scim/v2/Me`, the principal behind the token as Databricks returns it (a SCIM User).
 * A world principal with OAuth M2M credentials is a service principal (its userName is its application id, the
 * client_id); any other principal is a user (its userName is its name, an email in a realistic world).
 */
import { Random } from '../random';
import type { Route } from '../http';
import type { PrincipalSpec } from '../world';
import type { EmulatorForRoutes } from './emulator-for-routes';

export const SCIM_USER_SCHEMAS = [
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:workspace:2.0:User',
] as const;

/** A stable numeric SCIM id (Databricks ids are 15-16 digit decimal strings), the same in every workspace. */
export function scimId(seed: number, key: string): string {
  const random = Random.stream(seed, `scim:${key}`);
  return String(1_000_000_000_000_000 + Math.floor(random.next() * 8_000_000_000_000_000));
}

export function scimMe(principal: PrincipalSpec, seed: number) {
  const servicePrincipal = principal.client_id !== undefined;
  const id = scimId(seed, `principal:${principal.name}`);
  const usersGroup = scimId(seed, 'group:users');
  const userName = servicePrincipal ? principal.client_id! : principal.name;
  return {
    id,
    userName,
    displayName: principal.name,
    active: true,
    ...(servicePrincipal || !userName.includes('@')
      ? {}
      : { emails: [{ value: userName, type: 'work', primary: true }] }),
    groups: [{ display: 'users', type: 'direct', value: usersGroup, $ref: `Groups/${usersGroup}` }],
    schemas: [...SCIM_USER_SCHEMAS],
  };
}

export function scimRoutes(emulator: EmulatorForRoutes): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/2.0/preview/scim/v2/Me',
      scope: 'management',
      permission: 'authenticated',
      handler: (ctx) => ({ json: scimMe(ctx.principal, emulator.world.seed) }),
    },
  ];
}
