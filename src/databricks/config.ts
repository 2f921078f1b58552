/**
 * Databricks unified-auth configuration resolution (docs/databricks-api.md §5), for one workspace at a time.
 *
 * Precedence, per attribute: explicit options > environment variables > the `~/.databrickscfg` profile.
 *
 * ONE PROFILE PER REGION. Our service talks to several workspaces from one process, each named by its own profile.
 * The rule that keeps one workspace's settings out of another's:
 *
 *   When the caller passes `profile` explicitly, the environment contributes NOTHING except the location of the
 *   config file (`DATABRICKS_CONFIG_FILE`, `HOME`). `DATABRICKS_HOST`, `DATABRICKS_TOKEN`, `DATABRICKS_CLIENT_ID`,
 *   `DATABRICKS_CLIENT_SECRET`, `DATABRICKS_AUTH_TYPE` and `DATABRICKS_CONFIG_PROFILE` are ignored, so a developer's
 *   shell `DATABRICKS_TOKEN` can never be sent to the eu-west-1 host, and a stray `DATABRICKS_HOST` can never point
 *   the eu-west-1 client at another workspace. Explicit options still override single fields of the profile.
 *
 * Without an explicit `profile` the Go SDK's behaviour applies: env overrides the profile attribute by attribute;
 * the profile is `DATABRICKS_CONFIG_PROFILE` > `[__settings__].default_profile` > `DEFAULT`; and the config file is
 * skipped entirely when options/env already configure a host or a credential and no profile was named.
 *
 * Auth type: an explicit `auth_type` (pat | oauth-m2m) wins. Otherwise the layer of highest precedence that sets
 * any credential decides: a token there means PAT (the Go SDK tries PAT first), else client_id/client_secret means
 * OAuth M2M. So `{ profile, clientId, clientSecret }` uses M2M even if the profile also holds a token. The fields the
 * chosen type needs are then filled from all layers by precedence; credentials of the other type are dropped.
 *
 * Config file location: `configFile` option > `DATABRICKS_CONFIG_FILE` > `~/.databrickscfg` (`~` = `HOME` or
 * `USERPROFILE` of `env`; when `env` is passed explicitly and has neither, there is no default file, so tests never
 * read the real home directory). A missing default file is fine; a missing file that was named explicitly, or that
 * must hold an explicitly named profile, is an error.
 */
import { readBounded } from '../read-file';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DatabricksConfigError } from './errors';
import { DEFAULT_SECTION, IniSyntaxError, parseIni, type IniSections } from './ini';
import { Secret } from './secret';

export type DatabricksAuthType = 'pat' | 'oauth-m2m';
export const SUPPORTED_AUTH_TYPES: readonly DatabricksAuthType[] = ['pat', 'oauth-m2m'];

export interface DatabricksConfigOptions {
  /** Profile (section) of the config file. When given, env host/credential variables are ignored (see above). */
  profile?: string;
  host?: string;
  token?: string;
  clientId?: string;
  clientSecret?: string;
  authType?: DatabricksAuthType;
  /** Environment to read; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Path of the config file; defaults to `DATABRICKS_CONFIG_FILE` or `~/.databrickscfg`. */
  configFile?: string;
}

export type ResolvedAuth =
  | { readonly type: 'pat'; readonly token: Secret }
  | { readonly type: 'oauth-m2m'; readonly clientId: string; readonly clientSecret: Secret };

export interface ResolvedDatabricksConfig {
  /** Normalised: scheme + host + port, no path, no trailing slash (e.g. `http://127.0.0.1:5123`). */
  readonly host: string;
  readonly auth: ResolvedAuth;
  /** The profile that was read, if the config file was used. */
  readonly profile?: string;
  /** The config file that was read, if any. */
  readonly configFile?: string;
  /** Where each attribute came from, e.g. `{ host: 'profile "eu-west-1" (/home/me/.databrickscfg)' }`. */
  readonly sources: Readonly<Record<string, string>>;
}

type Attribute = 'host' | 'token' | 'clientId' | 'clientSecret' | 'authType';

interface Layer {
  /** Human description used in `sources` and error messages. */
  name: string;
  values: Partial<Record<Attribute, string>>;
}

const ENV_VARS: Record<Attribute, string> = {
  host: 'DATABRICKS_HOST',
  token: 'DATABRICKS_TOKEN',
  clientId: 'DATABRICKS_CLIENT_ID',
  clientSecret: 'DATABRICKS_CLIENT_SECRET',
  authType: 'DATABRICKS_AUTH_TYPE',
};

const FILE_KEYS: Record<Attribute, string> = {
  host: 'host',
  token: 'token',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  authType: 'auth_type',
};

const OPTION_NAMES: Record<Attribute, string> = {
  host: 'host',
  token: 'token',
  clientId: 'clientId',
  clientSecret: 'clientSecret',
  authType: 'authType',
};

const CREDENTIAL_ATTRIBUTES: Attribute[] = ['token', 'clientId', 'clientSecret', 'authType'];

const SETTINGS_SECTION = '__settings__';

