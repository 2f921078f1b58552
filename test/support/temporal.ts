/**
 * A real Temporal dev server (the Temporal CLI, found or built by scripts/temporal-cli.ts), the Databricks emulator,
 * per-region ~/.databrickscfg profiles pointing at it, and workers serving every queue: what a rollout needs.
 */
import { installTestRuntime } from './runtime';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type Worker,
  type WorkerPlugin,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { freePort } from '../../scripts/dev-server';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { Client, Connection } from '@temporalio/client';
import { prepareNamespace } from '../../scripts/cluster';
import { WorkspaceClients } from '../../src/activities';
import { generateWorld } from '../../src/emulator/generate-world';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { eventually } from './emulator';
import type { WorldInput } from '../../src/emulator/world';
import { compileFormula } from '../../src/emulator/formula';
import type { EdgeCase } from '../../src/plan/edge-cases';
import { planSchema, type Plan, type PlanInput } from '../../src/plan/schema';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../src/shared/messages';
import { createWorkers, type WorkerSetup } from '../../src/worker';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../src/tracing';

export const MODEL = 'main.ml.fraud_detector';

/** Polls `check` until it returns a value; rollouts on a dev server get 20 s by default. */
export function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return eventually(check, timeoutMs, what);
}
export const ENDPOINT = 'fraud-detector';

/** A dev server's environment; `uiUrl` is its Web UI (`http://127.0.0.1:<port>`) when started with `{ ui: true }`. */
export type TemporalEnv = TestWorkflowEnvironment & { uiUrl?: string };

/**
 * Starts a dev server with the rollout search attributes. `{ ui: true }` also serves its Web UI on a free port (the
 * default, the server's port + 1000, may be taken) and waits until it answers.
 *
 * With TEMPORAL_TEST_CLUSTER=host:port (`npm run test:cluster`, scripts/cluster.ts) it starts no server: it connects to
 * that cluster in a namespace of its own (clusterTestEnv).
 */
export interface TemporalEnvOptions {
  ui?: boolean;
  /** The server's dynamic config (`--dynamic-config-value key=value`), e.g. Worker Versioning's drainage intervals. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export async function createTemporalEnv(
  options: TemporalEnvOptions & { ui: true },
): Promise<TemporalEnv & { uiUrl: string }>;
export async function createTemporalEnv(options?: TemporalEnvOptions): Promise<TemporalEnv>;
export async function createTemporalEnv(options: TemporalEnvOptions = {}): Promise<TemporalEnv> {
  installTestRuntime();
  const cluster = process.env.TEMPORAL_TEST_CLUSTER;
  if (cluster) return clusterTestEnv(cluster, options);
  const uiPort = options.ui ? await freePort() : undefined;
  let env: TemporalEnv;
  try {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: quietTemporalCli() },
        // The server's own warnings (a generated cluster id, interceptor notes) say nothing about the code under test.
        log: { format: 'pretty', level: 'error' },
        searchAttributes: ROLLOUT_SEARCH_ATTRIBUTES,
        ...(uiPort ? { ui: true, uiPort } : {}),
        extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
          '--dynamic-config-value',
          `${key}=${JSON.stringify(value)}`,
        ]),
      },
    });
  } catch (err) {
    const errors = serverErrors();
    throw errors ? new Error(`${(err as Error).message}\nthe dev server wrote:\n${errors}`, { cause: err }) : err;
  }
  if (uiPort) {
    env.uiUrl = `http://127.0.0.1:${uiPort}`;
    await waitForHttp(env.uiUrl, 30_000).catch(async (err: unknown) => {
      await env.teardown();
      throw err;
    });
  }
  return env;
}

/**
 * An environment on a running cluster, in a fresh namespace for the calling test file: test files reuse workflow ids
 * (one rollout per model version) and expect a server with none of them, as a dev server of their own gives them.
 */
async function clusterTestEnv(address: string, options: { ui?: boolean }): Promise<TemporalEnv> {
  const file = basename(expect.getState().testPath ?? 'test', '.test.ts').replace(/[^a-z0-9-]/gi, '-');
  const namespace = `test-${file}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const connection = await Connection.connect({ address });
  try {
    await prepareNamespace(connection, namespace);
  } finally {
    await connection.close();
  }
  const env: TemporalEnv = await TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
  if (options.ui) {
    const uiUrl = process.env.TEMPORAL_TEST_CLUSTER_UI;
    if (!uiUrl) {
      await env.teardown();
      throw new Error(
        'TEMPORAL_TEST_CLUSTER_UI is not set: a test that needs the Web UI needs its address on a cluster',
      );
    }
    env.uiUrl = uiUrl;
  }
  return env;
}

let quietCli: { path: string; logs: string } | undefined;

/**
 * The Temporal CLI behind a wrapper that drops its standard output (the dev server's banner: version, address,
 * metrics URL, printed for every test file's server) and keeps its standard error in a file per server under
 * test-artifacts/temporal-servers/. A dev server logs at ERROR what tests do on purpose (updates aborted by a
 * closing workflow, writes cancelled by its own shutdown, a frontend probed before it is up): the files keep it for
 * whoever looks, and a server that fails to start has its errors printed with the failure.
 */
function quietTemporalCli(): string {
  if (quietCli) return quietCli.path;
  const cli = resolveTemporalCli();
  const logs = join(__dirname, '..', '..', 'test-artifacts', 'temporal-servers');
  mkdirSync(logs, { recursive: true });
  const path = join(mkdtempSync(join(tmpdir(), 'temporal-quiet-')), 'temporal');
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
  // exec: the server is the process the test environment stops; $$ is its pid.
  writeFileSync(path, `#!/bin/sh\nexec ${quote(cli)} "$@" >/dev/null 2>>${quote(logs)}/server-$$.stderr\n`, {
    mode: 0o755,
  });
  quietCli = { path, logs };
  return path;
}

