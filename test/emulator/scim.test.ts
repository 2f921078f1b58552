import { WorkspaceClient } from '@databricks/sdk-experimental';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { ADMIN_TOKEN, call, EU_ONLY_TOKEN, QUERY_TOKEN, testWorld } from '../support/emulator';

const ME = '/api/2.0/preview/scim/v2/Me';
const USER_TOKEN = 'dapi-test-user-0000004';
const NO_GRANTS_TOKEN = 'dapi-test-nogrant-0005';

let emu: RunningEmulator;
beforeAll(async () => {
  const world = testWorld();
  emu = await startEmulator({
    ...world,
    principals: [
      ...world.principals,
      { name: 'ana@example.com', token: USER_TOKEN },
      { name: 'auditor', token: NO_GRANTS_TOKEN, serving: 'NONE', unity_catalog: 'NONE' },
    ],
  });
});
afterAll(() => emu.close());

const SCHEMAS = [
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:workspace:2.0:User',
];

describe('GET /api/2.0/preview/scim/v2/Me', () => {
  it('answers a user as a SCIM User with its email as userName', async () => {
    const me = await call(emu, 'us-east-1', 'GET', ME, { token: USER_TOKEN });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      id: expect.stringMatching(/^\d{16}$/),
      userName: 'ana@example.com',
      displayName: 'ana@example.com',
      active: true,
      emails: [{ value: 'ana@example.com', type: 'work', primary: true }],
      groups: [
        { display: 'users', type: 'direct', value: expect.stringMatching(/^\d{16}$/), $ref: expect.any(String) },
      ],
      schemas: SCHEMAS,
    });
    expect(me.body.groups[0].$ref).toBe(`Groups/${me.body.groups[0].value}`);
  });

  it('answers a service principal (OAuth M2M credentials) with its application id as userName, no email', async () => {
    const me = await call(emu, 'us-east-1', 'GET', ME, { token: ADMIN_TOKEN });
    expect(me.body).toMatchObject({ userName: 'test-client', displayName: 'admin', active: true, schemas: SCHEMAS });
    expect(me.body.emails).toBeUndefined();
  });

  it('gives each principal one id in every workspace, distinct from the others', async () => {
    const us = await call(emu, 'us-east-1', 'GET', ME, { token: QUERY_TOKEN });
    const eu = await call(emu, 'eu-west-1', 'GET', ME, { token: QUERY_TOKEN });
    const other = await call(emu, 'eu-west-1', 'GET', ME, { token: EU_ONLY_TOKEN });
    expect(us.body.id).toBe(eu.body.id);
    expect(other.body.id).not.toBe(us.body.id);
    expect(other.body.userName).toBe('eu-operator');
  });

  it('needs a valid token of the workspace but no grant', async () => {
    expect((await call(emu, 'us-east-1', 'GET', ME, { token: NO_GRANTS_TOKEN })).status).toBe(200);
    const none = await call(emu, 'us-east-1', 'GET', ME, { token: null });
    expect([none.status, none.body.error_code]).toEqual([401, 'UNAUTHENTICATED']);
    const elsewhere = await call(emu, 'us-east-1', 'GET', ME, { token: EU_ONLY_TOKEN });
    expect(elsewhere.status).toBe(401);
  });

  it('is what the official JS SDK returns from currentUser.me(), with PAT and with OAuth M2M', async () => {
    const common = { host: emu.url('us-east-1'), env: {}, configFile: '/nonexistent/.databrickscfg' };
    const pat = new WorkspaceClient({ ...common, token: USER_TOKEN, authType: 'pat' });
    const user = await pat.currentUser.me();
    expect([user.userName, user.emails?.[0]?.value, user.active]).toEqual(['ana@example.com', 'ana@example.com', true]);
    const m2m = new WorkspaceClient({
      ...common,
      clientId: 'test-client',
      clientSecret: 'test-secret-value',
      authType: 'oauth-m2m',
    });
    const sp = await m2m.currentUser.me();
    expect([sp.userName, sp.displayName]).toEqual(['test-client', 'admin']);
  });
});
