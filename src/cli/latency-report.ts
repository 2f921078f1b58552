/**
 * `rollout latency-report`: what going multi-region does to clients' latency. Clients in each region query (a) the
 * single primary-region endpoint ("before") and (b) their nearest regional endpoint ("after"); the report gives p50
 * and p99 per client region, before and after, as a table, an SVG chart and JSON.
 *
 * With --world, an emulator of that world runs in this process and each client region is simulated through the
 * `x-emulator-client-region` header (the emulator adds the round trip between the regions). With --plan, the plan's
 * real workspaces are queried from this machine: run it from a host in each client region, naming it with --from.
 */
import { writeFileSync } from 'node:fs';
import { DatabricksClient, type DatabricksClientOptions } from '../databricks';
import { loadWorldFile, startEmulator, WorldError, type RunningEmulator } from '../emulator';
import { invocationSender } from '../load/databricks-target';
import { runLoad } from '../load/generator';
import { loadPlan, PlanError } from '../plan/load';
import { EXIT_OK, EXIT_USAGE, parseCommandArgs, UsageError, type Command, type Io } from './command';
import { barChart } from './svg-chart';
import { reportPlanError } from './validate';
import { commaList } from '../shared/lists';
import { textTable } from './table';

const HELP = `Usage: rollout latency-report (--world <world.yaml> | --plan <plan.yaml>) [options]

Measures what serving from every region does to clients' latency. Clients in each region query
(a) the single primary-region endpoint ("before") and (b) their nearest regional endpoint
("after"); prints p50 and p99 per client region, before and after, and can write an SVG chart and
JSON. Latency is measured on the client, from each request's scheduled send time.

  --world   start the emulator of this world here; every client region is simulated (the emulator
            adds the round trip between the client's region and the workspace's). "Nearest" is the
            region with the shortest simulated round trip.
  --plan    query the plan's real workspaces (profiles or hosts, credentials as for the worker)
            from this machine. A real measurement is run from a host in each client region, with
            --from naming it; "after" is that region's endpoint, or the fastest one measured when
            --from is not one of the plan's regions or is not given.

Options:
  --world <file>      an emulator world file
  --plan <file>       a rollout plan
  --from <a,b,...>    client regions (--world: default every region; --plan: a label for this host;
                      the name is also sent as x-emulator-client-region, which Databricks ignores)
  --endpoint <name>   the endpoint to query (default: the plan's, or the primary's first endpoint)
  --input <json>      the record sent in each request (default: the plan's tests.health.input, else {})
  --requests <n>      requests per client region and endpoint (default 100)
  --rps <n>           requests per second per client region and endpoint (default 20)
  --svg <file>        write the chart
  --json <file>       write the figures
  -h, --help          show this help

Exit 0, or 2 when the command line, the world or the plan is invalid.

Examples:
  rollout latency-report --world worlds/three-regions.yaml --input '{"amount": 120, "country": "US"}'
  rollout latency-report --world worlds/three-regions.yaml --requests 200 --svg latency.svg --json latency.json
  rollout latency-report --plan plans/fraud-detector.yaml --from eu-west-1 --json eu-west-1.json
`;

export interface LatencyFigures {
  /** Where the endpoint was. */
  endpointRegion: string;
  p50: number;
  p99: number;
  requests: number;
  /** Answers that were not 2xx (errors, timeouts, network failures). */
  errors: number;
}

export interface LatencyRow {
  client: string;
  before: LatencyFigures;
  after: LatencyFigures;
}

/** One endpoint a client can query. */
export interface LatencyTarget {
  region: string;
  client: DatabricksClient;
  endpoint: string;
}

export interface LatencyPlan {
  client: string;
  before: LatencyTarget;
  /** The nearest regional endpoint; several candidates: the fastest measured one is "after". */
  after: LatencyTarget[];
}

async function measure(
  target: LatencyTarget,
  input: Record<string, unknown>,
  requests: number,
  rps: number,
): Promise<LatencyFigures> {
  // A route-optimized endpoint is measured at its data-plane URL; a credentials problem fails here, not as errors.
  await target.client.serving.prepareInvocations(target.endpoint);
  const result = await runLoad({
    rps,
    durationMs: (requests * 1000) / rps,
    concurrency: 64,
    timeoutMs: 10_000,
    payloads: [{ dataframe_records: [input] }],
    send: invocationSender(target.client, target.endpoint),
  });
  const ok = result.overall.statusClasses['2xx'];
  return {
    endpointRegion: target.region,
    p50: result.overall.latencyMs.p50,
    p99: result.overall.latencyMs.p99,
    requests: result.completed,
    errors: result.completed - ok + result.dropped,
  };
}