/** The last lines the dev servers of this process wrote to standard error, for a server that failed to start. */
function serverErrors(): string {
  if (!quietCli) return '';
  const logs = quietCli.logs;
  return readdirSync(logs)
    .filter((f) => f.endsWith('.stderr'))
    .map((f) => readFileSync(join(logs, f), 'utf8').split('\n').slice(-20).join('\n').trim())
    .filter(Boolean)
    .join('\n');
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the Temporal Web UI at ${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The workflows' bundle, with the tracing interceptors every worker's bundle has (src/tracing.ts). */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
    logger: new DefaultLogger('WARN'),
  });
}

/**
 * The metric clock of rollout test worlds: 600 times faster (a metric minute per 100 ms), so that a judge's window of
 * a few seconds spans whole metric minutes, and an export of the last 60 (6 s) so that a judge reading once per look
 * or round misses none.
 */
export const FAST_METRICS = { time_scale: 600, metrics_export_minutes: 60 } as const;

/** A three-region world with short delays: us-east-1 (primary), eu-west-1, ap-southeast-1. */
export function rolloutWorld(overrides: Partial<WorldInput> = {}): WorldInput {
  return {
    ...generateWorld({ regions: 3, replicationDelay: '150ms', configUpdateDuration: '150ms' }),
    ...FAST_METRICS,
    ...overrides,
  };
}

/**
 * A fresh world per test whose versions start `step` further on each time: rollout ids outlive a test on the file's
 * dev server, and a watcher never starts a version whose rollout exists, so no two tests share a version.
 */
export function spacedVersionWorlds(step = 10): () => WorldInput {
  let base = 1;
  return () => {
    base += step;
    const world = rolloutWorld();
    const [model] = world.models as { name: string; versions: { version: number; behavior: string }[] }[];
    return { ...world, models: [{ ...model, versions: [...model.versions, { version: base, behavior: 'champion' }] }] };
  };
}

/** The candidate-good formula of the generated world, to derive edge cases it passes and candidate-bad fails. */
const goodModel = compileFormula('round(sigmoid(0.0041 * amount - 2), 4)');
export const EDGE_CASES: EdgeCase[] = [50, 200, 400].map((amount) => ({
  name: `amount ${amount}`,
  input: { amount },
  expected: { kind: 'approx', value: goodModel({ amount }) as number, tolerance: 0.02 },
}));

/**
 * Jest hooks for a test file: one dev server and one workflow bundle for the file, a fresh emulator and workers
 * per test. Returns a getter for the current test's rig.
 */
/** How a rig sets up the workers' profiles, and whether it keeps the emulator's request log (`Rig.requests`). */
export interface RigOptions {
  /** `oauth-m2m`: each region's profile holds the world's OAuth client credentials instead of a PAT. */
  auth?: 'pat' | 'oauth-m2m';
  logRequests?: boolean;
  /** Worker plugins (src/tracing.ts), asked for when each rig's workers start (a test may make them in beforeAll). */
  plugins?: () => WorkerPlugin[];
}

export function useRig(world?: () => WorldInput, options: RigOptions = {}): () => Rig {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap;
  let rig: Rig | undefined;
  beforeAll(async () => {
    [env, bundle] = await Promise.all([createTemporalEnv(), bundleWorkflows()]);
  }, 120_000);
  // Workers shut down only when their activities in flight have ended (up to the grace time, then cancelled): on a
  // busy CI host that took over jest's default 30 s once, and the next test found the old workers still registered.
  afterAll(async () => {
    await env?.teardown();
  }, 120_000);
  beforeEach(async () => {
    rig = await Rig.start(env!, bundle, world?.(), options);
  }, 120_000);
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  }, 120_000);
  return () => rig!;
}

