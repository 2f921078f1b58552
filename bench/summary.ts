/** The Markdown summary of a benchmark run: the machine, every figure, and every target with met or not. */
import { DEFAULT_POLL } from '../src/activities/databricks';
import type { LatencyRow } from '../src/cli/latency-report';
import { pollingModel, quantile } from './figures';
import type { FanoutRow, OverheadFigures } from './fanout';
import { FANOUT_WORLD_TEXT } from './fanout-world';
import type { LoadRow } from './load';
import type { ScaleFigures } from './scale';
import type { JudgeFigures } from './judge';
import type { VerdictFigures } from './verdict';
import { renderWatch, type WatchFigures } from './watch';

export interface BenchResults {
  machine: {
    cores: number;
    cpu: string;
    memoryGiB: number;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd?: number[];
    date: string;
    command: string;
    minutes?: number;
  };
  quick: boolean;
  /** The bench worker's poll settings (fan-out, verdict and scale). */
  poll?: { initialMs: number; maxMs: number };
  fanout?: FanoutRow[];
  overhead?: OverheadFigures;
  verdict?: VerdictFigures;
  judge?: JudgeFigures;
  scale?: ScaleFigures;
  /** The scale run again with the worker under tsx (TypeScript loader), for comparison. */
  scaleUnderTsx?: ScaleFigures;
  /** The scale run again with the compiled worker on V8's default heap settings, for comparison. */
  scaleWithV8Defaults?: ScaleFigures;
  load?: LoadRow[];
  latency?: LatencyRow[];
  watch?: WatchFigures;
}

/** Per bad challenger, from the rollout runs: how many reached the canary, were failed by it, were rolled back. */
export function rolloutCases(verdict: VerdictFigures) {
  const cases: Record<
    string,
    {
      rollouts: number;
      reached: number;
      detected: number;
      rolledBack: number;
      medianToVerdict: number;
      p95ToVerdict: number;
      medianToRolledBack: number;
      p95ToRolledBack: number;
    }
  > = {};
  for (const name of [...new Set(verdict.rollouts.runs.map((r) => r.case))]) {
    const runs = verdict.rollouts.runs.filter((r) => r.case === name);
    const caught = runs.filter((r) => r.detected && r.secondsToVerdict !== undefined);
    const toVerdict = caught.map((r) => r.secondsToVerdict!);
    const toRolledBack = caught.flatMap((r) => (r.secondsToRolledBack === undefined ? [] : [r.secondsToRolledBack]));
    cases[name] = {
      rollouts: runs.length,
      reached: runs.filter((r) => r.secondsToVerdict !== undefined).length,
      detected: caught.length,
      rolledBack: runs.filter((r) => r.outcome === 'rolled-back').length,
      medianToVerdict: quantile(toVerdict, 0.5),
      p95ToVerdict: quantile(toVerdict, 0.95),
      medianToRolledBack: quantile(toRolledBack, 0.5),
      p95ToRolledBack: quantile(toRolledBack, 0.95),
    };
  }
  return cases;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const secs = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : '—');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/** Every target of the issue with its measured value; `met` undefined when the section did not run. */