/** Measures every client's before and after endpoints, all clients at once. */
export async function measureLatency(
  plans: LatencyPlan[],
  options: { input: Record<string, unknown>; requests: number; rps: number },
): Promise<LatencyRow[]> {
  return Promise.all(
    plans.map(async (plan) => {
      const [before, ...candidates] = await Promise.all([
        measure(plan.before, options.input, options.requests, options.rps),
        ...plan.after.map((t) => measure(t, options.input, options.requests, options.rps)),
      ]);
      const after = candidates.reduce((best, c) => (c.p50 < best.p50 ? c : best));
      return { client: plan.client, before, after };
    }),
  );
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The report as a text table: one line per client region. */
export function latencyTable(rows: LatencyRow[]): string {
  const header = ['client region', 'before: endpoint', 'p50', 'p99', 'after: endpoint', 'p50', 'p99', 'p50 change'];
  const lines = rows.map((r) => [
    r.client,
    r.before.endpointRegion,
    ms(r.before.p50),
    ms(r.before.p99),
    r.after.endpointRegion,
    ms(r.after.p50),
    ms(r.after.p99),
    `${(((r.after.p50 - r.before.p50) / r.before.p50) * 100).toFixed(0)}%`,
  ]);
  const errors = rows.flatMap((r) =>
    [r.before, r.after]
      .filter((f) => f.errors > 0)
      .map((f) => `${r.client} -> ${f.endpointRegion}: ${f.errors} of ${f.requests} requests failed`),
  );
  return [...textTable(header, lines, [2, 3, 5, 6, 7]), ...errors.map((e) => `note: ${e}`)].join('\n') + '\n';
}

export function latencyChart(rows: LatencyRow[], title = 'Client latency: primary-region endpoint vs nearest'): string {
  return barChart({
    title,
    unit: 'ms',
    series: [
      { name: 'before p50 (primary)', color: '#f4a582' },
      { name: 'before p99', color: '#ca0020' },
      { name: 'after p50 (nearest)', color: '#92c5de' },
      { name: 'after p99', color: '#0571b0' },
    ],
    groups: rows.map((r) => ({ label: r.client, values: [r.before.p50, r.before.p99, r.after.p50, r.after.p99] })),
  });
}

function positiveInteger(flag: string, value: string | undefined, fallback: number, example: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || !Number.isInteger(n))
    throw new UsageError(
      `rollout latency-report: --${flag} is a whole number above 0, got "${value}"; e.g. --${flag} ${example}`,
    );
  return n;
}

/** Clients and their endpoints on an emulator of a world: every client region simulated by the header. */
export function emulatorLatencyPlans(emu: RunningEmulator, endpoint: string, from: string[]): LatencyPlan[] {
  const world = emu.world;
  const serving = world.regions.filter((r) => r.endpoints.some((e) => e.name === endpoint)).map((r) => r.name);
  // A route-optimized endpoint takes OAuth tokens only: its region's client uses the world's OAuth M2M credentials.
  const oauth = (region: string) => {
    const spec = world.regions.find((r) => r.name === region)?.endpoints.find((e) => e.name === endpoint);
    const principal = world.principals.find(
      (p) => p.client_id && p.client_secret && (p.workspaces.includes('*') || p.workspaces.includes(region)),
    );
    return spec?.route_optimized && principal
      ? { clientId: principal.client_id, clientSecret: principal.client_secret }
      : { token: emu.token(region) };
  };
  const clientFor = (region: string, clientRegion: string, options: Partial<DatabricksClientOptions> = {}) =>
    new DatabricksClient({ host: emu.url(region), ...oauth(region), env: {}, clientRegion, ...options });
  return from.map((client) => {
    const nearest = [...serving].sort(
      (a, b) =>
        emu.emulator.network.baseRttMs(client, a) - emu.emulator.network.baseRttMs(client, b) ||
        Number(b === client) - Number(a === client),
    )[0];
    return {
      client,
      before: { region: world.primary, endpoint, client: clientFor(world.primary, client) },
      after: [{ region: nearest, endpoint, client: clientFor(nearest, client) }],
    };
  });
}

