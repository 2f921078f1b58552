/**
 * A real Temporal cluster on one machine (`npm run cluster -- start|stop|status`): Temporal's own server built with
 * Go, PostgreSQL for persistence and SQL advanced visibility, the frontend, history, matching and worker services as
 * separate processes over CLUSTER_HISTORY_SHARDS shards, and the stock Web UI (the UI server, built with Go) when it
 * builds. `start` builds what is missing into .cache/cluster (about 8 minutes once), keeps the database and the
 * services' configuration and logs in .data/cluster, waits until the namespace `default` with the rollout search
 * attributes is usable, and prints the addresses. `stop` stops every process it started, then PostgreSQL.
 *
 * PostgreSQL refuses to run as root: as root its data directory belongs to the `postgres` user that Debian's package
 * creates and its commands run through `runuser -u postgres`; as anyone else they run as that user.
 *
 *   npm run cluster -- start     # TEMPORAL_ADDRESS=127.0.0.1:<port> then works for the worker, the CLI and the tests
 *   npm run test:cluster         # the workflow tests on it (test/support/temporal.ts, TEMPORAL_TEST_CLUSTER)
 *   npm run cluster -- stop
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../src/shared/messages';
import { createServer } from 'node:net';
import { portOpen } from './dev-server';

/**
 * The server's tag: the newest that builds with the machine's Go (1.26.8 here); v1.32.2 requires Go 1.26.10. The
 * Temporal CLI's dev server is 1.32 as well.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.32.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** The Web UI server: v2.55.0 is the newest tag that builds with Go 1.26.8 (later ones require 1.26.9 or 1.26.10). */
export const TEMPORAL_UI_VERSION = 'v2.55.0';
export const TEMPORAL_UI_MODULE = 'github.com/temporalio/ui-server/v2';
/** Fixed when the database is first created; a cluster spreads workflows over them (the dev server has one). */
export const CLUSTER_HISTORY_SHARDS = 16;
const SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
type Service = (typeof SERVICES)[number];

const ROOT = resolve(__dirname, '..');
const CACHE_DIR = join(ROOT, '.cache', 'cluster');
const SERVER_BIN = join(CACHE_DIR, 'bin', `server-${TEMPORAL_SERVER_VERSION}`);
const UI_BIN = join(CACHE_DIR, 'bin', `ui-${TEMPORAL_UI_VERSION}`);
const DATA_DIR = join(ROOT, '.data', 'cluster');
const PG_DATA = join(DATA_DIR, 'pg');
/** PostgreSQL's log and socket, in a directory its user may write. */
const PG_RUN = join(DATA_DIR, 'pg-run');
const CONFIG_DIR = join(DATA_DIR, 'config');
const LOG_DIR = join(DATA_DIR, 'logs');
const STATE_FILE = join(DATA_DIR, 'state.json');
const PORTS_FILE = join(DATA_DIR, 'ports.json');
const AS_ROOT = process.getuid?.() === 0;

/** Every port the cluster listens on; chosen free on the first start and kept, since the database records some. */
interface Ports {
  postgres: number;
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** Membership (ringpop) ports of the four services. */
  membership: Record<Service, number>;
  /** Prometheus metrics of the four services. */
  metrics: Record<Service, number>;
  ui: number;
}

/** What `start` launched: the processes `stop` ends (checked against their command lines before any signal). */
interface ClusterState {
  ports: Ports;
  pids: Partial<Record<Service | 'ui', number>>;
  startedAt: string;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const shown = (path: string) => relative(ROOT, path) || path;

function run(cmd: string, args: string[], what: string, options: SpawnSyncOptions = {}): string {
  const out = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, ...options });
  if (out.status === 0) return String(out.stdout ?? '');
  const detail = out.error ? out.error.message : `exit ${out.status ?? out.signal}`;
  const text = `${String(out.stderr ?? '')}${String(out.stdout ?? '')}`.trim().split('\n').slice(-8).join('\n');
  throw new Error(`${what} failed (${detail}):\n${text}`);
}

// --- Building the server, its SQL tool and the UI server --------------------------------------------------------

