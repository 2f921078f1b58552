import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabricksConfigError } from '../../src/databricks/errors';
import {
  normalizeHost,
  resolveDatabricksConfig,
  type DatabricksConfigOptions,
  type ResolvedDatabricksConfig,
} from '../../src/databricks/config';

let dir: string;
let cfgPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbcfg-'));
  cfgPath = join(dir, 'databrickscfg');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeCfg(text: string, path = cfgPath): string {
  writeFileSync(path, text);
  return path;
}

function token(config: ResolvedDatabricksConfig): string | undefined {
  return config.auth.type === 'pat' ? config.auth.token.reveal() : undefined;
}

/** Resolve with an explicit, hermetic env (never the real HOME). */
function resolve(options: DatabricksConfigOptions & { env?: NodeJS.ProcessEnv }): ResolvedDatabricksConfig {
  return resolveDatabricksConfig({ env: {}, ...options });
}

const REGIONS_CFG = `
[__settings__]
default_profile = us-east-1

[DEFAULT]
host  = https://default.cloud.databricks.com
token = dapi-default-000

[us-east-1]
host  = http://127.0.0.1:5001
token = dapi-us-east-1-0001

[eu-west-1]
host          = http://127.0.0.1:5002/
client_id     = eu-client
client_secret = eu-secret-0002
`;