export class Rig {
  readonly workers: Worker[] = [];
  private runs: Promise<void>[] = [];
  readonly configFile: string;
  /** Payload encryption for workers started from now on (test/security). */
  dataConverter?: DataConverter;

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly emu: RunningEmulator,
    readonly bundle: WorkflowBundleWithSourceMap,
    private readonly options: RigOptions = {},
    /** The emulator's request log ("[region] METHOD /path status"), when the rig was started with logRequests. */
    readonly requests: string[] = [],
  ) {
    this.configFile = join(mkdtempSync(join(tmpdir(), 'rollout-cfg-')), 'databrickscfg');
    writeFileSync(this.configFile, emu.databricksConfig({ auth: options.auth }));
  }

  static async start(
    env: TestWorkflowEnvironment,
    bundle: WorkflowBundleWithSourceMap,
    world: WorldInput = rolloutWorld(),
    options: RigOptions = {},
  ) {
    const requests: string[] = [];
    const log = options.logRequests ? (line: string) => requests.push(line.replace(/ \d+ms$/, '')) : undefined;
    const rig = new Rig(env, await startEmulator(world, { log }), bundle, options, requests);
    await rig.startWorkers();
    return rig;
  }

  get client() {
    return this.env.client;
  }

  /** Starts workers for every queue; `build` makes them another build's (Worker Versioning, another bundle). */
  async startWorkers(build: Pick<WorkerSetup, 'deployment' | 'workflowBundle'> = {}) {
    const plugins = this.options.plugins?.();
    const workers = await createWorkers({
      connection: this.env.nativeConnection,
      namespace: this.env.namespace ?? 'default',
      // Control activities talk to workflows (signalWithStart, queries): with the workers' codec and plugins, as in
      // production.
      temporal:
        this.dataConverter || plugins
          ? new Client({
              connection: this.env.connection,
              namespace: this.env.namespace ?? 'default',
              dataConverter: this.dataConverter,
              plugins,
            })
          : this.env.client,
      regions: this.emu.regions,
      control: true,
      clients: new WorkspaceClients({ env: { DATABRICKS_CONFIG_FILE: this.configFile } }),
      poll: { initialMs: 50, maxMs: 250 },
      controlPollMs: 200,
      workflowBundle: this.bundle,
      shutdownGraceTime: '1s',
      dataConverter: this.dataConverter,
      ...build,
      plugins,
    });
    this.workers.push(...workers);
    this.runs.push(...workers.map((w) => w.run()));
    return workers;
  }

  async stopWorkers() {
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(this.runs);
    this.workers.length = 0;
    this.runs = [];
  }

  async close() {
    // Leave nothing running for the next test: its rollouts reuse the same workflow ids.
    for await (const execution of this.env.client.workflow.list({ query: "ExecutionStatus = 'Running'" }))
      await this.env.client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .terminate('test cleanup')
        .catch(() => undefined);
    await this.stopWorkers();
    await this.emu.close();
  }

  plan(overrides: Partial<PlanInput> = {}): Plan {
    const [primary, ...replicas] = this.emu.regions;
    return planSchema.parse({
      model: MODEL,
      primary,
      regions: [
        { name: primary, workspace: { profile: primary }, endpoint: ENDPOINT },
        ...replicas.map((name) => ({
          name,
          workspace: { profile: name },
          shared_catalog: 'ml_shared',
          endpoint: ENDPOINT,
        })),
      ],
      stages: [{ name: 'canary', traffic: 10, bake: '300ms' }],
      timeouts: { replication: '10s', config_update: '10s', approval: '10s' },
      ...overrides,
    });
  }

  /** Registers the next version in the primary and returns its number. */
  async register(behavior: string): Promise<number> {
    const res = await fetch(`${this.emu.url(this.emu.world.primary)}/__emulator/models/${MODEL}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ behavior, registration_duration: '50ms' }),
    });
    return ((await res.json()) as { version: number }).version;
  }

  async fault(region: string, fault: Record<string, unknown>) {
    const res = await fetch(`${this.emu.url(region)}/__emulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(fault),
    });
    if (!res.ok) throw new Error(`fault refused: ${await res.text()}`);
  }

  /** What each region's endpoint serves now: "name@version:percent" entries, sorted. */
  async serving(): Promise<Record<string, string[]>> {
    const state = (await (await fetch(`${this.emu.url(this.emu.world.primary)}/__emulator/state`)).json()) as any;
    const out: Record<string, string[]> = {};
    for (const [region, r] of Object.entries<any>(state.regions)) {
      const endpoint = r.endpoints.find((e: any) => e.name === ENDPOINT);
      const routes = new Map<string, number>(
        endpoint.config.traffic_config.routes.map((x: any) => [x.served_entity_name, x.traffic_percentage]),
      );
      out[region] = endpoint.config.served_entities
        .map((e: any) => `${e.name}@${e.entity_version}:${routes.get(e.name) ?? 0}`)
        .sort();
    }
    return out;
  }
}
