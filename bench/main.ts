/**
 * `npm run bench`: the benchmarks of issue 7 on a Temporal dev server and the Databricks emulator, side by side in
 * one run (figures are ratios: absolute times drift on shared machines). Writes bench/results/*.json, summary.md
 * and SVG charts; `--publish` also copies the summary and charts to docs/bench/ (tracked, shown in the README).
 *
 *   npm run bench                          # everything (about 10-15 minutes on 2 cores)
 *   npm run bench -- --quick               # fewer sizes and seeds (a few minutes)
 *   npm run bench -- --only fanout,load    # some sections: fanout, overhead, verdict, judge, scale, load, latency, watch
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../src/emulator';
import { generateWorld } from '../src/emulator/generate-world';
import { emulatorLatencyPlans, latencyChart, measureLatency, type LatencyRow } from '../src/cli/latency-report';
import { barChart } from '../src/cli/svg-chart';
import { runFanoutAndOverhead, type FanoutRow, type OverheadFigures } from './fanout';
import { BENCH_POLL } from './fanout-world';
import { compileWorker, startTemporal, writeWorkflowBundle } from './harness';
import { runLoadAccuracy, type LoadRow } from './load';
import { runScale, type ScaleFigures } from './scale';
import type { WORKER_RUNTIME } from '../src/worker-runtime';
import { renderSummary, type BenchResults } from './summary';
import { runJudgeSection } from './judge';
import { runVerdict, type VerdictFigures } from './verdict';
import { runWatchBench } from './watch';

const ROOT = resolve(__dirname, '..');
export const SECTIONS = ['fanout', 'overhead', 'verdict', 'judge', 'scale', 'load', 'latency', 'watch'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--out DIR] [--publish]

  --quick     fewer region counts and seeds (fan-out 1, 5, 20; baseline at 1 and 5; 5 seeds)
  --only      run only these sections (comma-separated)
  --out       where results go (default bench/results)
  --publish   also copy summary.md, the charts and results.json to docs/bench/ (what the README shows)
  --render F  run nothing: write the summary and charts again from a results.json (e.g. after changing them)`;

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string', default: join(ROOT, 'bench/results') },
        publish: { type: 'boolean', default: false },
        render: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s)) ?? [];
  if (unknown.length) {
    console.error(`--only: unknown section ${unknown.join(', ')}; sections are ${SECTIONS.join(', ')}\n${USAGE}`);
    process.exit(2);
  }
  return {
    render: values.render,
    quick: values.quick,
    sections: new Set((only ?? SECTIONS) as Section[]),
    out: values.out,
    publish: values.publish,
  };
}

function benchFlags(opts: { quick: boolean; sections: Set<Section> }): string[] {
  const flags = [
    ...(opts.quick ? ['--quick'] : []),
    ...(opts.sections.size < SECTIONS.length ? ['--only', [...opts.sections].join(',')] : []),
  ];
  return flags.length ? ['--', ...flags] : [];
}

async function latencySection(): Promise<LatencyRow[]> {
  // Eight regions on four continents; clients everywhere query us-east-1 (before) and their own region (after).
  const world = generateWorld({ regions: 8, seed: 9 });
  const emu = await startEmulator(world);
  try {
    return await measureLatency(emulatorLatencyPlans(emu, 'fraud-detector', emu.regions), {
      input: { amount: 120 },
      requests: 200,
      rps: 20,
    });
  } finally {
    await emu.close();
  }
}

/** The target sizes' parallel rollouts again on a stock dev server (see CLUSTER_LIKE_DEV_SERVER_ARGS). */
async function addStockServerFanout(
  rows: FanoutRow[],
  bundlePath: string,
  workerEntry: string,
  log: (line: string) => void,
) {
  const stock = await startTemporal({ stock: true });
  try {
    const { fanout } = await runFanoutAndOverhead({
      client: stock.client,
      address: stock.address,
      bundlePath,
      workerEntry,
      sizes: rows.map((r) => r.regions).filter((n) => n >= 20),
      sequentialSizes: [],
      fanout: true,
      overhead: false,
      log: (line) => log(`stock dev server: ${line}`),
    });
    for (const measured of fanout) {
      const row = rows.find((r) => r.regions === measured.regions)!;
      row.stockServer = { wallMs: measured.parallelWallMs, boundMs: measured.boundMs, ratio: measured.ratio };
    }
  } finally {
    await stock.teardown();
  }
}

