/**
 * The fault suite's rig: a Temporal dev server the suite starts itself (persistent database, so it can be stopped
 * and restarted mid-rollout), the Databricks emulator (fresh and seeded per scenario), and the worker as a child
 * process that can be SIGKILLed and restarted. Each scenario ends with the invariant checker; the suite prints a
 * table (scenario, outcome, invariant held, time) and writes it to test-artifacts/.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { freePort, portOpen, startDevServer } from '../../scripts/dev-server';
import { launchWorkerProcess } from '../../scripts/launch-worker';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import type { WorldInput } from '../../src/emulator/world';
import { planSchema, type Plan, type PlanInput } from '../../src/plan/schema';
import { startRollout, rolloutReport } from '../../src/rollouts';
import { rolloutStatusQuery } from '../../src/shared/messages';
import type { EndpointConfig, RolloutReport, RolloutStatus } from '../../src/shared/types';
import { checkRolloutInvariant, readEndpoints, type InvariantResult } from '../support/invariant';
import { bundleWorkflows, ENDPOINT, MODEL, rolloutWorld } from '../support/temporal';

const ROOT = join(__dirname, '..', '..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The Temporal CLI dev server on a fixed port and a database file, so a restart resumes every workflow. */
export class DevServer {
  private child?: ChildProcess;
  readonly dbFile: string;

  private constructor(
    readonly port: number,
    dir: string,
  ) {
    this.dbFile = join(dir, 'temporal.sqlite');
  }

  static async start(): Promise<DevServer> {
    const server = new DevServer(await freePort(), mkdtempSync(join(tmpdir(), 'rollout-chaos-')));
    await server.run();
    return server;
  }

  get address() {
    return `127.0.0.1:${this.port}`;
  }

  async run() {
    const server = await startDevServer({
      cli: resolveTemporalCli(),
      port: this.port,
      dbFile: this.dbFile,
      timeoutMs: 90_000,
    });
    this.child = server.child;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await exited(child);
    this.child = undefined;
    // The port must be free before a restart binds it again.
    while (await portOpen(this.port)) await sleep(100);
  }
}

/** The worker (scripts/worker-process.ts) in its own process. */
export class WorkerProcess {
  private child?: ChildProcess;
  kills = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** How long each start took (tsx compiles the worker's sources in the child: seconds on a loaded machine). */
  readonly startSeconds: number[] = [];

  async start() {
    const began = Date.now();
    this.child = await launchWorkerProcess({ env: this.env, timeoutMs: 120_000 });
    this.startSeconds.push((Date.now() - began) / 1000);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL') {
    const child = this.child;
    if (!child) return;
    if (signal === 'SIGKILL') this.kills++;
    child.kill(signal);
    await exited(child);
    this.child = undefined;
  }

  /** SIGKILL, then a new process: what a crashed and rescheduled worker looks like. */
  async crashAndRestart() {
    await this.kill('SIGKILL');
    await this.start();
  }
}

export interface ScenarioRow {
  scenario: string;
  seed: number;
  outcome: string;
  invariantHeld: boolean;
  seconds: number;
  notes: string;
}

/** What a scenario's body works with. */
export class ChaosRun {
  readonly client: Client;
  readonly notes: string[] = [];
  private checks: InvariantResult[] = [];

  constructor(
    readonly server: DevServer,
    readonly emu: RunningEmulator,
    readonly worker: WorkerProcess,
    connection: Connection,
    readonly seed: number,
  ) {
    this.client = new Client({ connection, namespace: 'default' });
  }

  get primaryUrl() {
    return this.emu.url(this.emu.world.primary);
  }

  plan(overrides: Partial<PlanInput> = {}, model = MODEL): Plan {
    const [primary, ...replicas] = this.emu.regions;
    return planSchema.parse({
      model,
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
      stages: [
        { name: 'canary', traffic: 10, bake: '1s' },
        { name: 'half', traffic: 50, bake: '1s' },
      ],
      timeouts: { replication: '60s', config_update: '60s', approval: '60s' },
      ...overrides,
    });
  }

  async register(behavior: string, model = MODEL): Promise<number> {
    const res = await fetch(`${this.primaryUrl}/__emulator/models/${model}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ behavior, registration_duration: '50ms' }),
    });
    if (!res.ok) throw new Error(`register refused: ${await res.text()}`);
    return ((await res.json()) as { version: number }).version;
  }

  async fault(region: string, fault: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${this.emu.url(region)}/__emulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(fault),
    });
    if (!res.ok) throw new Error(`fault refused: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async clearFault(region: string, id: string) {
    await fetch(`${this.emu.url(region)}/__emulator/faults/${id}`, { method: 'DELETE' });
  }

  /** Each region's endpoint config now (the pre-rollout configs, read before starting). */
  async configs(): Promise<Record<string, EndpointConfig>> {
    const endpoints = await readEndpoints(this.primaryUrl, ENDPOINT);
    return Object.fromEntries(Object.entries(endpoints).map(([region, e]) => [region, e.config]));
  }

  async start(plan: Plan, version: number) {
    const before = await this.configs();
    const { handle } = await startRollout(this.client, { plan, edgeCases: [], version, triggeredBy: 'chaos' });
    return { handle, plan, version, before };
  }

  /** Polls the rollout's status until `predicate` holds; returns that status. */
  async waitFor(
    handle: WorkflowHandle,
    what: string,
    predicate: (status: RolloutStatus) => boolean,
    timeoutMs = 180_000,
  ): Promise<RolloutStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const status = await handle.query(rolloutStatusQuery);
        if (predicate(status)) return status;
      } catch {
        // The workflow is between workers (or the server is restarting): ask again.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** Waits until some region is in `phase` (the kill point). */
  waitForPhase(handle: WorkflowHandle, phase: string, timeoutMs?: number) {
    return this.waitFor(handle, `a region in ${phase}`, (s) => s.regions.some((r) => r.phase === phase), timeoutMs);
  }

  /** Waits for the rollout's report (the query answers from a closed workflow too). */
  async result(handle: WorkflowHandle, timeoutMs = 300_000): Promise<RolloutReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') return await rolloutReport(handle);
      } catch {
        // The server may be restarting.
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the rollout to finish');
      await sleep(250);
    }
  }