export function targetChecks(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const fan = (regions: number, limit: number) => {
    const row = results.fanout?.find((r) => r.regions === regions);
    checks.push({
      target: `fan-out: wall time / critical-path bound at ${regions} regions <= ${limit.toFixed(2)}`,
      measured: row
        ? row.ratio.toFixed(3) + (row.stockServer ? ` (${row.stockServer.ratio.toFixed(3)} on a stock dev server)` : '')
        : 'not run',
      met: row ? row.ratio <= limit : undefined,
    });
  };
  fan(20, 1.05);
  fan(50, 1.1);
  if (results.verdict) {
    for (const [name, c] of Object.entries(rolloutCases(results.verdict)))
      checks.push({
        target: `median time to a verdict < 60 s (${name}, real rollouts)`,
        measured:
          `${secs(c.medianToVerdict)}; the canary failed ${c.detected} of the ${c.reached} that reached it` +
          (c.rollouts > c.reached ? ` (${c.rollouts - c.reached} rolled back earlier by the health check)` : ''),
        met: c.detected > 0 && c.medianToVerdict < 60,
      });
  } else
    checks.push({
      target: 'median time to a verdict < 60 s (real rollouts)',
      measured: 'not run',
      met: undefined,
    });
  if (results.judge) {
    const ours = results.judge.rows.filter((r) => r.judge === 'sequential (ours)');
    for (const rps of [...new Set(ours.map((r) => r.rps))]) {
      const at = ours.filter((r) => r.rps === rps);
      const equal = at.find((r) => r.expected === 'pass')!;
      const bad = at.filter((r) => r.expected === 'fail');
      checks.push({
        target: `live traffic at ${rps} rps, 10% new: an equal version passes in >= 95% of runs`,
        measured: `${equal.pass}/${equal.runs}, median ${equal.medianMinutes ?? '—'} metric minutes`,
        met: equal.pass >= 0.95 * equal.runs,
      });
      const worst = bad.reduce((a, b) => (b.fail / b.runs < a.fail / a.runs ? b : a));
      checks.push({
        target: `live traffic at ${rps} rps: each bad version fails in >= 95% of runs (${bad.length} cases)`,
        measured: `worst: ${worst.case} ${worst.fail}/${worst.runs}`,
        met: bad.every((r) => r.fail >= 0.95 * r.runs),
      });
    }
    const margin = results.judge.margins;
    const failed = margin.reduce((n, m) => n + m.failed, 0);
    const runs = margin.reduce((n, m) => n + m.runs, 0);
    checks.push({
      target: `realised false failures at the margin <= alpha (${results.judge.alpha})`,
      measured: `${failed}/${runs} = ${pct(failed / Math.max(1, runs))}`,
      met: failed / Math.max(1, runs) <= results.judge.alpha,
    });
  }
  if (results.scale) {
    const sc = results.scale;
    checks.push({
      target: `scale: all ${sc.rollouts} concurrent rollouts of ${sc.regionsPerRollout} regions complete`,
      measured: `${sc.succeeded}/${sc.rollouts} succeeded`,
      met: sc.succeeded === sc.rollouts,
    });
    checks.push({
      target: `scale: worker peak RSS < 300 MB (${sc.worker ?? 'tsx'} worker)`,
      measured: `${sc.peakRssMiB.toFixed(0)} MiB while running (lifetime peak ${sc.lifetimePeakRssMiB.toFixed(0)} MiB)`,
      met: sc.lifetimePeakRssMiB * 1.048576 < 300,
    });
  } else checks.push({ target: 'scale: all complete; worker peak RSS < 300 MB', measured: 'not run', met: undefined });
  return checks;
}

const busy = (m: BenchResults['machine']) =>
  Math.max(m.loadAverageAtStart[0] ?? 0, m.loadAverageAtEnd?.[0] ?? 0) > m.cores;

