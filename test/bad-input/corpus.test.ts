/**
 * The bad-input corpus (test/bad-input/corpus/manifest.json): malformed and hostile plans, world files, command
 * lines and Databricks API answers. Each must be refused with an error that names the field and the fix, and
 * nothing may be started: CLI cases run against a Temporal address and a Databricks host that record every
 * connection, and must leave both untouched.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { DatabricksClient } from '../../src/databricks';
import { loadWorldFile, WorldError } from '../../src/emulator/world';
import { loadPlan, PlanError } from '../../src/plan/load';
import { startFakeServer, type FakeServer } from '../databricks/fake-server';

const CORPUS = join(__dirname, 'corpus');
/**
 * `expect`: fragments the error must contain; `absent`: fragments it must not (a credential or file content the input
 * carried); `code`: the exit code of the command line (cli/ cases; default 2). Plan cases also run through
 * `rollout validate`, which must exit 2 with the same fragments.
 */
type Case = { case: string; expect: string[]; absent?: string[]; code?: number };
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { cases: Case[] };
const generated = mkdtempSync(join(tmpdir(), 'bad-input-'));

const validPlan = () => readFileSync(join(CORPUS, 'cli', 'valid-plan.yaml'), 'utf8');
const withEdgeCases = (file: string) => `${validPlan()}tests: { edge_cases: { file: "${file}" } }\n`;

/** Inputs too big to commit, or not files at all (links to devices, FIFOs), made at run time at `path`. */
const GENERATORS: Record<string, (path: string) => void> = {
  // A valid-looking plan padded past the 1 MiB limit with one long comment: refused before it is parsed.
  'generated/huge-plan.yaml': (path) => writeFileSync(path, `${validPlan()}# ${'x'.repeat(3 * 1024 * 1024)}\n`),
  'generated/huge-world.yaml': (path) => writeFileSync(path, `seed: 1\n# ${'x'.repeat(6 * 1024 * 1024)}\n`),
  // Reading these never ended (/dev/zero) or never began (a FIFO without a writer blocks the open).
  'generated/plan-links-to-dev-zero.yaml': (path) => symlinkSync('/dev/zero', path),
  'generated/plan-is-a-fifo.yaml': (path) => execFileSync('mkfifo', [path]),
  'generated/edge-cases-link-to-dev-zero.yaml': (path) => {
    symlinkSync('/dev/zero', `${path}.jsonl`);
    writeFileSync(path, withEdgeCases(`${path}.jsonl`));
  },
  // A credentials file named by mistake: its lines must not be quoted in the errors.
  'generated/edge-cases-are-a-databrickscfg.yaml': (path) => {
    writeFileSync(`${path}.cfg`, '[DEFAULT]\nhost = https://adb-7.azuredatabricks.net\ntoken = dapiCORPUS0123456789\n');
    writeFileSync(path, withEdgeCases(`${path}.cfg`));
  },
  'generated/edge-cases-are-proc-environ.yaml': (path) => writeFileSync(path, withEdgeCases('/proc/self/environ')),
  // 5001 regions and 500 stages validated; the rollout's history outgrew Temporal's limit at 500-700 regions.
  'generated/too-many-regions.yaml': (path) => writeFileSync(path, sizedPlan(251, 1)),
  'generated/too-many-stages.yaml': (path) => writeFileSync(path, sizedPlan(2, 21)),
  'generated/regions-times-stages-outgrow-history.yaml': (path) => writeFileSync(path, sizedPlan(100, 20)),
  // 820 KB of aliases of a 4 KiB health input: a valid plan whose workflow input Temporal refused (exit 1, a stack).
  // Within the alias limit, but 400 uses of 4 KiB strings expand past what one Temporal payload holds.
  'generated/alias-expansion-past-payload.yaml': (path) => {
    const anchors = Array.from({ length: 8 }, (_, i) => `    a${i}: &a${i} "${'x'.repeat(4000)}"`);
    const uses = Array.from({ length: 8 }, (_, i) => `    u${i}: [${Array(60).fill(`*a${i}`).join(', ')}]`);
    writeFileSync(path, `${validPlan()}tests:\n  health:\n   input:\n${[...anchors, ...uses].join('\n')}\n`);
  },
  'generated/alias-expansion-820k.yaml': (path) => {
    const anchors = Array.from({ length: 190 }, (_, i) => `    a${i}: &a${i} "${'x'.repeat(4000)}"`);
    const uses = Array.from({ length: 190 }, (_, i) => `    u${i}: [${Array(90).fill(`*a${i}`).join(', ')}]`);
    writeFileSync(path, `${validPlan()}tests:\n  health:\n   input:\n${[...anchors, ...uses].join('\n')}\n`);
  },
};

/** A valid plan with `regions` regions and `stages` stages. */
function sizedPlan(regions: number, stages: number): string {
  const lines = ['model: main.ml.fraud_detector', 'primary: r0', 'regions:'];
  for (let i = 0; i < regions; i++)
    lines.push(
      `  - { name: r${i}, workspace: { profile: r${i} }, endpoint: e${i ? ', shared_catalog: ml_shared' : ''} }`,
    );
  lines.push('stages:');
  for (let i = 0; i < stages; i++) lines.push(`  - { name: s${i}, traffic: ${Math.min(100, 5 * (i + 1))} }`);
  return `${lines.join('\n')}\n`;
}