  /** Runs the invariant checker and keeps its result for the table. */
  async check(started: {
    handle: WorkflowHandle;
    plan: Plan;
    version: number;
    before: Record<string, EndpointConfig>;
  }) {
    const result = await checkRolloutInvariant({
      client: this.client,
      rolloutId: started.handle.workflowId,
      plan: started.plan,
      version: started.version,
      before: started.before,
      emulatorUrl: this.primaryUrl,
    });
    this.checks.push(result);
    return result;
  }

  get invariantHeld() {
    return this.checks.length > 0 && this.checks.every((c) => c.held);
  }
}

export interface Scenario {
  name: string;
  seed: number;
  /** Part of `npm test` (the fast subset), or only of `npm run test:chaos`. */
  fast: boolean;
  world?: (base: WorldInput) => WorldInput;
  /** Returns the outcome for the table; asserts what the scenario must show. */
  run(run: ChaosRun): Promise<string>;
}

/** Jest hooks for a suite file: one dev server and workflow bundle; per scenario a fresh emulator and worker. */
export function chaosSuite(artifact: string) {
  let server: DevServer;
  let connection: Connection;
  let bundleFile: string;
  const rows: ScenarioRow[] = [];

  beforeAll(async () => {
    const [started, bundle] = await Promise.all([DevServer.start(), bundleWorkflows()]);
    server = started;
    bundleFile = join(mkdtempSync(join(tmpdir(), 'rollout-chaos-bundle-')), 'bundle.js');
    writeFileSync(bundleFile, bundle.code);
    connection = await Connection.connect({ address: server.address });
  }, 180_000);

  afterAll(async () => {
    await connection?.close();
    await server?.stop('SIGTERM');
    if (rows.length === 0) return;
    const table = [
      '| scenario | seed | outcome | invariant held | time |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.scenario} | ${r.seed} | ${r.outcome} | ${r.invariantHeld ? 'yes' : 'NO'} | ${r.seconds.toFixed(1)} s |`,
      ),
    ].join('\n');
    console.log(`fault suite results\n${table}`);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(
      join(ROOT, 'test-artifacts', artifact),
      JSON.stringify({ at: new Date().toISOString(), rows }, null, 2),
    );
  });

  return async function runScenario(scenario: Scenario) {
    const started = Date.now();
    const world = (scenario.world ?? ((w) => w))({
      ...rolloutWorld(),
      seed: scenario.seed,
    });
    const emu = await startEmulator(world);
    const configFile = join(mkdtempSync(join(tmpdir(), 'rollout-chaos-cfg-')), 'databrickscfg');
    writeFileSync(configFile, emu.databricksConfig());
    const worker = new WorkerProcess({
      TEMPORAL_ADDRESS: server.address,
      DATABRICKS_CONFIG_FILE: configFile,
      WORKER_BUNDLE: bundleFile,
      WORKER_REGIONS: emu.regions.join(','),
      WORKER_POLL: '100,500',
      WORKER_CONTROL_POLL_MS: '300',
    });
    const run = new ChaosRun(server, emu, worker, connection, scenario.seed);
    let outcome = 'error';
    try {
      await worker.start();
      outcome = await scenario.run(run);
    } catch (err) {
      outcome = `error: ${(err as Error).message.slice(0, 200)}`;
      throw err;
    } finally {
      rows.push({
        scenario: scenario.name,
        seed: scenario.seed,
        outcome,
        invariantHeld: run.invariantHeld,
        seconds: (Date.now() - started) / 1000,
        notes: [...run.notes, `worker starts ${worker.startSeconds.map((x) => `${x.toFixed(1)}s`).join(', ')}`].join(
          '; ',
        ),
      });
      // Leave nothing running for the next scenario: rollout ids repeat across fresh emulators.
      await terminateAll(run.client);
      await worker.kill('SIGTERM');
      await emu.close();
    }
  };
}

async function terminateAll(client: Client) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      for await (const execution of client.workflow.list({ query: "ExecutionStatus = 'Running'" }))
        await client.workflow
          .getHandle(execution.workflowId, execution.runId)
          .terminate('chaos scenario cleanup')
          .catch(() => undefined);
      return;
    } catch {
      await sleep(1000);
    }
  }
}