/** `go install` with progress every 30 s; the binary lands in a temporary GOBIN and is renamed with its version. */
async function goInstall(packages: string[], what: string, minutes: number): Promise<string> {
  const gobin = join(CACHE_DIR, 'gobin-tmp');
  rmSync(gobin, { recursive: true, force: true });
  mkdirSync(gobin, { recursive: true });
  log(`cluster: building ${what} with go install into ${shown(CACHE_DIR)} (about ${minutes} minutes, once)...`);
  const started = Date.now();
  const child = spawn('go', ['install', ...packages], {
    env: { ...process.env, GOBIN: gobin },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const ticker = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    log(`cluster: still building ${what}: ${elapsed} s of about ${minutes * 60} s`);
  }, 30_000);
  const code = await new Promise<number | null>((done) => {
    child.on('error', (err) => {
      errors += err.message;
      done(-1);
    });
    child.on('exit', done);
  }).finally(() => clearInterval(ticker));
  if (code !== 0)
    throw new Error(
      `go install ${packages.join(' ')} failed (exit ${code}):\n${errors.trim().split('\n').slice(-8).join('\n')}`,
    );
  log(`cluster: built ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
  return gobin;
}

/** `<bin> --version` must name the pinned version: a cached binary of another version is rebuilt. */
function reportsVersion(bin: string, version: string): boolean {
  if (!existsSync(bin)) return false;
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return `${out.stdout ?? ''}`.includes(version.replace(/^v/, ''));
}

async function ensureServer(): Promise<void> {
  const sqlTool = `${SERVER_BIN}-sql`;
  if (reportsVersion(SERVER_BIN, TEMPORAL_SERVER_VERSION) && existsSync(sqlTool)) return;
  const gobin = await goInstall(
    [`${TEMPORAL_SERVER_MODULE}/cmd/server`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql`].map(
      (pkg) => `${pkg}@${TEMPORAL_SERVER_VERSION}`,
    ),
    `Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool`,
    8,
  );
  run('mv', [join(gobin, 'server'), SERVER_BIN], 'moving the server binary');
  run('mv', [join(gobin, 'sql'), sqlTool], 'moving the SQL tool');
  if (!reportsVersion(SERVER_BIN, TEMPORAL_SERVER_VERSION))
    throw new Error(`${shown(SERVER_BIN)} does not report version ${TEMPORAL_SERVER_VERSION}: delete .cache/cluster`);
}

/** The UI server, or the reason it could not be built (the cluster runs without a UI then). */
async function ensureUi(): Promise<string | Error> {
  if (existsSync(UI_BIN)) return UI_BIN;
  const failed = join(CACHE_DIR, `ui-${TEMPORAL_UI_VERSION}.failed`);
  if (existsSync(failed)) return new Error(readFileSync(failed, 'utf8'));
  try {
    const gobin = await goInstall(
      [`${TEMPORAL_UI_MODULE}/cmd/server@${TEMPORAL_UI_VERSION}`],
      'the Temporal UI server',
      3,
    );
    run('mv', [join(gobin, 'server'), UI_BIN], 'moving the UI server binary');
    return UI_BIN;
  } catch (err) {
    // Remembered, so that every start does not try again; delete the file to retry.
    writeFileSync(failed, (err as Error).message);
    return err as Error;
  }
}

