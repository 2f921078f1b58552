/**
 * `rollout latency-report` against the emulator of the three-region world: clients in every region, simulated by
 * the x-emulator-client-region header, query the primary's endpoint and their own region's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { LatencyRow } from '../../src/cli/latency-report';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadWorldFile, startEmulator } from '../../src/emulator';

async function rollout(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: tmpdir(), ...env } });
  return { code, out, err };
}

const WORLD = 'worlds/three-regions.yaml';
const INPUT = '{"amount": 120, "country": "US"}';

it('measures before (primary) and after (nearest) per client region: far clients gain, with a chart and JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latency-'));
  const run = await rollout([
    'latency-report',
    '--world',
    WORLD,
    '--input',
    INPUT,
    '--requests',
    '30',
    '--rps',
    '30',
    '--svg',
    join(dir, 'latency.svg'),
    '--json',
    join(dir, 'latency.json'),
  ]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/^client region\s+before: endpoint/);
  const { rows } = JSON.parse(readFileSync(join(dir, 'latency.json'), 'utf8')) as { rows: LatencyRow[] };
  expect(rows.map((r) => [r.client, r.before.endpointRegion, r.after.endpointRegion])).toEqual([
    ['us-east-1', 'us-east-1', 'us-east-1'],
    ['eu-west-1', 'us-east-1', 'eu-west-1'],
    ['ap-southeast-1', 'us-east-1', 'ap-southeast-1'],
  ]);
  for (const row of rows) expect(row.before.requests + row.after.requests).toBe(60);
  // ap-southeast-1 to us-east-1 is a 200 ms simulated round trip; to its own region 50 ms.
  const far = rows.find((r) => r.client === 'ap-southeast-1')!;
  expect(far.after.p50).toBeLessThan(far.before.p50);
  const svg = readFileSync(join(dir, 'latency.svg'), 'utf8');
  expect(svg).toContain('<svg');
  expect(svg).toContain('ap-southeast-1');
});

it("measures a route-optimized endpoint at its data-plane URL, with the world's OAuth client credentials", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latency-ro-'));
  const world = parseYaml(readFileSync(WORLD, 'utf8'));
  for (const region of world.regions) for (const endpoint of region.endpoints ?? []) endpoint.route_optimized = true;
  writeFileSync(join(dir, 'world.yaml'), stringifyYaml(world));
  const run = await rollout([
    'latency-report',
    '--world',
    join(dir, 'world.yaml'),
    '--from',
    'eu-west-1',
    '--input',
    INPUT,
    '--requests',
    '10',
    '--rps',
    '40',
    '--json',
    join(dir, 'latency.json'),
  ]);
  expect([run.code, run.err]).toEqual([0, '']);
  const { rows } = JSON.parse(readFileSync(join(dir, 'latency.json'), 'utf8')) as { rows: LatencyRow[] };
  // At the workspace URL every request would be refused (400): none is.
  for (const row of rows) expect([row.before.errors, row.after.errors]).toEqual([0, 0]);
});

it('with --plan, queries the workspaces of the plan from this host, labelled (and, on an emulator, simulated) by --from', async () => {
  const emu = await startEmulator(loadWorldFile(WORLD));
  try {
    const dir = mkdtempSync(join(tmpdir(), 'latency-plan-'));
    const config = join(dir, 'databrickscfg');
    writeFileSync(config, emu.databricksConfig());
    const run = await rollout(
      [
        'latency-report',
        '--plan',
        'examples/plans/three-regions.yaml',
        '--from',
        'ap-southeast-1',
        '--requests',
        '20',
        '--rps',
        '40',
        '--json',
        join(dir, 'latency.json'),
      ],
      { DATABRICKS_CONFIG_FILE: config },
    );
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const { rows } = JSON.parse(readFileSync(join(dir, 'latency.json'), 'utf8')) as { rows: LatencyRow[] };
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect([row.client, row.before.endpointRegion, row.after.endpointRegion]).toEqual([
      'ap-southeast-1',
      'us-east-1',
      'ap-southeast-1',
    ]);
    // The plan's health input is a valid record for the model: every request is answered.
    expect(row.before.requests).toBe(20);
    expect(row.after.p50).toBeLessThan(row.before.p50);
  } finally {
    await emu.close();
  }
});

it.each([
  [[], 'give exactly one of --world'],
  [['--plan', 'examples/plans/three-regions.yaml', '--from', 'a-1,b-1'], 'with --plan, --from names the one region'],
  [['--world', WORLD, '--plan', 'examples/plans/three-regions.yaml'], 'give exactly one of --world'],
  [['--world', WORLD, '--requests', '0'], '--requests is a whole number above 0, got "0"'],
  [['--world', WORLD, '--rps', 'fast'], '--rps is a whole number above 0, got "fast"'],
  [['--world', WORLD, '--from', 'mars-1'], '--from mars-1 is not a region of the world; use us-east-1, eu-west-1'],
  [['--world', WORLD, '--input', '[1]'], '--input is one JSON record (an object)'],
  [['--world', WORLD, '--endpoint', 'nope'], '--endpoint nope is not served in the primary us-east-1'],
  [['--world', WORLD, '--svg'], '--svg needs a value'],
])('refuses %j with a message naming the flag', async (args, message) => {
  const run = await rollout(['latency-report', ...args]);
  expect(run.code).toBe(2);
  expect(run.err).toContain(message);
  expect(run.err).toContain('See: rollout latency-report --help');
});

it('reports an invalid world by path, exit 2', async () => {
  const run = await rollout(['latency-report', '--world', 'examples/plans/three-regions.yaml']);
  expect(run.code).toBe(2);
  expect(run.err).toContain('invalid world');
});

it('has --help with examples', async () => {
  const run = await rollout(['latency-report', '--help']);
  expect(run.code).toBe(0);
  expect(run.out).toContain('Examples:');
  expect(run.out).toContain('--from');
});