export const latencyReportCommand: Command = {
  name: 'latency-report',
  summary: 'client latency before (primary endpoint) and after (nearest regional endpoint)',
  help: HELP,
  async run(args, io: Io) {
    const { values, positionals } = parseCommandArgs('latency-report', args, {
      help: { type: 'boolean', short: 'h' },
      world: { type: 'string', example: 'worlds/three-regions.yaml' },
      plan: { type: 'string', example: 'examples/plans/three-regions.yaml' },
      from: { type: 'string', example: 'eu-west-1' },
      endpoint: { type: 'string', example: 'fraud-detector' },
      input: { type: 'string', example: `'{"amount": 120}'` },
      requests: { type: 'string', example: '100' },
      rps: { type: 'string', example: '20' },
      svg: { type: 'string', example: 'latency.svg' },
      json: { type: 'string', example: 'latency.json' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const v = values as Record<string, string | undefined>;
    if (positionals.length)
      throw new UsageError(`rollout latency-report: unexpected argument "${positionals[0]}"; give --world or --plan`);
    if (!v.world === !v.plan)
      throw new UsageError(
        'rollout latency-report: give exactly one of --world <world.yaml> (emulated) or --plan <plan.yaml> (real endpoints)',
      );
    const requests = positiveInteger('requests', v.requests, 100, '100');
    const rps = positiveInteger('rps', v.rps, 20, '20');
    let input: Record<string, unknown> | undefined;
    if (v.input !== undefined) {
      try {
        input = JSON.parse(v.input) as Record<string, unknown>;
      } catch {
        input = undefined;
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new UsageError(
          `rollout latency-report: --input is one JSON record (an object), got ${v.input}; e.g. --input '{"amount": 120}'`,
        );
    }
    const from = v.from === undefined ? undefined : commaList(v.from);
    if (v.from !== undefined && !from?.length)
      throw new UsageError('rollout latency-report: --from names one or more regions, e.g. --from eu-west-1,us-east-1');

    let rows: LatencyRow[];
    if (v.world) {
      let world;
      try {
        world = loadWorldFile(v.world);
      } catch (err) {
        if (err instanceof WorldError) {
          io.err(`${err.message}\n`);
          return EXIT_USAGE;
        }
        throw err;
      }
      const endpoint = v.endpoint ?? world.regions.find((r) => r.name === world.primary)?.endpoints[0]?.name;
      if (!endpoint)
        throw new UsageError(
          `rollout latency-report: the primary ${world.primary} serves no endpoint; give --endpoint`,
        );
      if (!world.regions.find((r) => r.name === world.primary)!.endpoints.some((e) => e.name === endpoint))
        throw new UsageError(
          `rollout latency-report: --endpoint ${endpoint} is not served in the primary ${world.primary}; give one it serves`,
        );
      const regions = world.regions.map((r) => r.name);
      const unknown = (from ?? []).filter((r) => !regions.includes(r));
      if (unknown.length)
        throw new UsageError(
          `rollout latency-report: --from ${unknown.join(',')} is not a region of the world; use ${regions.join(', ')}`,
        );
      const emu = await startEmulator({ ...world, regions: world.regions.map((r) => ({ ...r, port: 0 })) });
      try {
        rows = await measureLatency(emulatorLatencyPlans(emu, endpoint, from ?? regions), {
          input: input ?? {},
          requests,
          rps,
        });
      } finally {
        await emu.close();
      }
    } else {
      let loaded;
      try {
        loaded = loadPlan(v.plan!);
      } catch (err) {
        if (err instanceof PlanError) return reportPlanError(err, io);
        throw err;
      }
      const { plan } = loaded;
      const env = io.env ?? process.env;
      const clientRegion = from?.length === 1 ? from[0] : undefined;
      if (from && from.length > 1)
        throw new UsageError(
          'rollout latency-report: with --plan, --from names the one region this host is in; run it from each region',
        );
      const target = (name: string): LatencyTarget => {
        const region = plan.regions.find((r) => r.name === name)!;
        const client = region.workspace.profile
          ? DatabricksClient.forProfile(region.workspace.profile, { env, clientRegion })
          : new DatabricksClient({ host: region.workspace.host, env, clientRegion });
        return { region: name, client, endpoint: v.endpoint ?? region.endpoint };
      };
      const own = clientRegion && plan.regions.some((r) => r.name === clientRegion) ? [clientRegion] : undefined;
      rows = await measureLatency(
        [
          {
            client: clientRegion ?? 'this host',
            before: target(plan.primary),
            after: (own ?? plan.regions.map((r) => r.name)).map(target),
          },
        ],
        { input: input ?? plan.tests.health?.input ?? {}, requests, rps },
      );
    }
    io.out(latencyTable(rows));
    if (v.svg) {
      writeFileSync(v.svg, latencyChart(rows));
      io.out(`chart: ${v.svg}\n`);
    }
    if (v.json) {
      writeFileSync(v.json, JSON.stringify({ requests, rps, rows }, null, 2) + '\n');
      io.out(`figures: ${v.json}\n`);
    }
    return EXIT_OK;
  },
};