export function renderSummary(results: BenchResults, charts: string[]): string {
  const m = results.machine;
  const out: string[] = [
    '# Benchmark results',
    '',
    `${m.date.slice(0, 16).replace('T', ' ')} UTC · ${m.cores} cores (${m.cpu}) · ${m.memoryGiB} GiB · Node ${m.node} · ` +
      `load average ${m.loadAverageAtStart.join(' / ')} at the start, ${m.loadAverageAtEnd?.join(' / ') ?? '?'} at the end ` +
      // A one-minute load average above the core count means other work competed with the benchmark.
      `${busy(m) ? '(other jobs were running on the machine) ' : ''}· ${m.minutes ?? '?'} minutes · \`${m.command}\``,
    '',
    '## Targets',
    '',
    '| target | measured | met |',
    '| --- | --- | --- |',
    ...targetChecks(results).map(
      (c) => `| ${c.target} | ${c.measured} | ${c.met === undefined ? '—' : c.met ? 'yes' : '**no**'} |`,
    ),
    '',
  ];
  if (results.fanout?.length) {
    out.push(
      '## 1. Fan-out efficiency',
      '',
      `Emulated times: ${FANOUT_WORLD_TEXT}. Bound: the slowest region's inherent time (its replica wait from the ` +
        'rollout start, its updates and bake). Overhead: wall time minus bound. Baseline: the same plan as one wave ' +
        'with parallelism 1 (one region after another, the same activities), after one unmeasured warm-up rollout. ' +
        (results.poll ? `Worker polls: ${results.poll.initialMs} ms doubling to ${results.poll.maxMs} ms. ` : '') +
        `The dev server's one history shard reads its transfer queue up to 1000 times a second ` +
        '(a cluster spreads the workflows over many shards); the last column is the same rollout on a stock dev ' +
        'server (20 reads a second).',
      '',
      '| regions | all at once | bound | overhead (pre-flight) | ratio | one after another | speed-up | ratio, stock dev server |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.fanout.map(
        (r) =>
          `| ${r.regions} | ${s(r.parallelWallMs)} | ${s(r.boundMs)} | ${s(r.parallelWallMs - r.boundMs)} (${s(r.preflightMs)}) | ${r.ratio.toFixed(3)} | ${r.sequentialWallMs ? s(r.sequentialWallMs) : '—'} | ${r.speedup ? `${r.speedup.toFixed(1)}x` : '—'} | ${r.stockServer ? r.stockServer.ratio.toFixed(3) : '—'} |`,
      ),
      '',
    );
    if (charts.includes('fanout.svg')) out.push('![fan-out wall times](fanout.svg)', '');
    if (charts.includes('fanout-ratio.svg')) out.push('![fan-out efficiency](fanout-ratio.svg)', '');
  }
  if (results.verdict) {
    const v = results.verdict;
    out.push(
      '## 2. Time to a verdict',
      '',
      'Real rollouts judged on probes (Temporal workflow, one region, canary stage at 10% with a 3 s window, 1 s config updates), from the canary start to the verdict and to the rollback finished:',
      '',
      '| challenger | rollouts | rolled back | canary failed it / reached the canary | verdict median / p95 | rolled back median / p95 |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...Object.entries(rolloutCases(v)).map(
        ([name, c]) =>
          `| ${name} | ${c.rollouts} | ${c.rolledBack} | ${c.detected}/${c.reached} | ${secs(c.medianToVerdict)} / ${secs(c.p95ToVerdict)} | ${secs(c.medianToRolledBack)} / ${secs(c.p95ToRolledBack)} |`,
      ),
      '',
      'Times are from the canary start (the region entering `judging`) and count the runs the canary failed. A run the ' +
        'health check stopped first never reached the canary. The judge measures latency on the client (the worker), ' +
        'so a busy machine blurs the tail it compares.',
      '',
    );
    if (charts.includes('verdict.svg')) out.push('![verdict](verdict.svg)', '');
  }
  if (results.judge) out.push(...judgeSection(results.judge));
  if (results.overhead) {
    const o = results.overhead;
    const benchModel = pollingModel(o.polling.settings, 1000);
    const defaultModel = pollingModel(DEFAULT_POLL, 5 * 60_000);
    out.push(
      '## 3. Overhead',
      '',
      `${o.regions}-region rollout, one stage. Poll settings: first wait ${o.polling.settings.initialMs} ms, doubling to ${o.polling.settings.maxMs} ms.`,
      '',
      '| figure | value |',
      '| --- | ---: |',
      `| history events per region workflow | ${o.history.perRegion.events.toFixed(0)} |`,
      `| history bytes per region workflow | ${(o.history.perRegion.bytes / 1024).toFixed(1)} KiB |`,
      `| parent history per region (events / bytes) | ${o.history.parentPerRegion.events.toFixed(1)} / ${(o.history.parentPerRegion.bytes / 1024).toFixed(1)} KiB |`,
      `| Temporal commands per region workflow / workflow tasks | ${o.history.perRegion.commands.toFixed(1)} / ${o.history.perRegion.workflowTasks.toFixed(1)} |`,
      `| per extra stage: commands / events / bytes | ${o.perStage.commands.toFixed(1)} / ${o.perStage.events.toFixed(1)} / ${(o.perStage.bytes / 1024).toFixed(1)} KiB |`,
      `| Databricks API calls per region rollout | ${o.databricksCallsPerRegion.mean.toFixed(1)} (${Object.entries(
        o.databricksCallsPerRegion.byKind,
      )
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}) |`,
      `| config update noticed after (median / p95), calls per update | ${o.polling.configUpdate.medianLagMs} / ${o.polling.configUpdate.p95LagMs} ms, ${o.polling.configUpdate.meanCalls.toFixed(1)} |`,
      `| replica noticed after (median / p95), calls per wait | ${o.polling.replication.medianLagMs} / ${o.polling.replication.p95LagMs} ms, ${o.polling.replication.meanCalls.toFixed(1)} |`,
      '',
      `The schedule predicts ${benchModel.lagMs} ms and ${benchModel.calls} calls for a 1 s update at these settings ` +
        "(the measured lag adds the request and the worker's processing). With the worker's default settings " +
        `(first wait ${DEFAULT_POLL.initialMs / 1000} s, doubling to ${DEFAULT_POLL.maxMs / 1000} s), a 5-minute wait ` +
        `(a real container build or replication) is noticed ${defaultModel.lagMs / 1000} s late after ${defaultModel.calls} calls ` +
        '(computed from the schedule, `pollingModel` in bench/figures.ts).',
      '',
    );
  }
  if (results.scale) {
    const sc = results.scale;
    const tsx = results.scaleUnderTsx;
    const defaults = results.scaleWithV8Defaults;
    out.push(
      '## 4. Scale',
      '',
      `${sc.rollouts} concurrent rollouts of ${sc.regionsPerRollout} regions on one worker process (${sc.worker ?? 'tsx'}` +
        `${sc.nodeCommand ? `, \`${sc.nodeCommand}\`` : ''}): ${sc.succeeded} succeeded ` +
        `(${Object.entries(sc.outcomes)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}) in ${sc.wallSeconds.toFixed(1)} s. ` +
        `Worker RSS: ${sc.idleRssMiB.toFixed(0)} MiB idle, ${sc.peakRssMiB.toFixed(0)} MiB peak while running, ` +
        `${sc.lifetimePeakRssMiB.toFixed(0)} MiB lifetime peak (VmHWM). CPU: ${sc.cpuSeconds.toFixed(1)} s, ${sc.cpuCores.toFixed(2)} cores on average.` +
        (tsx
          ? ` The same worker run as TypeScript under tsx: ${tsx.succeeded}/${tsx.rollouts} succeeded, ${tsx.idleRssMiB.toFixed(0)} MiB idle, ` +
            `${tsx.lifetimePeakRssMiB.toFixed(0)} MiB peak, ${tsx.cpuCores.toFixed(2)} cores.`
          : '') +
        (defaults
          ? ` The compiled worker on Node's and glibc's default memory settings (plain \`node\`): ${defaults.succeeded}/${defaults.rollouts} succeeded, ` +
            `${defaults.idleRssMiB.toFixed(0)} MiB idle, ${defaults.lifetimePeakRssMiB.toFixed(0)} MiB peak, ${defaults.cpuCores.toFixed(2)} cores.`
          : ''),
      '',
    );
  }
  if (results.load?.length) {
    out.push(
      '## 5. Load generator',
      '',
      "Against a version whose latency is lognormal (median 100 ms, p99 200 ms); the round trip's overhead (measured on a constant 100 ms version) is subtracted.",
      '',
      '| target rate | achieved | dropped | p50 error | p90 error | p99 error |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.load.map(
        (r) =>
          `| ${r.targetRps}/s | ${r.achievedRps.toFixed(1)}/s (${pct(r.rateError, 2)}) | ${r.dropped} | ${pct(r.percentiles.p50.error)} | ${pct(r.percentiles.p90.error)} | ${pct(r.percentiles.p99.error)} |`,
      ),
      '',
    );
    if (charts.includes('load.svg')) out.push('![load generator](load.svg)', '');
  }
  if (results.latency?.length) {
    out.push(
      '## Before/after latency (`rollout latency-report`, emulated network)',
      '',
      '| client region | before: p50 / p99 (us-east-1) | after: p50 / p99 (nearest) |',
      '| --- | ---: | ---: |',
      ...results.latency.map(
        (r) =>
          `| ${r.client} | ${r.before.p50.toFixed(0)} / ${r.before.p99.toFixed(0)} ms | ${r.after.p50.toFixed(0)} / ${r.after.p99.toFixed(0)} ms (${r.after.endpointRegion}) |`,
      ),
      '',
    );
    if (charts.includes('latency.svg')) out.push('![latency](latency.svg)', '');
  }
  if (results.watch?.rows.length) out.push(...renderWatch(results.watch));
  return out.join('\n');
}