function nonEmpty(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function pick(source: (attribute: Attribute) => string | undefined): Partial<Record<Attribute, string>> {
  const values: Partial<Record<Attribute, string>> = {};
  for (const attribute of Object.keys(ENV_VARS) as Attribute[]) {
    const value = nonEmpty(source(attribute));
    if (value !== undefined) values[attribute] = value;
  }
  return values;
}

/**
 * Normalises a workspace host like the Go SDK: adds `https://` only when there is no scheme, keeps the scheme and
 * the port, drops path, query, fragment and trailing slash. Throws `DatabricksConfigError` on an unusable value.
 */
export function normalizeHost(host: string): string {
  const trimmed = host.trim();
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DatabricksConfigError(
      `invalid Databricks host ${JSON.stringify(host)}: write it as https://<workspace-host> or http://127.0.0.1:<port>`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DatabricksConfigError(
      `invalid Databricks host ${JSON.stringify(host)}: the scheme must be https or http`,
    );
  }
  if (url.hostname === '')
    throw new DatabricksConfigError(`invalid Databricks host ${JSON.stringify(host)}: no hostname`);
  return `${url.protocol}//${url.host}`;
}

function expandHome(path: string, home: string | undefined): string {
  if (path === '~' || path.startsWith('~/') || path.startsWith('~\\')) {
    if (!home) throw new DatabricksConfigError(`cannot expand "~" in config file path ${path}: HOME is not set`);
    return join(home, path.slice(1));
  }
  return path;
}

interface ConfigFileChoice {
  path?: string;
  /** Named by the configFile option or DATABRICKS_CONFIG_FILE (so it must exist). */
  explicit: boolean;
}

function chooseConfigFile(options: DatabricksConfigOptions, env: NodeJS.ProcessEnv): ConfigFileChoice {
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE) ?? (options.env === undefined ? homedir() : undefined);
  const named = nonEmpty(options.configFile) ?? nonEmpty(env.DATABRICKS_CONFIG_FILE);
  if (named) return { path: expandHome(named, home), explicit: true };
  return { path: home ? join(home, '.databrickscfg') : undefined, explicit: false };
}

/** The largest ~/.databrickscfg read, in bytes: one holds a few profiles of a few lines each. */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

function readConfigFile(path: string): IniSections | undefined {
  // Bounded, and regular files only: DATABRICKS_CONFIG_FILE=/dev/zero or a FIFO must not hang the worker or the CLI.
  const read = readBounded(path, MAX_CONFIG_FILE_BYTES);
  if (!read.ok) {
    if (read.reason === 'unreadable' && read.code === 'ENOENT') return undefined;
    throw new DatabricksConfigError(
      `cannot read Databricks config file ${path}: ${
        read.reason === 'too-big'
          ? `it is over ${MAX_CONFIG_FILE_BYTES} bytes`
          : read.reason === 'not-regular'
            ? `it is ${read.kind}, not a regular file`
            : read.message
      }`,
    );
  }
  const text = read.bytes.toString('utf8');
  try {
    return parseIni(text, path);
  } catch (err) {
    if (err instanceof IniSyntaxError) throw new DatabricksConfigError(`invalid Databricks config file ${err.message}`);
    throw err;
  }
}

function parseAuthType(value: string, source: string): DatabricksAuthType {
  if ((SUPPORTED_AUTH_TYPES as readonly string[]).includes(value)) return value as DatabricksAuthType;
  throw new DatabricksConfigError(
    `auth type ${JSON.stringify(value)} (from ${source}) is not supported by this client: ` +
      `use "pat" (with a token) or "oauth-m2m" (with client_id and client_secret)`,
  );
}

