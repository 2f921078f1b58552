/** Tokens and secrets never show up in JSON.stringify, util.inspect, String() or error messages. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, inspect } from 'node:util';
import {
  DatabricksClient,
  OAuthM2MCredentials,
  PatCredentials,
  Secret,
  redact,
  resolveDatabricksConfig,
} from '../../src/databricks';

const PAT = 'dapi0123456789abcdef0123456789abcdef';
const CLIENT_SECRET = 'super-secret-client-value';

/** Every way a value is commonly logged. */
function renderings(value: unknown): string[] {
  return [
    JSON.stringify(value),
    inspect(value),
    inspect(value, { depth: 10, showHidden: true }),
    format('%s %o %O %j', value, value, value, value),
    String(value),
  ];
}

function expectNoSecret(value: unknown, ...secrets: string[]) {
  for (const text of renderings(value)) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

describe('secret redaction', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbsecret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('Secret reveals only on request', () => {
    const secret = new Secret(PAT);
    expect(secret.reveal()).toBe(PAT);
    expect(`${String(secret)}`).toBe('[REDACTED]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[REDACTED]"}');
    expect(inspect(secret)).toBe('Secret([REDACTED])');
    expectNoSecret(secret, PAT);
    expectNoSecret({ nested: { deeper: [secret] } }, PAT);
  });

  it('resolved configs (PAT and M2M, from options and from a profile) do not render their secrets', () => {
    const pat = resolveDatabricksConfig({ host: 'http://127.0.0.1:1', token: PAT, env: {} });
    expectNoSecret(pat, PAT);
    const m2m = resolveDatabricksConfig({
      host: 'http://127.0.0.1:1',
      clientId: 'client-1',
      clientSecret: CLIENT_SECRET,
      env: {},
    });
    expectNoSecret(m2m, CLIENT_SECRET);
    expect(JSON.stringify(m2m)).toContain('client-1'); // the id is not a secret

    const file = join(dir, 'cfg');
    writeFileSync(file, `[eu]\nhost = http://127.0.0.1:2\nclient_id = c\nclient_secret = ${CLIENT_SECRET}\n`);
    expectNoSecret(resolveDatabricksConfig({ profile: 'eu', configFile: file, env: {} }), CLIENT_SECRET);
  });

  it('credential providers and clients do not render their secrets', async () => {
    expectNoSecret(new PatCredentials(PAT), PAT);
    const m2m = new OAuthM2MCredentials({
      host: 'http://127.0.0.1:1',
      clientId: 'client-1',
      clientSecret: CLIENT_SECRET,
      fetch: async (url) =>
        new Response(
          url.includes('well-known')
            ? JSON.stringify({ token_endpoint: 'http://127.0.0.1:1/oidc/v1/token' })
            : JSON.stringify({ access_token: 'the-access-token-xyz', expires_in: 3600 }),
          { status: 200 },
        ),
    });
    await m2m.authorize(); // now it also holds an access token
    expectNoSecret(m2m, CLIENT_SECRET, 'the-access-token-xyz');
    expectNoSecret(new DatabricksClient({ host: 'http://127.0.0.1:1', token: PAT, env: {} }), PAT);
    expectNoSecret(
      new DatabricksClient({ host: 'http://127.0.0.1:1', clientId: 'c', clientSecret: CLIENT_SECRET, env: {} }),
      CLIENT_SECRET,
    );
  });

  it('config errors never quote credential values', () => {
    let message = '';
    try {
      resolveDatabricksConfig({ token: PAT, env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/no Databricks host configured/);
    expect(message).not.toContain(PAT);
  });

  it('redact() removes known values and credential-looking text', () => {
    expect(redact(`token ${PAT} and ${CLIENT_SECRET}`, [CLIENT_SECRET])).toBe('token [REDACTED] and [REDACTED]');
    expect(redact('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [REDACTED]');
    expect(redact('Basic YWJjOmRlZg==')).toBe('Basic [REDACTED]');
    expect(redact('{"access_token":"eyJhbGciOi","expires_in":3600}')).toBe(
      '{"access_token":"[REDACTED]","expires_in":3600}',
    );
    expect(redact('client_secret=abc123&scope=all-apis')).toBe('client_secret=[REDACTED]&scope=all-apis');
    expect(redact("Endpoint with name 'x' not found")).toBe("Endpoint with name 'x' not found");
  });
});