/** Writes the summary and charts of `results` to `out` (and to docs/bench/ with --publish). */
function report(results: BenchResults, out: string, publish: boolean) {
  const charts = writeCharts(out, results);
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  for (const key of ['fanout', 'overhead', 'verdict', 'judge', 'scale', 'load', 'latency', 'watch'] as const)
    if (results[key] !== undefined)
      writeFileSync(join(out, `${key}.json`), JSON.stringify(results[key], null, 2) + '\n');
  const summary = renderSummary(results, charts);
  writeFileSync(join(out, 'summary.md'), summary);
  console.log(`\n${summary}\nresults: ${out}`);
  if (publish) {
    const docs = join(ROOT, 'docs/bench');
    mkdirSync(docs, { recursive: true });
    for (const file of ['summary.md', 'results.json', ...charts]) copyFileSync(join(out, file), join(docs, file));
    console.log(`published to ${docs}`);
  }
}

async function main() {
  const opts = options();
  mkdirSync(opts.out, { recursive: true });
  if (opts.render) {
    report(JSON.parse(readFileSync(opts.render, 'utf8')) as BenchResults, opts.out, opts.publish);
    return;
  }
  const started = new Date();
  const log = (line: string) => console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(0)}s] ${line}`);
  const results: BenchResults = {
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
      date: started.toISOString(),
      command: ['npm run bench', ...benchFlags(opts)].join(' '),
    },
    quick: opts.quick,
    poll: BENCH_POLL,
  };
  // Written after each section, so that a failure later keeps what was measured.
  const checkpoint = () => writeFileSync(join(opts.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const needsTemporal = ['fanout', 'overhead', 'verdict', 'scale', 'watch'].some((s) =>
    opts.sections.has(s as Section),
  );
  const env = needsTemporal ? await startTemporal() : undefined;
  const bundlePath = needsTemporal ? await writeWorkflowBundle() : '';
  // The worker runs as production runs it: compiled to JavaScript, under plain node.
  const workerEntry = needsTemporal ? await compileWorker() : undefined;
  try {
    if (env && (opts.sections.has('fanout') || opts.sections.has('overhead'))) {
      const sizes = opts.quick ? [1, 5, 20] : [1, 5, 20, 50];
      const { fanout, overhead } = await runFanoutAndOverhead({
        client: env.client,
        address: env.address,
        bundlePath,
        workerEntry,
        sizes,
        sequentialSizes: opts.quick ? [1, 5] : sizes,
        fanout: opts.sections.has('fanout'),
        overhead: opts.sections.has('overhead'),
        log,
      });
      if (opts.sections.has('fanout')) results.fanout = fanout;
      results.overhead = overhead;
      checkpoint();
    }
    if (env && opts.sections.has('fanout')) await addStockServerFanout(results.fanout!, bundlePath, workerEntry!, log);
    if (env && opts.sections.has('verdict'))
      results.verdict = await runVerdict({
        client: env.client,
        address: env.address,
        bundlePath,
        workerEntry,
        rolloutsPerCase: opts.quick ? 3 : 8,
        log,
      });
    checkpoint();
    if (env && opts.sections.has('watch')) {
      results.watch = await runWatchBench({
        client: env.client,
        address: env.address,
        bundlePath,
        workerEntry,
        pollIntervalsMs: opts.quick ? [1000, 5000] : [1000, 5000, 30_000],
        versionsPerInterval: opts.quick ? 3 : 5,
        idleWindowMs: opts.quick ? 30_000 : 120_000,
        log,
      });
      checkpoint();
    }
    if (env && opts.sections.has('scale')) {
      const scale = (worker: { workerEntry?: string; runtime?: typeof WORKER_RUNTIME }) =>
        runScale({ client: env.client, address: env.address, bundlePath, rollouts: 20, regions: 5, log, ...worker });
      results.scale = await scale({ workerEntry });
      // The same under the TypeScript loader, to show what it adds to the worker's memory.
      results.scaleUnderTsx = await scale({});
      // And compiled on Node's and glibc's defaults (no V8 flags, no MALLOC_ARENA_MAX), to show what they save.
      results.scaleWithV8Defaults = await scale({ workerEntry, runtime: { v8Flags: [], env: {} } });
    }
  } finally {
    await env?.teardown();
  }
  if (opts.sections.has('judge')) {
    const seeds = opts.quick ? 20 : 100;
    results.judge = runJudgeSection({ seeds, marginSeeds: seeds, log });
    checkpoint();
  }
  if (opts.sections.has('load'))
    results.load = await runLoadAccuracy({ rates: [100, 500], durationMs: opts.quick ? 3000 : 6000, log });
  if (opts.sections.has('latency')) {
    results.latency = await latencySection();
    log(`latency report: ${results.latency.length} client regions measured`);
  }
  results.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  results.machine.minutes = Math.round(((Date.now() - started.getTime()) / 60_000) * 10) / 10;

  report(results, opts.out, opts.publish);
}

function writeCharts(out: string, results: BenchResults): string[] {
  const charts: string[] = [];
  const write = (name: string, svg: string) => {
    writeFileSync(join(out, name), svg);
    charts.push(name);
  };
  if (results.fanout?.length)
    write(
      'fanout.svg',
      barChart({
        title: 'Rollout wall time: all regions at once vs one after another',
        unit: 's',
        digits: 1,
        series: [
          { name: 'critical-path bound', color: '#bababa' },
          { name: 'all at once', color: '#0571b0' },
          { name: 'one after another', color: '#ca0020' },
        ],
        groups: results.fanout.map((r: FanoutRow) => ({
          label: `${r.regions} regions`,
          values: [r.boundMs / 1000, r.parallelWallMs / 1000, r.sequentialWallMs && r.sequentialWallMs / 1000],
        })),
      }),
    );
  if (results.fanout?.length)
    write(
      'fanout-ratio.svg',
      barChart({
        title: 'Fan-out efficiency: wall time / critical-path bound',
        unit: 'ratio',
        digits: 3,
        series: [
          { name: 'all regions at once', color: '#0571b0' },
          { name: 'on a stock dev server', color: '#92c5de' },
        ],
        groups: results.fanout.map((r: FanoutRow) => ({
          label: `${r.regions} regions`,
          values: [r.ratio, r.stockServer?.ratio],
        })),
        reference: { value: 1.05, label: 'target: 1.05 at 20 regions (1.10 at 50)' },
      }),
    );
  if (results.verdict) {
    const v: VerdictFigures = results.verdict;
    write(
      'verdict.svg',
      barChart({
        title: 'Time from canary start to verdict and to rollback complete',
        unit: 's',
        digits: 1,
        series: [
          { name: 'verdict, median', color: '#92c5de' },
          { name: 'verdict, p95', color: '#0571b0' },
          { name: 'rolled back, median', color: '#f4a582' },
          { name: 'rolled back, p95', color: '#ca0020' },
        ],
        groups: Object.entries(v.rollouts.byCase).map(([name, c]) => ({
          label: name,
          values: [c.medianToVerdict, c.p95ToVerdict, c.medianToRolledBack, c.p95ToRolledBack],
        })),
      }),
    );
  }
  if (results.load?.length)
    write(
      'load.svg',
      barChart({
        title: 'Load generator: percentile error vs the configured distribution',
        unit: '% error',
        digits: 1,
        series: [
          { name: 'p50', color: '#92c5de' },
          { name: 'p90', color: '#4393c3' },
          { name: 'p99', color: '#053061' },
        ],
        groups: results.load.map((r: LoadRow) => ({
          label: `${r.targetRps} rps`,
          values: (['p50', 'p90', 'p99'] as const).map((p) => Math.abs(r.percentiles[p].error) * 100),
        })),
      }),
    );
  if (results.latency?.length) write('latency.svg', latencyChart(results.latency));
  return charts;
}

export type { FanoutRow, OverheadFigures, ScaleFigures, LoadRow, LatencyRow, VerdictFigures };

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