/** Resolves host and credentials for one workspace. Synchronous (reads the small config file with readFileSync). */
export function resolveDatabricksConfig(options: DatabricksConfigOptions = {}): ResolvedDatabricksConfig {
  const env = options.env ?? process.env;
  const explicitProfile = nonEmpty(options.profile);

  const layers: Layer[] = [
    {
      name: 'explicit options',
      values: pick((a) => (a === 'authType' ? options.authType : options[a])),
    },
  ];
  if (explicitProfile === undefined) {
    layers.push({ name: 'environment', values: pick((a) => env[ENV_VARS[a]]) });
  }

  const envProfile = explicitProfile === undefined ? nonEmpty(env.DATABRICKS_CONFIG_PROFILE) : undefined;
  const namedProfile = explicitProfile ?? envProfile;
  const profileOrigin = explicitProfile ? 'the profile option' : 'DATABRICKS_CONFIG_PROFILE';
  const alreadyConfigured = layers.some(
    (l) => l.values.host !== undefined || CREDENTIAL_ATTRIBUTES.some((a) => l.values[a]),
  );

  const file = chooseConfigFile(options, env);
  let profileUsed: string | undefined;
  let fileUsed: string | undefined;
  if (file.path && (namedProfile !== undefined || !alreadyConfigured)) {
    const sections = readConfigFile(file.path);
    if (!sections) {
      if (file.explicit || namedProfile !== undefined) {
        const why = namedProfile !== undefined ? ` (profile "${namedProfile}" was requested by ${profileOrigin})` : '';
        throw new DatabricksConfigError(
          `Databricks config file ${file.path} does not exist${why}: create it, or point configFile / DATABRICKS_CONFIG_FILE at the right file`,
        );
      }
    } else {
      const defaultProfile = nonEmpty(sections.get(SETTINGS_SECTION)?.get('default_profile'));
      const profile = namedProfile ?? defaultProfile ?? DEFAULT_SECTION;
      const section = sections.get(profile);
      if (!section && profile !== DEFAULT_SECTION) {
        const origin = namedProfile !== undefined ? profileOrigin : `[${SETTINGS_SECTION}] default_profile`;
        const known = [...sections.keys()].filter((s) => s !== SETTINGS_SECTION);
        throw new DatabricksConfigError(
          `profile "${profile}" (from ${origin}) is not in Databricks config file ${file.path}` +
            (known.length > 0 ? `; it has: ${known.join(', ')}` : '; it has no profiles') +
            `. Add a [${profile}] section or use one of the existing profiles`,
        );
      }
      if (section) {
        profileUsed = profile;
        fileUsed = file.path;
        layers.push({
          name: `profile "${profile}" (${file.path})`,
          values: pick((a) => section.get(FILE_KEYS[a])),
        });
      }
    }
  }

  const where = describeWhereToSet(explicitProfile, profileUsed ?? namedProfile, fileUsed ?? file.path);
  const sources: Record<string, string> = {};
  const lookup = (attribute: Attribute): string | undefined => {
    for (const layer of layers) {
      const value = layer.values[attribute];
      if (value !== undefined) {
        sources[attribute] = layer.name;
        return value;
      }
    }
    return undefined;
  };

  const rawHost = lookup('host');
  if (rawHost === undefined) {
    throw new DatabricksConfigError(`no Databricks host configured: ${where('host', 'https://<workspace-host>')}`);
  }
  const host = normalizeHost(rawHost);

  const authType = decideAuthType(layers, sources);
  if (authType === undefined) {
    throw new DatabricksConfigError(
      `no Databricks credentials configured for ${host}: ${where('token', '<personal access token>')}; ` +
        `or, for OAuth M2M, set client_id and client_secret the same way`,
    );
  }

  let auth: ResolvedAuth;
  if (authType === 'pat') {
    const token = lookup('token');
    if (token === undefined) {
      throw new DatabricksConfigError(
        `auth type pat (from ${sources.authType}) needs a token for ${host}: ${where('token', '<personal access token>')}`,
      );
    }
    auth = { type: 'pat', token: new Secret(token) };
  } else {
    const clientId = lookup('clientId');
    const clientSecret = lookup('clientSecret');
    const missing = [
      clientId === undefined ? 'clientId' : undefined,
      clientSecret === undefined ? 'clientSecret' : undefined,
    ].filter((m): m is 'clientId' | 'clientSecret' => m !== undefined);
    if (clientId === undefined || clientSecret === undefined) {
      throw new DatabricksConfigError(
        `auth type oauth-m2m (from ${sources.authType}) for ${host} is missing ${missing.map((m) => FILE_KEYS[m]).join(' and ')}: ` +
          missing.map((m) => where(m, `<${FILE_KEYS[m]}>`)).join('; '),
      );
    }
    auth = { type: 'oauth-m2m', clientId, clientSecret: new Secret(clientSecret) };
  }

  return Object.freeze({
    host,
    auth: Object.freeze(auth),
    profile: profileUsed,
    configFile: fileUsed,
    sources: Object.freeze({ ...sources }),
  });
}

/** The first layer setting auth_type or any credential decides the auth type (see the module comment). */
function decideAuthType(layers: Layer[], sources: Record<string, string>): DatabricksAuthType | undefined {
  for (const layer of layers) {
    const { authType, token, clientId, clientSecret } = layer.values;
    if (authType !== undefined) {
      sources.authType = layer.name;
      return parseAuthType(authType, layer.name);
    }
    if (token !== undefined) {
      sources.authType = `${layer.name} (inferred from token)`;
      return 'pat';
    }
    if (clientId !== undefined || clientSecret !== undefined) {
      sources.authType = `${layer.name} (inferred from client_id/client_secret)`;
      return 'oauth-m2m';
    }
  }
  return undefined;
}

function describeWhereToSet(
  explicitProfile: string | undefined,
  profile: string | undefined,
  file: string | undefined,
): (attribute: Attribute, example: string) => string {
  return (attribute, example) => {
    const fileKey = FILE_KEYS[attribute];
    const option = `pass { ${OPTION_NAMES[attribute]} }`;
    if (explicitProfile !== undefined) {
      return `add "${fileKey} = ${example}" to profile [${explicitProfile}] in ${file ?? '~/.databrickscfg'}, or ${option}`;
    }
    const section = profile ?? DEFAULT_SECTION;
    return `${option}, set ${ENV_VARS[attribute]}, or add "${fileKey} = ${example}" to profile [${section}] in ${file ?? '~/.databrickscfg'}`;
  };
}