/** The server module's directory in Go's module cache: its schema/ holds the SQL schemas of this version. */
function serverModuleDir(): string {
  const out = run(
    'go',
    ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`],
    'go mod download',
    {
      cwd: CACHE_DIR,
    },
  );
  return (JSON.parse(out) as { Dir: string }).Dir;
}

// --- PostgreSQL --------------------------------------------------------------------------------------------------

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): `apt-get install postgresql`');
  return join(base, versions[0], 'bin');
}

/** Runs a PostgreSQL command as its own user when we are root (it refuses to run as root). */
function pg(command: string, args: string[], what: string): string {
  const bin = join(pgBinDir(), command);
  return AS_ROOT ? run('runuser', ['-u', 'postgres', '--', bin, ...args], what) : run(bin, args, what);
}

function ownedByPostgres(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!AS_ROOT) return;
  const uid = Number(run('id', ['-u', 'postgres'], 'id -u postgres (the user PostgreSQL runs as when we are root)'));
  const gid = Number(run('id', ['-g', 'postgres'], 'id -g postgres'));
  chownSync(dir, uid, gid);
}

function startPostgres(port: number): void {
  if (!existsSync(join(PG_DATA, 'PG_VERSION'))) {
    log(`cluster: creating the PostgreSQL database in ${shown(PG_DATA)}`);
    ownedByPostgres(PG_DATA);
    // Trust on the loopback only: a throwaway database on this machine, listening on 127.0.0.1 alone.
    pg('initdb', ['-D', PG_DATA, '-U', 'temporal', '--auth=trust', '-E', 'UTF8', '--locale=C'], 'initdb');
  }
  ownedByPostgres(PG_RUN);
  if (postgresRunning()) return;
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${PG_RUN} -c max_connections=300`;
  pg(
    'pg_ctl',
    ['-D', PG_DATA, '-l', join(PG_RUN, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start'],
    'pg_ctl start',
  );
}

function postgresRunning(): boolean {
  if (!existsSync(join(PG_DATA, 'PG_VERSION'))) return false;
  const bin = join(pgBinDir(), 'pg_ctl');
  const args = ['-D', PG_DATA, 'status'];
  const out = AS_ROOT ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args]) : spawnSync(bin, args);
  return out.status === 0;
}

function stopPostgres(): void {
  if (postgresRunning()) pg('pg_ctl', ['-D', PG_DATA, '-m', 'fast', '-w', 'stop'], 'pg_ctl stop');
}

/** Creates both databases and brings their schemas to this server version (update-schema is idempotent). */
function installSchemas(port: number): void {
  const schemaDir = join(serverModuleDir(), 'schema', 'postgresql', 'v12');
  const sql = (db: string, ...args: string[]) =>
    run(
      `${SERVER_BIN}-sql`,
      ['--ep', '127.0.0.1', '-p', String(port), '-u', 'temporal', '--pl', 'postgres12', '--db', db, ...args],
      `temporal-sql-tool ${args[0]} on ${db}`,
    );
  for (const [db, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ]) {
    const marker = join(DATA_DIR, `schema-${db}.created`);
    if (!existsSync(marker)) {
      log(`cluster: creating database ${db} and its schema`);
      sql(db, 'create');
      sql(db, 'setup-schema', '-v', '0.0');
      writeFileSync(marker, TEMPORAL_SERVER_VERSION);
    }
    sql(db, 'update-schema', '-d', join(schemaDir, dir, 'versioned'));
  }
}

// --- The services ------------------------------------------------------------------------------------------------

/** Whether nothing listens on `port` of 127.0.0.1 right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.unref();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function choosePorts(): Promise<Ports> {
  if (existsSync(PORTS_FILE)) return JSON.parse(readFileSync(PORTS_FILE, 'utf8')) as Ports;
  const taken = new Set<number>();
  // Below 32768: the cluster_membership table keeps membership ports as a smallint, and the kernel hands out
  // ephemeral ports from 32768 up.
  const next = async () => {
    for (;;) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(port) && (await canListen(port))) {
        taken.add(port);
        return port;
      }
    }
  };
  const perService = async () => {
    const out = {} as Record<Service, number>;
    for (const service of SERVICES) out[service] = await next();
    return out;
  };
  const ports: Ports = {
    postgres: await next(),
    frontend: await next(),
    frontendHttp: await next(),
    history: await next(),
    matching: await next(),
    worker: await next(),
    membership: await perService(),
    metrics: await perService(),
    ui: await next(),
  };
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(PORTS_FILE, JSON.stringify(ports, null, 2));
  return ports;
}

/** One configuration file per service: they differ only in where each serves its metrics. */
function writeServiceConfig(service: Service, ports: Ports): string {
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "127.0.0.1:${ports.postgres}"
        connectProtocol: tcp
        user: temporal
        password: ""
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const rpc = (name: Service, grpc: number, extra = '') => `
  ${name}:
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${ports.membership[name]}
      bindOnIP: 127.0.0.1${extra}`;
  const config = `# Written by scripts/cluster.ts on every start; edit the script, not this file.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${CLUSTER_HISTORY_SHARDS}
  datastores:
    postgres-default:${store('temporal', 20)}
    postgres-visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:${ports.metrics[service]}"
services:${rpc('frontend', ports.frontend, `\n      httpPort: ${ports.frontendHttp}`)}${rpc('history', ports.history)}${rpc('matching', ports.matching)}${rpc('worker', ports.worker)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.frontend}"
      httpAddress: "127.0.0.1:${ports.frontendHttp}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "${join(CONFIG_DIR, 'dynamicconfig.yaml')}"
  pollInterval: 10s
`;
  const file = join(CONFIG_DIR, `${service}.yaml`);
  writeFileSync(file, config);
  return file;
}

/**
 * A new namespace (one per test file) is usable within a second or two instead of the default 10 s; updates and
 * Worker Versioning as the dev server has them.
 */
const DYNAMIC_CONFIG = `system.namespaceCacheRefreshInterval:
  - value: 1s
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
limit.maxIDLength:
  - value: 255
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
frontend.workerVersioningDataAPIs:
  - value: true
frontend.workerVersioningWorkflowAPIs:
  - value: true
system.enableDeploymentVersions:
  - value: true
system.enableDeployments:
  - value: true
frontend.namespaceRPS.namespaceReplicationInducingAPIs:
  - value: 100
`;

/** Whether `pid` is alive and still the program we started (a recycled pid is left alone). */
function isOurs(pid: number | undefined, program: string): boolean {
  if (!pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === program;
  } catch {
    return false;
  }
}

function launch(program: string, args: string[], logName: string): number {
  mkdirSync(LOG_DIR, { recursive: true });
  const out = openSync(join(LOG_DIR, `${logName}.log`), 'a');
  // Its own process group, detached: it outlives `npm run cluster -- start`, and `stop` signals it by pid.
  const child = spawn(program, args, { detached: true, stdio: ['ignore', out, out], cwd: DATA_DIR });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${program}`);
  return child.pid;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  died?: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const reason = died?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function readState(): ClusterState | undefined {
  return existsSync(STATE_FILE) ? (JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ClusterState) : undefined;
}

function programOf(name: Service | 'ui'): string {
  return name === 'ui' ? UI_BIN : SERVER_BIN;
}

function tail(file: string, lines = 15): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '';
}

/** Starts one service (or restarts it, for the fault scenarios) and waits until its gRPC port listens. */
export async function startService(service: Service, state: ClusterState): Promise<void> {
  const config = writeServiceConfig(service, state.ports);
  const pid = launch(SERVER_BIN, ['--config-file', config, '--allow-no-auth', 'start', '--service', service], service);
  state.pids[service] = pid;
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  const port = service === 'frontend' ? state.ports.frontend : state.ports[service];
  await waitFor(
    `the ${service} service listening on ${port}`,
    () => portOpen(port),
    60_000,
    () => (isOurs(pid, SERVER_BIN) ? undefined : `it exited:\n${tail(join(LOG_DIR, `${service}.log`))}`),
  );
}

const INDEXED_VALUE_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as Record<string, temporal.api.enums.v1.IndexedValueType>;

/** gRPC status ALREADY_EXISTS, and grpc.health.v1's SERVING. */
const ALREADY_EXISTS = 6;
const SERVING = 1;

/**
 * Registers `namespace` (if new), adds the rollout search attributes to it, and waits until a workflow can be started
 * and listed by them there: registration reaches the history and matching services through their namespace caches.
 */
export async function prepareNamespace(connection: Connection, namespace: string, timeoutMs = 60_000): Promise<void> {
  await connection.workflowService
    .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
    .catch((err: { code?: number }) => {
      if (err.code !== ALREADY_EXISTS) throw err;
    });
  const deadline = Date.now() + timeoutMs;
  const retry = async <T>(what: string, attempt: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`namespace ${namespace}: ${what}: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  };
  await retry('describe', () => connection.workflowService.describeNamespace({ namespace }));
  const existing = await retry('list search attributes', () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const missing = ROLLOUT_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length > 0)
    await retry('add search attributes', () =>
      connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]])),
      }),
    );
  const client = new Client({ connection, namespace });
  await retry('list by a rollout search attribute', () =>
    client.workflow.count(`${ROLLOUT_SEARCH_ATTRIBUTES[0].name} = 'namespace-probe'`),
  );
  // A workflow no worker serves, started and terminated: the namespace reached history and matching.
  const probeId = `namespace-probe-${Date.now()}`;
  await retry('start a workflow', async () => {
    const handle = await client.workflow.start('namespaceProbe', { taskQueue: 'namespace-probe', workflowId: probeId });
    await handle.terminate('namespace probe');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runningState(): ClusterState {
  const state = readState();
  if (!state) throw new Error('no Temporal cluster is running: `npm run cluster -- start`');
  return state;
}

/** A fault for the cluster scenarios: SIGKILLs one service, leaves it down for `downMs`, and starts it again. */
export async function killAndRestartService(service: Service, downMs: number): Promise<void> {
  const state = runningState();
  const pid = state.pids[service];
  if (pid && isOurs(pid, SERVER_BIN)) process.kill(pid, 'SIGKILL');
  while (isOurs(pid, SERVER_BIN)) await sleep(100);
  await sleep(downMs);
  await startService(service, state);
}

/** A fault for the cluster scenarios: stops PostgreSQL at once (`pg_ctl -m immediate`, a crash), then starts it. */
export async function restartPostgres(downMs: number): Promise<void> {
  const state = runningState();
  pg('pg_ctl', ['-D', PG_DATA, '-m', 'immediate', '-w', 'stop'], 'pg_ctl stop -m immediate');
  await sleep(downMs);
  startPostgres(state.ports.postgres);
}

export function frontendAddress(state: ClusterState): string {
  return `127.0.0.1:${state.ports.frontend}`;
}

async function start(): Promise<void> {
  const running = readState();
  if (running && isOurs(running.pids.frontend, SERVER_BIN)) {
    log('cluster: already running');
    printAddresses(running);
    return;
  }
  const began = Date.now();
  mkdirSync(CACHE_DIR, { recursive: true });
  mkdirSync(CONFIG_DIR, { recursive: true });
  await ensureServer();
  const ui = await ensureUi();
  const ports = await choosePorts();
  for (const [name, port] of Object.entries(ports).filter(([, p]) => typeof p === 'number'))
    if (name !== 'postgres' && (await portOpen(port as number)))
      throw new Error(`port ${port} (${name}) is taken: stop whatever listens there, or delete ${shown(PORTS_FILE)}`);
  startPostgres(ports.postgres);
  installSchemas(ports.postgres);
  writeFileSync(join(CONFIG_DIR, 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
  const state: ClusterState = { ports, pids: {}, startedAt: new Date().toISOString() };
  try {
    for (const service of SERVICES) {
      log(`cluster: starting the ${service} service`);
      await startService(service, state);
    }
    const connection = await Connection.connect({ address: frontendAddress(state) });
    try {
      await waitFor(
        'the frontend answering its health check',
        async () => Number((await connection.healthService.check({}).catch(() => undefined))?.status) === SERVING,
        60_000,
      );
      log('cluster: registering namespace default with the rollout search attributes');
      await prepareNamespace(connection, 'default', 120_000);
    } finally {
      await connection.close();
    }
    if (typeof ui === 'string') {
      const uiConfigDir = join(CONFIG_DIR, 'ui');
      mkdirSync(uiConfigDir, { recursive: true });
      writeFileSync(
        join(uiConfigDir, 'cluster.yaml'),
        `temporalGrpcAddress: ${frontendAddress(state)}\nhost: 127.0.0.1\nport: ${ports.ui}\nenableUi: true\ncors:\n  allowOrigins:\n    - http://127.0.0.1:${ports.ui}\ndefaultNamespace: default\n`,
      );
      const pid = launch(UI_BIN, ['--root', CONFIG_DIR, '--config', 'ui', '--env', 'cluster', 'start'], 'ui');
      state.pids.ui = pid;
      writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
      await waitFor(
        `the Web UI on ${ports.ui}`,
        () => portOpen(ports.ui),
        30_000,
        () => (isOurs(pid, UI_BIN) ? undefined : `it exited:\n${tail(join(LOG_DIR, 'ui.log'))}`),
      );
    } else {
      log(`cluster: no Web UI: the UI server ${TEMPORAL_UI_VERSION} did not build (${ui.message.split('\n')[0]})`);
    }
  } catch (err) {
    log(`cluster: start failed; stopping what started`);
    await stop();
    throw err;
  }
  log(`cluster: healthy after ${Math.round((Date.now() - began) / 1000)} s`);
  printAddresses(state);
}

function printAddresses(state: ClusterState): void {
  const { ports } = state;
  console.log(`TEMPORAL_ADDRESS=${frontendAddress(state)}    # frontend gRPC, namespace default`);
  console.log(`frontend HTTP   http://127.0.0.1:${ports.frontendHttp}`);
  if (state.pids.ui) console.log(`Web UI          http://127.0.0.1:${ports.ui}`);
  console.log(`PostgreSQL      postgresql://temporal@127.0.0.1:${ports.postgres}/temporal (and temporal_visibility)`);
  for (const service of SERVICES)
    console.log(
      `${service.padEnd(15)} pid ${state.pids[service]}, metrics http://127.0.0.1:${ports.metrics[service]}/metrics`,
    );
  console.log(`logs            ${shown(LOG_DIR)}/`);
}

/** Stops one process we started: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(name: Service | 'ui', pid: number | undefined, graceMs = 15_000): Promise<void> {
  const program = programOf(name);
  if (!pid || !isOurs(pid, program)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurs(pid, program) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isOurs(pid, program)) {
    log(`cluster: ${name} (pid ${pid}) ignored SIGTERM for ${graceMs / 1000} s; killing it`);
    process.kill(pid, 'SIGKILL');
  }
}

async function stop(): Promise<void> {
  const state = readState();
  if (state) {
    // The UI and the frontend first, so that nothing new arrives while history finishes its work.
    for (const name of ['ui', 'frontend', 'worker', 'matching', 'history'] as const) {
      await stopProcess(name, state.pids[name]);
      if (state.pids[name]) log(`cluster: stopped ${name}`);
    }
    rmSync(STATE_FILE);
  }
  stopPostgres();
  log('cluster: stopped');
}

function status(): boolean {
  const state = readState();
  const pgUp = postgresRunning();
  console.log(`postgres        ${pgUp ? 'running' : 'stopped'}`);
  if (!state) {
    console.log('services        not started (npm run cluster -- start)');
    return false;
  }
  let all = pgUp;
  for (const name of [...SERVICES, 'ui'] as const) {
    const pid = state.pids[name];
    if (!pid) continue;
    const up = isOurs(pid, programOf(name));
    all &&= up;
    console.log(
      `${name.padEnd(15)} ${up ? `running (pid ${pid})` : `NOT running (pid ${pid} gone; see ${shown(LOG_DIR)}/${name}.log)`}`,
    );
  }
  if (all) printAddresses(state);
  return all;
}

export function clusterState(): ClusterState | undefined {
  return readState();
}

if (require.main === module) {
  const command = process.argv[2];
  const commands: Record<string, () => Promise<unknown>> = {
    start,
    stop,
    status: async () => {
      if (!status()) process.exitCode = 1;
    },
  };
  const action = command ? commands[command] : undefined;
  if (!action) {
    console.error(`usage: npm run cluster -- start|stop|status (got ${command ?? 'nothing'})`);
    process.exit(2);
  }
  action().catch((err: unknown) => {
    console.error(`cluster: ${(err as Error).message}`);
    process.exit(1);
  });
}
