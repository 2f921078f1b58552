/**
 * The clients real users run, against the emulator over real HTTP: a training job registers a version with MLflow
 * (`mlflow-skinny`, `registry_uri="databricks-uc"`), uploading its files; `rollout start` rolls it out; the official
 * Python SDK (`databricks-sdk`) reads the version and the endpoint. Python runs as a child process from the project's pinned
 * virtual environment (scripts/python-clients.ts installs it into .cache/python-clients/venv on first use, about 30 s).
 * The Python side is test/conformance/mlflow_register.py; it prints JSON, which this file checks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonClients } from '../../scripts/python-clients';
import { EXIT } from '../../src/cli/context';
import { runCli, writePlanFile, type CliRun } from '../support/cli';
import { ENDPOINT, MODEL, Rig, useRig } from '../support/temporal';

const SCRIPT = join(__dirname, 'mlflow_register.py');
const run = promisify(execFile);

let python: string;
beforeAll(() => {
  python = ensurePythonClients();
}, 600_000);

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

/** `rollout start --plan <file> --version <v> --wait --json`, in-process with its own environment, as CI runs it. */
async function rolloutStart(version: string): Promise<CliRun> {
  const plan = rig.plan({ stages: [{ name: 'canary', traffic: 10, bake: '200ms' }] });
  return runCli(rig, ['start', '--plan', writePlanFile(plan), '--version', version, '--wait', '--json']);
}

/**
 * Runs the script against one region's workspace with nothing of this machine's configuration: a fresh HOME, no
 * ~/.databrickscfg, only DATABRICKS_HOST and DATABRICKS_TOKEN. Async, so the in-process emulator keeps answering.
 */
async function runPython(region: string, ...args: string[]): Promise<any> {
  const home = mkdtempSync(join(tmpdir(), 'mlflow-e2e-'));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    DATABRICKS_HOST: rig.emu.url(region),
    DATABRICKS_TOKEN: rig.emu.token(region),
    DATABRICKS_CONFIG_FILE: join(home, 'no-databrickscfg'),
    // A training job on Databricks tracks to the workspace; nothing here is tracked (no run), so nothing is called.
    MLFLOW_TRACKING_URI: 'databricks',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
  };
  try {
    const { stdout } = await run(python, [SCRIPT, ...args], { env, cwd: home, timeout: 120_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${SCRIPT} ${args.join(' ')} failed: ${e.message}\n${(e.stderr ?? '').slice(-3000)}`, {
      cause: err,
    });
  }
}

it('registers a version with MLflow, rolls it out with `rollout start`, and reads both with the Python SDK', async () => {
  const primary = rig.emu.world.primary;
  // (a)-(c): MLflow registers v2 with its files, moves an alias, tags; the SDK reads the same version through UC.
  const registered = await runPython(primary, 'register', MODEL, 'candidate-good', 'candidate');
  expect(registered).toEqual({
    registered: { version: '2', status: 'READY' },
    get_model_version: {
      version: '2',
      status: 'READY',
      tags: { emulator_behavior: 'candidate-good', team: 'churn' },
    },
    alias: { version: '2', aliases: ['candidate'] },
    registered_model: { aliases: { champion: '1', candidate: '2' }, tags: { owner_team: 'churn' } },
    search_model_versions: [1, 2],
    search_registered_models: [MODEL],
    downloaded: 'churn model weights v-next\n',
    downloaded_files: ['MLmodel', 'weights.txt'],
    missing_alias: 'RESOURCE_DOES_NOT_EXIST',
    sdk: { version: 2, status: 'READY', aliases: ['candidate'] },
  });
  // The files MLflow uploaded are the version's, in the emulator's Unity Catalog.
  const record = rig.emu.emulator.catalog.models.get(MODEL)!.versions.get(2)!;
  expect([...record.files.keys()].sort()).toEqual(['MLmodel', 'weights.txt']);
  expect(record.tags.get('validated')).toBe('true');

  // (d): `rollout start` rolls the MLflow-registered version out to every region (it replicates through the share).
  const started = await rolloutStart(registered.registered.version);
  expect([started.code, started.err]).toEqual([EXIT.ok, '']);
  const report = JSON.parse(started.out);
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r: any) => [r.region, r.outcome])).toEqual(rig.emu.regions.map((r) => [r, 'promoted']));

  // The official Python SDK reads each region's endpoint: version 2 serves all traffic.
  for (const region of rig.emu.regions) {
    const endpoint = await runPython(region, 'endpoint', ENDPOINT);
    expect(endpoint).toMatchObject({ ready: 'READY', config_update: 'NOT_UPDATING' });
    expect(endpoint.served_entities.map((e: any) => e.entity_version)).toEqual(['2']);
    expect(endpoint.routes.map((r: any) => r.traffic_percentage)).toEqual([100]);
  }
}, 300_000);