describe('normalizeHost', () => {
  it.each([
    ['dbc-1.cloud.databricks.com', 'https://dbc-1.cloud.databricks.com'],
    ['https://dbc-1.cloud.databricks.com/', 'https://dbc-1.cloud.databricks.com'],
    ['https://dbc-1.cloud.databricks.com/?o=123#frag', 'https://dbc-1.cloud.databricks.com'],
    ['https://adb-1.azuredatabricks.net/some/path/', 'https://adb-1.azuredatabricks.net'],
    ['http://127.0.0.1:5123', 'http://127.0.0.1:5123'],
    ['http://localhost:8080/api/', 'http://localhost:8080'],
    ['127.0.0.1:5123', 'https://127.0.0.1:5123'],
    ['https://h.example.com:8443', 'https://h.example.com:8443'],
    ['  https://h.example.com  ', 'https://h.example.com'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it.each(['ftp://h.example.com', 'https://', 'http://exa mple.com'])('rejects %s', (input) => {
    expect(() => normalizeHost(input)).toThrow(DatabricksConfigError);
  });
});

describe('resolveDatabricksConfig: explicit options and env', () => {
  it('uses explicit host and token', () => {
    const config = resolve({ host: 'http://127.0.0.1:5123', token: 'dapi-explicit-1' });
    expect(config.host).toBe('http://127.0.0.1:5123');
    expect(config.auth.type).toBe('pat');
    expect(token(config)).toBe('dapi-explicit-1');
    expect(config.profile).toBeUndefined();
    expect(config.sources.host).toBe('explicit options');
  });

  it('reads DATABRICKS_HOST / DATABRICKS_TOKEN and lets explicit options win per attribute', () => {
    const env = { DATABRICKS_HOST: 'env-host.cloud.databricks.com', DATABRICKS_TOKEN: 'dapi-env-token' };
    expect(token(resolve({ env }))).toBe('dapi-env-token');
    expect(resolve({ env }).host).toBe('https://env-host.cloud.databricks.com');
    const mixed = resolve({ env, host: 'http://127.0.0.1:9' });
    expect(mixed.host).toBe('http://127.0.0.1:9');
    expect(token(mixed)).toBe('dapi-env-token');
    expect(mixed.sources).toMatchObject({ host: 'explicit options', token: 'environment' });
  });

  it('infers oauth-m2m from DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET', () => {
    const config = resolve({
      env: {
        DATABRICKS_HOST: 'http://127.0.0.1:1234',
        DATABRICKS_CLIENT_ID: 'cid',
        DATABRICKS_CLIENT_SECRET: 'csecret',
      },
    });
    expect(config.auth).toMatchObject({ type: 'oauth-m2m', clientId: 'cid' });
    expect(config.auth.type === 'oauth-m2m' && config.auth.clientSecret.reveal()).toBe('csecret');
  });

  it('honours DATABRICKS_AUTH_TYPE and ignores empty env values', () => {
    const env = {
      DATABRICKS_HOST: 'http://h:1',
      DATABRICKS_TOKEN: '',
      DATABRICKS_AUTH_TYPE: 'oauth-m2m',
      DATABRICKS_CLIENT_ID: 'cid',
      DATABRICKS_CLIENT_SECRET: 'csecret',
    };
    expect(resolve({ env }).auth.type).toBe('oauth-m2m');
  });

  it('lets the highest layer with a credential decide the auth type', () => {
    // Explicit client credentials beat an env token: the caller asked for M2M.
    const config = resolve({
      env: { DATABRICKS_HOST: 'http://h:1', DATABRICKS_TOKEN: 'dapi-env-token' },
      clientId: 'cid',
      clientSecret: 'csecret',
    });
    expect(config.auth.type).toBe('oauth-m2m');
    expect(JSON.stringify(config)).not.toContain('dapi-env-token');
  });

  it('prefers PAT when one layer holds both a token and client credentials (Go SDK order)', () => {
    expect(resolve({ host: 'h', token: 'dapi-t', clientId: 'c', clientSecret: 's' }).auth.type).toBe('pat');
  });

  it('rejects unsupported auth types, naming the source', () => {
    expect(() =>
      resolve({ env: { DATABRICKS_HOST: 'h', DATABRICKS_AUTH_TYPE: 'azure-cli', DATABRICKS_TOKEN: 't' } }),
    ).toThrow(/auth type "azure-cli" \(from environment\) is not supported.*"pat".*"oauth-m2m"/);
  });

  it('names the missing host and how to set it', () => {
    expect(() => resolve({ token: 'dapi-x' })).toThrow(
      /no Databricks host configured: pass \{ host \}, set DATABRICKS_HOST, or add "host = https:\/\/<workspace-host>"/,
    );
  });

  it('names missing credentials', () => {
    expect(() => resolve({ host: 'http://127.0.0.1:1' })).toThrow(
      /no Databricks credentials configured for http:\/\/127\.0\.0\.1:1: pass \{ token \}, set DATABRICKS_TOKEN/,
    );
  });

  it('names the missing half of OAuth credentials', () => {
    expect(() => resolve({ host: 'h', clientId: 'cid' })).toThrow(
      /oauth-m2m .* is missing client_secret: pass \{ clientSecret \}/,
    );
    expect(() => resolve({ host: 'h', authType: 'oauth-m2m' })).toThrow(/missing client_id and client_secret/);
    expect(() => resolve({ host: 'h', authType: 'pat', clientId: 'x', clientSecret: 'y' })).toThrow(
      /auth type pat .* needs a token/,
    );
  });
});

describe('resolveDatabricksConfig: config file profiles', () => {
  it('reads an explicit profile and normalises its host', () => {
    writeCfg(REGIONS_CFG);
    const config = resolve({ profile: 'eu-west-1', configFile: cfgPath });
    expect(config.host).toBe('http://127.0.0.1:5002');
    expect(config.auth).toMatchObject({ type: 'oauth-m2m', clientId: 'eu-client' });
    expect(config.profile).toBe('eu-west-1');
    expect(config.configFile).toBe(cfgPath);
    expect(config.sources.host).toBe(`profile "eu-west-1" (${cfgPath})`);
  });

  it('ignores DATABRICKS_HOST / TOKEN / CLIENT_* / AUTH_TYPE / CONFIG_PROFILE when a profile is named explicitly', () => {
    writeCfg(REGIONS_CFG);
    const env = {
      DATABRICKS_HOST: 'https://other-workspace.cloud.databricks.com',
      DATABRICKS_TOKEN: 'dapi-from-shell-999',
      DATABRICKS_CLIENT_ID: 'shell-client',
      DATABRICKS_CLIENT_SECRET: 'shell-secret',
      DATABRICKS_AUTH_TYPE: 'pat',
      DATABRICKS_CONFIG_PROFILE: 'eu-west-1',
      DATABRICKS_CONFIG_FILE: cfgPath,
    };
    const us = resolve({ profile: 'us-east-1', env });
    expect(us.host).toBe('http://127.0.0.1:5001');
    expect(token(us)).toBe('dapi-us-east-1-0001');
    const eu = resolve({ profile: 'eu-west-1', env });
    expect(eu.host).toBe('http://127.0.0.1:5002');
    expect(eu.auth).toMatchObject({ type: 'oauth-m2m', clientId: 'eu-client' });
    expect(eu.auth.type === 'oauth-m2m' && eu.auth.clientSecret.reveal()).toBe('eu-secret-0002');
  });

  it('lets explicit options override single fields of an explicit profile', () => {
    writeCfg(REGIONS_CFG);
    const config = resolve({ profile: 'us-east-1', configFile: cfgPath, host: 'http://127.0.0.1:7777' });
    expect(config.host).toBe('http://127.0.0.1:7777');
    expect(token(config)).toBe('dapi-us-east-1-0001');
  });

  it('uses explicit client credentials over a profile token', () => {
    writeCfg(REGIONS_CFG);
    const config = resolve({ profile: 'us-east-1', configFile: cfgPath, clientId: 'c', clientSecret: 'secret-x' });
    expect(config.auth.type).toBe('oauth-m2m');
  });

  it('picks the profile: DATABRICKS_CONFIG_PROFILE > [__settings__].default_profile > DEFAULT', () => {
    writeCfg(REGIONS_CFG);
    expect(resolve({ env: { DATABRICKS_CONFIG_FILE: cfgPath, DATABRICKS_CONFIG_PROFILE: 'eu-west-1' } }).profile).toBe(
      'eu-west-1',
    );
    expect(resolve({ env: { DATABRICKS_CONFIG_FILE: cfgPath } }).profile).toBe('us-east-1');
    writeCfg('[DEFAULT]\nhost = https://d.example.com\ntoken = dapi-d\n');
    const fallback = resolve({ configFile: cfgPath });
    expect(fallback.profile).toBe('DEFAULT');
    expect(token(fallback)).toBe('dapi-d');
  });

  it('lets env override the profile named by DATABRICKS_CONFIG_PROFILE (Go SDK behaviour)', () => {
    writeCfg(REGIONS_CFG);
    const config = resolve({
      env: {
        DATABRICKS_CONFIG_FILE: cfgPath,
        DATABRICKS_CONFIG_PROFILE: 'us-east-1',
        DATABRICKS_HOST: 'http://127.0.0.1:9',
      },
    });
    expect(config.host).toBe('http://127.0.0.1:9');
    expect(token(config)).toBe('dapi-us-east-1-0001');
  });

  it('skips the file when env already configures host and credentials and no profile is named', () => {
    writeCfg('this is not an ini file at all\n');
    const config = resolve({
      env: { DATABRICKS_CONFIG_FILE: cfgPath, DATABRICKS_HOST: 'h', DATABRICKS_TOKEN: 'dapi-1' },
    });
    expect(config.configFile).toBeUndefined();
    expect(config.host).toBe('https://h');
  });

  it('accepts a file without DEFAULT when no profile is named (then needs env/options)', () => {
    writeCfg('[only]\nhost = h\ntoken = t\n');
    expect(() => resolve({ configFile: cfgPath })).toThrow(/no Databricks host configured/);
  });

  it('fails naming the file and the profile when an explicitly named profile is missing', () => {
    writeCfg(REGIONS_CFG);
    expect(() => resolve({ profile: 'ap-southeast-1', configFile: cfgPath })).toThrow(DatabricksConfigError);
    expect(() => resolve({ profile: 'ap-southeast-1', configFile: cfgPath })).toThrow(
      `profile "ap-southeast-1" (from the profile option) is not in Databricks config file ${cfgPath}; it has: DEFAULT, us-east-1, eu-west-1`,
    );
    expect(() => resolve({ env: { DATABRICKS_CONFIG_FILE: cfgPath, DATABRICKS_CONFIG_PROFILE: 'nope' } })).toThrow(
      /profile "nope" \(from DATABRICKS_CONFIG_PROFILE\)/,
    );
  });

  it('fails when [__settings__].default_profile names a missing section', () => {
    writeCfg('[__settings__]\ndefault_profile = gone\n[DEFAULT]\nhost = h\ntoken = t\n');
    expect(() => resolve({ configFile: cfgPath })).toThrow(/profile "gone" \(from \[__settings__\] default_profile\)/);
  });

  it('fails when a named config file does not exist, but not when the default one is absent', () => {
    const missing = join(dir, 'nope.cfg');
    expect(() => resolve({ configFile: missing, host: 'h', token: 't', profile: 'p' })).toThrow(
      `Databricks config file ${missing} does not exist (profile "p" was requested by the profile option)`,
    );
    expect(() => resolve({ env: { DATABRICKS_CONFIG_FILE: missing } })).toThrow(/does not exist/);
    // HOME points at an empty directory: no ~/.databrickscfg is fine when options are complete.
    expect(resolve({ env: { HOME: dir }, host: 'h', token: 'dapi-1' }).host).toBe('https://h');
    expect(() => resolve({ env: { HOME: dir } })).toThrow(/no Databricks host configured/);
  });

  it('finds ~/.databrickscfg under env.HOME and expands ~ in DATABRICKS_CONFIG_FILE', () => {
    writeCfg('[DEFAULT]\nhost = http://127.0.0.1:4000\ntoken = dapi-home\n', join(dir, '.databrickscfg'));
    expect(resolve({ env: { HOME: dir } }).host).toBe('http://127.0.0.1:4000');
    writeCfg('[x]\nhost = http://127.0.0.1:4001\ntoken = dapi-x\n', join(dir, 'other.cfg'));
    expect(resolve({ env: { HOME: dir, DATABRICKS_CONFIG_FILE: '~/other.cfg' }, profile: 'x' }).host).toBe(
      'http://127.0.0.1:4001',
    );
  });

  it('reports a profile without host or token with the profile and file in the fix', () => {
    writeCfg('[eu]\nclient_id = c\n');
    expect(() => resolve({ profile: 'eu', configFile: cfgPath })).toThrow(
      `no Databricks host configured: add "host = https://<workspace-host>" to profile [eu] in ${cfgPath}, or pass { host }`,
    );
    writeCfg('[eu]\nhost = h\nclient_id = c\n');
    expect(() => resolve({ profile: 'eu', configFile: cfgPath })).toThrow(
      /missing client_secret: add "client_secret = <client_secret>" to profile \[eu\]/,
    );
  });

  it('reports INI syntax errors with file and line', () => {
    writeCfg('[a]\nhost = h\ngarbage line\n');
    expect(() => resolve({ profile: 'a', configFile: cfgPath })).toThrow(
      `invalid Databricks config file ${cfgPath}:3: expected "key = value"`,
    );
  });

  it('reads auth_type from the profile', () => {
    writeCfg('[p]\nhost = h\nauth_type = oauth-m2m\ntoken = dapi-ignored\nclient_id = c\nclient_secret = secret-1\n');
    expect(resolve({ profile: 'p', configFile: cfgPath }).auth.type).toBe('oauth-m2m');
  });
});