function pathOf(name: string): string {
  const generator = GENERATORS[name];
  if (!generator) return join(CORPUS, name);
  const path = join(generated, name.replace('/', '-'));
  if (!existsSync(path)) generator(path);
  return path;
}

/** A TCP listener that counts connections: stands in for Temporal, so "nothing was started" can be checked. */
async function connectionRecorder(): Promise<{ address: string; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    count++;
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

const substitute = (text: string) =>
  text
    .replaceAll('{corpus}', CORPUS)
    .replaceAll('{key16}', randomBytes(16).toString('base64'))
    .replaceAll('{key32}', randomBytes(32).toString('base64'));

let temporal: Awaited<ReturnType<typeof connectionRecorder>>;
let databricks: FakeServer;
beforeAll(async () => {
  temporal = await connectionRecorder();
  databricks = await startFakeServer();
});
afterAll(async () => {
  await temporal.close();
  await databricks.close();
});

it('holds at least 30 cases, and every corpus file is in the manifest', () => {
  expect(manifest.cases.length).toBeGreaterThanOrEqual(30);
  const listed = new Set(manifest.cases.map((c) => c.case));
  const files = ['plans', 'worlds', 'cli', 'api'].flatMap((dir) =>
    readdirSync(join(CORPUS, dir)).map((file) => `${dir}/${file}`),
  );
  // cli/valid-plan.yaml is the valid plan the CLI cases use, not a case.
  expect(files.filter((file) => !listed.has(file) && file !== 'cli/valid-plan.yaml')).toEqual([]);
  for (const c of manifest.cases) expect(c.expect.length).toBeGreaterThan(0);
});

/** Runs the command line with connection settings that record any contact; returns its exit code and output. */
async function runCli(argv: string[], env: Record<string, string> = {}) {
  let stderr = '';
  let stdout = '';
  const home = mkdtempSync(join(tmpdir(), 'bad-input-home-'));
  const code = await main(argv.map(substitute), {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    env: {
      HOME: home,
      TEMPORAL_ADDRESS: temporal.address,
      DATABRICKS_HOST: databricks.url,
      DATABRICKS_TOKEN: 'dapi-bad-input-0000',
      ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(v)])),
    },
  });
  return { code, stdout, stderr };
}

/** The corpus folder a case belongs to (generated cases: a world when its name says so, else a plan). */
const kindOf = (name: string) =>
  name.split('/')[0] === 'generated' ? (name.includes('world') ? 'worlds' : 'plans') : name.split('/')[0];

/** The error text a case produces; throws if the input was accepted. */
async function errorOf(name: string, code = 2): Promise<string> {
  const path = pathOf(name);
  switch (kindOf(name)) {
    case 'plans':
      try {
        loadPlan(path);
      } catch (err) {
        if (err instanceof PlanError) return err.problems.join('\n');
        throw err;
      }
      throw new Error(`${name} was accepted as a plan`);
    case 'worlds':
      try {
        loadWorldFile(path);
      } catch (err) {
        if (err instanceof WorldError) return err.problems.join('\n');
        throw err;
      }
      throw new Error(`${name} was accepted as a world`);
    case 'cli': {
      const spec = JSON.parse(readFileSync(path, 'utf8')) as { argv: string[]; env?: Record<string, string> };
      const run = await runCli(spec.argv, spec.env);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code, stdout: '' });
      return run.stderr;
    }
    case 'api': {
      const spec = JSON.parse(readFileSync(path, 'utf8')) as {
        call: string;
        args: unknown[];
        status: number;
        body?: unknown;
        bodyText?: string;
      };
      databricks.handle((_req, res) => {
        res.writeHead(spec.status, { 'Content-Type': 'application/json' });
        res.end(spec.bodyText ?? JSON.stringify(spec.body));
      });
      const client = new DatabricksClient({ host: databricks.url, token: 'dapi-bad-input-0000', env: {} });
      const [area, method] = spec.call.split('.');
      const api = (client as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>>)[area];
      try {
        await api[method](...spec.args);
      } catch (err) {
        expect((err as Error).name).toBe('DatabricksResponseError');
        return (err as Error).message;
      }
      throw new Error(`${name}: the client accepted the answer`);
    }
    default:
      throw new Error(`unknown corpus folder in ${name}`);
  }
}

it.each(manifest.cases.map((c) => [c.case, c] as const))(
  '%s is refused naming the field',
  async (name, { expect: expected, absent = [], code }) => {
    const requestsBefore = databricks.requests.length;
    const message = await errorOf(name, code);
    for (const fragment of expected) expect(message).toContain(fragment);
    for (const fragment of absent) expect(message).not.toContain(fragment);
    if (kindOf(name) === 'plans') {
      // The same refusal from the command line: exit 2, every problem on stderr, nothing on stdout.
      const run = await runCli(['validate', pathOf(name)]);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      for (const fragment of expected) expect(run.stderr).toContain(fragment);
      for (const fragment of absent) expect(run.stderr).not.toContain(fragment);
    }
    if (name.startsWith('cli/')) {
      // Refused before anything was contacted: no connection to Temporal, no call to Databricks.
      expect(temporal.connections()).toBe(0);
      expect(databricks.requests.length).toBe(requestsBefore);
    }
  },
);