const minutes = (m: number | null) => (m === null ? '—' : m >= 120 ? `${(m / 60).toFixed(1)} h` : `${m} min`);
const ratio = (a: number | null, b: number | null) =>
  a !== null && b !== null && b > 0 ? `${(a / b).toFixed(2)}` : '—';

/** Our judge beside the baselines on the same simulated live traffic, and the realised α at the margin. */
function judgeSection(j: JudgeFigures): string[] {
  const rates = [...new Set(j.rows.map((r) => r.rps))];
  const judges = [...new Set(j.rows.map((r) => r.judge))];
  const ours = judges[0];
  const out = [
    '## 2b. The judge on live traffic, beside Kayenta-style and Flagger/Argo-style judges',
    '',
    `Simulated live users (the emulator's live-traffic model, \`bench/live-cases.ts\`), 10% to the new version, ${j.seeds} seeds per case, ` +
      `the same minutes for every judge; runs stop undecided after ${minutes(j.capMinutes)} of metric time (\`bench/judge.ts\`). ` +
      'Times are metric minutes to the verdict (median / p90), over the runs that decided.',
    '',
    '| rps | case | judge | pass / fail / undecided | false failures or misses | minutes to verdict (median / p90) | time ratio vs ours |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const rps of rates)
    for (const row of j.rows.filter((r) => r.rps === rps)) {
      const mine = j.rows.find((r) => r.rps === rps && r.case === row.case && r.judge === ours)!;
      const wrong = row.expected === 'pass' ? row.falseFailureRate : row.missRate;
      out.push(
        `| ${rps} | ${row.case} | ${row.judge} | ${row.pass} / ${row.fail} / ${row.undecided} | ` +
          `${row.expected === 'pass' ? 'false failures' : 'misses'} ${pct(wrong ?? 0)} | ` +
          `${minutes(row.medianMinutes)} / ${minutes(row.p90Minutes)} | ${row.judge === ours ? '1' : ratio(row.medianMinutes, mine.medianMinutes)} |`,
      );
    }
  out.push(
    '',
    `Realised false-failure rate of our judge for a version exactly at every floor (5xx ×2 and +0.5 points, latency +10%), nominal α = ${j.alpha}:`,
    '',
    '| rps | failed / runs | rate |',
    '| ---: | ---: | ---: |',
    ...j.margins.map((m) => `| ${m.rps} | ${m.failed} / ${m.runs} | ${pct(m.rate)} |`),
    '',
  );
  return out;
}
