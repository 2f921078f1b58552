/**
 * The canary judge: the new version (challenger) against the current one (champion), judged batch by batch
 * (metric minutes of live traffic, probe rounds, paired-replay rounds; see batch.ts) with two boundaries at every
 * look, valid however often it looks.
 *
 * Method: e-processes (see e-process.ts), one pair per metric and source.
 * - Each metric states what "harm" means as a margin: errors worse by at least ×`relative` AND +`absolute` points
 *   (e.g. ×2 and +0.5 points); a latency quantile slower by at least `latencyFloor` (e.g. 10%).
 * - A harm process tests the null "no harm beyond the margin" (the floor as a shifted null): when it crosses 1/α_u the
 *   canary FAILS. A safety process tests the null "harm at least the margin": when every deciding metric's crosses
 *   1/β_u the canary PASSES (non-inferiority). There is no fixed sample size to reach.
 * - Errors (4xx and 5xx apart, 429 apart; see batch.ts): an exact conditional test on the error counts given the
 *   known traffic split. With routing at random, the challenger taking share w, a request that errs came from the
 *   challenger with probability π = w·p_ch / (w·p_ch + (1−w)·p_cp), whatever the total traffic; "p_ch ≤ ρ·p_cp" is
 *   exactly "π ≤ wρ / (wρ + 1 − w)", so the challenger's share of the errors is a binomial with a known null bound
 *   (the relative floor). The absolute floor ("p_ch − p_cp ≤ a") is a mean: each request scores 1/w if it is a
 *   challenger error, −1/(1−w) if a champion error, 0 otherwise, whose mean is p_ch − p_cp; a betting process tests
 *   it. Harm needs both floors exceeded (an intersection-union test: each at α_u gives α_u); safety needs either
 *   established (each at β_u/2).
 * - Latency quantiles: per batch, is the challenger's q-quantile above (1 + floor) × the champion's? Under the
 *   boundary of the shifted null its probability is exactly `quantileExceedanceNull(m, n, q)` (order statistics),
 *   known per batch from the two counts; a binomial process with that per-batch null bound tests it both ways.
 * - A sample-ratio mismatch on live traffic (the challenger's share of requests is not its configured weight) is a
 *   finding that fails the canary: the traffic split the error test relies on does not hold, or the version is not
 *   served as configured. It has its own slice of α.
 * - One joint error budget: a version at the margin of harm on every metric is failed with probability ≤ α over all
 *   metrics, sources and looks (Bonferroni across them; Ville across looks), and a version harmed at the margin on
 *   any one metric passes with probability ≤ β.
 *
 * Pure and deterministic: no I/O, no Node builtins, no clocks.
 */
import { quantileKey, type Batch, type EvidenceSource, type VersionAggregate } from './batch';
import {
  BET_FRACTIONS,
  bettingMean,
  binomialTilt,
  crossed,
  isEProcessState,
  log10Value,
  newEProcess,
  TILT_GRID,
  type EProcessState,
} from './e-process';
import { quantileExceedanceNull } from './order-statistics';

export interface SequentialJudgeConfig {
  /** Joint probability of failing a version exactly at the margin of harm (default 0.05). */
  alpha: number;
  /** Joint probability of passing a version harmed at the margin on some metric (default 0.05). */
  beta: number;
  /** Errors are harmful only when worse by at least ×relative AND +absolute (a rate, 0.005 = 0.5 points). */
  errorFloor: { relative: number; absolute: number };
  /** A latency quantile is harmful only when slower by at least this fraction (0.1 = 10%). */
  latencyFloor: number;
  /** Latency quantiles judged (0.5, 0.99, ...). */
  quantiles: number[];
  /** Sources whose batches decide. Batches of other sources are ignored. */
  sources: EvidenceSource[];
}

export const DEFAULT_SEQUENTIAL_JUDGE: SequentialJudgeConfig = {
  alpha: 0.05,
  beta: 0.05,
  errorFloor: { relative: 2, absolute: 0.005 },
  latencyFloor: 0.1,
  quantiles: [0.5, 0.99],
  sources: ['live'],
};

/** The share of α kept for the sample-ratio check when live traffic decides. */
const SRM_SHARE = 0.1;

export type MetricName = 'errors-5xx' | 'errors-4xx' | `latency-${string}`;
type ErrorMetric = 'errors-5xx' | 'errors-4xx';

interface Totals {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  throttled: number;
}

interface MetricState {
  metric: MetricName;
  source: EvidenceSource;
  /** errors: relative-floor processes; latency: the only processes. */
  harm: EProcessState;
  safety: EProcessState;
  /** errors only: absolute-floor (betting) processes. */
  harmAbsolute?: EProcessState;
  safetyAbsolute?: EProcessState;
  /** latency only: batches compared, batches where the challenger was above the scaled champion, Σ null bounds. */
  compared: number;
  above: number;
  nullSum: number;
}

interface SourceState {
  source: EvidenceSource;
  batches: number;
  champion: Totals;
  challenger: Totals;
  srmHigh?: EProcessState;
  srmLow?: EProcessState;
  /** Σ w·(requests of both): the challenger requests the configured split expects. */
  expectedChallenger: number;
}

export interface SequentialJudgeState {
  metrics: MetricState[];
  sources: SourceState[];
  looks: number;
  lastEndsAt?: number;
}

export interface ProcessReport {
  /** log10 of the e-value. */
  log10E: number;
  /** log10 of the threshold it must reach. */
  log10Threshold: number;
  crossed: boolean;
}

export interface MetricReport {
  metric: MetricName;
  source: EvidenceSource;
  status: 'harm' | 'safe' | 'open';
  harm: ProcessReport;
  safety: ProcessReport;
  /** errors: the absolute-floor processes (the relative ones are `harm`/`safety`). */
  harmAbsolute?: ProcessReport;
  safetyAbsolute?: ProcessReport;
  summary: string;
}

export interface SourceReport {
  source: EvidenceSource;
  batches: number;
  champion: Totals;
  challenger: Totals;
  /** Challenger requests ÷ requests of both; the configured share for comparison. */
  challengerShare: number;
  expectedShare: number;
}

export interface SequentialVerdict {
  decision: 'pass' | 'fail' | 'continue';
  looks: number;
  reasons: string[];
  /** Findings that are never a pass: a sample-ratio mismatch, no challenger traffic. */
  findings: string[];
  metrics: MetricReport[];
  sources: SourceReport[];
  alpha: number;
  beta: number;
}

const zeroTotals = (): Totals => ({ requests: 0, errors4xx: 0, errors5xx: 0, throttled: 0 });

function addTotals(into: Totals, from: VersionAggregate) {
  into.requests += Math.max(0, from.requests);
  into.errors4xx += Math.max(0, from.errors4xx);
  into.errors5xx += Math.max(0, from.errors5xx);
  into.throttled += Math.max(0, from.throttled);
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const rate = (errors: number, requests: number) => (requests > 0 ? errors / requests : 0);

export function metricNames(config: SequentialJudgeConfig): MetricName[] {
  return ['errors-5xx', 'errors-4xx', ...config.quantiles.map((q) => `latency-${quantileKey(q)}` as MetricName)];
}

/** Validates a config, naming the field at fault; returns it when fine. */
export function checkJudgeConfig(config: SequentialJudgeConfig): SequentialJudgeConfig {
  const problems: string[] = [];
  if (!(config.alpha > 0 && config.alpha < 0.5)) problems.push('alpha must be between 0 and 0.5');
  if (!(config.beta > 0 && config.beta < 0.5)) problems.push('beta must be between 0 and 0.5');
  if (!(config.errorFloor.relative >= 1)) problems.push('errorFloor.relative must be at least 1 (×1: no change)');
  if (!(config.errorFloor.absolute > 0 && config.errorFloor.absolute < 1))
    problems.push('errorFloor.absolute must be a rate between 0 and 1, e.g. 0.005 for 0.5 points');
  if (!(config.latencyFloor >= 0)) problems.push('latencyFloor must be 0 or more');
  if (config.quantiles.some((q) => !(q > 0 && q < 1))) problems.push('quantiles must be between 0 and 1');
  if (config.sources.length === 0) problems.push('sources must name at least one of live, probes, paired');
  if (problems.length > 0) throw new RangeError(`judge config: ${problems.join('; ')}`);
  return config;
}

export class SequentialJudge {
  private readonly state: SequentialJudgeState;

  constructor(
    readonly config: SequentialJudgeConfig = DEFAULT_SEQUENTIAL_JUDGE,
    resumed?: SequentialJudgeState,
  ) {
    checkJudgeConfig(config);
    this.state = resumed && this.fits(resumed) ? structuredCloneState(resumed) : this.fresh();
  }

  /** The state to heartbeat; `new SequentialJudge(config, state)` resumes from it. */
  snapshot(): SequentialJudgeState {
    return structuredCloneState(this.state);
  }

  /** Per-unit levels: α and β split across (metric × deciding source); α keeps a slice for the ratio check. */
  get levels(): { harm: number; safety: number; srm: number } {
    const units = metricNames(this.config).length * this.config.sources.length;
    const srm = this.config.sources.includes('live') ? this.config.alpha * SRM_SHARE : 0;
    return { harm: (this.config.alpha - srm) / units, safety: this.config.beta / units, srm };
  }

  observe(batch: Batch): SequentialVerdict {
    if (this.config.sources.includes(batch.source)) this.fold(batch);
    this.state.looks++;
    return this.verdict();
  }

  /**
   * Folds a batch and returns only the decision `observe(batch).decision` would give, without building the reports:
   * for simulations of the judge that look thousands of times (src/plan/judge-forecast.ts).
   */
  observeDecision(batch: Batch): SequentialVerdict['decision'] {
    if (this.config.sources.includes(batch.source)) this.fold(batch);
    this.state.looks++;
    const levels = this.levels;
    if (this.state.sources.some((s) => this.srmCrossed(s, levels.srm))) return 'fail';
    let open = false;
    for (const m of this.state.metrics) {
      const status = this.status(m, levels);
      if (status === 'harm') return 'fail';
      if (status === 'open') open = true;
    }
    return open ? 'continue' : 'pass';
  }

  /** The verdict now, without new evidence (e.g. at a deadline). */
  verdict(): SequentialVerdict {
    const levels = this.levels;
    const metrics = this.state.metrics.map((m) => this.report(m, levels));
    const sources = this.state.sources.map(sourceReport);
    const findings: string[] = [];
    for (const s of this.state.sources) {
      if (!this.srmCrossed(s, levels.srm)) continue;
      const report = sourceReport(s);
      findings.push(
        `sample-ratio mismatch on ${s.source} traffic: the new version took ${pct(report.challengerShare)} of the ` +
          `requests where its weight gives ${pct(report.expectedShare)} (e-value ≥ ${(2 / levels.srm).toFixed(0)})`,
      );
    }
    const harmed = metrics.filter((m) => m.status === 'harm');
    const base = { looks: this.state.looks, metrics, sources, alpha: this.config.alpha, beta: this.config.beta };
    if (harmed.length > 0 || findings.length > 0)
      return { ...base, decision: 'fail', reasons: [...findings, ...harmed.map((m) => m.summary)], findings };
    const open = metrics.filter((m) => m.status !== 'safe');
    if (open.length === 0)
      return {
        ...base,
        decision: 'pass',
        findings,
        reasons: [`no harm beyond the margins on any metric: ${metrics.map((m) => m.summary).join('; ')}`],
      };
    const noTraffic = this.config.sources
      .map((source) => this.state.sources.find((s) => s.source === source))
      .filter((s) => !s || s.challenger.requests === 0)
      .map((s, i) => `no challenger traffic yet on ${s?.source ?? this.config.sources[i]}`);
    return {
      ...base,
      decision: 'continue',
      findings: noTraffic,
      reasons: [...noTraffic, ...open.map((m) => `${m.metric} (${m.source}) undecided: ${m.summary}`)],
    };
  }

  private srmCrossed(s: SourceState, level: number): boolean {
    return !!s.srmHigh && !!s.srmLow && (crossed(s.srmHigh, level / 2) || crossed(s.srmLow, level / 2));
  }

  /** A metric's status: harm needs both error floors exceeded, safety either (see the module comment). */
  private status(m: MetricState, levels: { harm: number; safety: number }): MetricReport['status'] {
    const errors = m.metric.startsWith('errors');
    const safetyLevel = errors ? levels.safety / 2 : levels.safety;
    const isHarm = crossed(m.harm, levels.harm) && (!errors || crossed(m.harmAbsolute!, levels.harm));
    if (isHarm) return 'harm';
    const isSafe = crossed(m.safety, safetyLevel) || (errors && crossed(m.safetyAbsolute!, safetyLevel));
    return isSafe ? 'safe' : 'open';
  }

  private fresh(): SequentialJudgeState {
    const metrics: MetricState[] = [];
    for (const source of this.config.sources)
      for (const metric of metricNames(this.config)) {
        const errors = metric.startsWith('errors');
        metrics.push({
          metric,
          source,
          harm: newEProcess(TILT_GRID.length),
          safety: newEProcess(TILT_GRID.length),
          ...(errors
            ? { harmAbsolute: newEProcess(BET_FRACTIONS.length), safetyAbsolute: newEProcess(BET_FRACTIONS.length) }
            : {}),
          compared: 0,
          above: 0,
          nullSum: 0,
        });
      }
    const sources = this.config.sources.map((source): SourceState => ({
      source,
      batches: 0,
      champion: zeroTotals(),
      challenger: zeroTotals(),
      expectedChallenger: 0,
      ...(source === 'live' ? { srmHigh: newEProcess(TILT_GRID.length), srmLow: newEProcess(TILT_GRID.length) } : {}),
    }));
    return { metrics, sources, looks: 0 };
  }

  private fits(state: SequentialJudgeState): boolean {
    const fresh = this.fresh();
    return (
      Array.isArray(state.metrics) &&
      state.metrics.length === fresh.metrics.length &&
      state.metrics.every(
        (m, i) =>
          m.metric === fresh.metrics[i].metric &&
          m.source === fresh.metrics[i].source &&
          isEProcessState(m.harm, TILT_GRID.length) &&
          isEProcessState(m.safety, TILT_GRID.length),
      ) &&
      Array.isArray(state.sources) &&
      state.sources.length === fresh.sources.length
    );
  }

  private fold(batch: Batch) {
    const source = this.state.sources.find((s) => s.source === batch.source)!;
    const w = batch.challengerShare;
    if (!(w > 0 && w < 1)) return;
    source.batches++;
    addTotals(source.champion, batch.champion);
    addTotals(source.challenger, batch.challenger);
    const both = batch.champion.requests + batch.challenger.requests;
    source.expectedChallenger += w * both;
    if (source.srmHigh && source.srmLow) {
      source.srmHigh = binomialTilt(source.srmHigh, batch.challenger.requests, both, w, 'greater');
      source.srmLow = binomialTilt(source.srmLow, batch.challenger.requests, both, w, 'less');
    }
    this.state.lastEndsAt = batch.endsAt;
    for (const m of this.state.metrics) {
      if (m.source !== batch.source) continue;
      if (m.metric === 'errors-5xx' || m.metric === 'errors-4xx') this.foldErrors(m, m.metric, batch, both);
      else this.foldLatency(m, batch);
    }
  }

  private foldErrors(m: MetricState, metric: ErrorMetric, batch: Batch, both: number) {
    const pick = (a: VersionAggregate) => (metric === 'errors-5xx' ? a.errors5xx : a.errors4xx);
    const ch = Math.max(0, pick(batch.challenger));
    const cp = Math.max(0, pick(batch.champion));
    const w = batch.challengerShare;
    const { relative, absolute } = this.config.errorFloor;
    const nullShare = (w * relative) / (w * relative + 1 - w);
    m.harm = binomialTilt(m.harm, ch, ch + cp, nullShare, 'greater');
    m.safety = binomialTilt(m.safety, ch, ch + cp, nullShare, 'less');
    const scores = [
      { value: 1 / w, count: ch },
      { value: -1 / (1 - w), count: cp },
      { value: 0, count: Math.max(0, both - ch - cp) },
    ];
    const range = { min: -1 / (1 - w), max: 1 / w };
    m.harmAbsolute = bettingMean(m.harmAbsolute!, scores, absolute, range, 'greater');
    m.safetyAbsolute = bettingMean(m.safetyAbsolute!, scores, absolute, range, 'less');
  }

  private foldLatency(m: MetricState, batch: Batch) {
    const key = m.metric.slice('latency-'.length);
    const q = Number(key.slice(1)) / 100;
    const ch = batch.challenger.quantilesMs[key];
    const cp = batch.champion.quantilesMs[key];
    // The null needs the counts each quantile was taken over.
    const chCount = answered(batch.challenger);
    const cpCount = answered(batch.champion);
    if (!(Number.isFinite(ch) && Number.isFinite(cp) && chCount > 0 && cpCount > 0)) return;
    const nullAbove = quantileExceedanceNull(chCount, cpCount, q);
    const scaled = (1 + this.config.latencyFloor) * cp;
    // Ties go against the process being fed: conservative both ways.
    m.harm = binomialTilt(m.harm, ch > scaled ? 1 : 0, 1, nullAbove, 'greater');
    m.safety = binomialTilt(m.safety, ch >= scaled ? 1 : 0, 1, nullAbove, 'less');
    m.compared++;
    if (ch > scaled) m.above++;
    m.nullSum += nullAbove;
  }

  private report(m: MetricState, levels: { harm: number; safety: number }): MetricReport {
    const process = (state: EProcessState, level: number): ProcessReport => ({
      log10E: round(log10Value(state), 3),
      log10Threshold: round(-Math.log10(level), 3),
      crossed: crossed(state, level),
    });
    const errors = m.metric.startsWith('errors');
    const safetyLevel = errors ? levels.safety / 2 : levels.safety;
    const harm = process(m.harm, levels.harm);
    const safety = process(m.safety, safetyLevel);
    const harmAbsolute = m.harmAbsolute && process(m.harmAbsolute, levels.harm);
    const safetyAbsolute = m.safetyAbsolute && process(m.safetyAbsolute, safetyLevel);
    const status = this.status(m, levels);
    const isHarm = status === 'harm';
    const isSafe = status === 'safe';
    return {
      metric: m.metric,
      source: m.source,
      status,
      harm,
      safety,
      ...(errors ? { harmAbsolute, safetyAbsolute } : {}),
      summary: this.summary(m, isHarm, isSafe),
    };
  }

  private summary(m: MetricState, isHarm: boolean, isSafe: boolean): string {
    const verdict = isHarm ? 'worse beyond the margin' : isSafe ? 'within the margin' : 'undecided';
    const source = this.state.sources.find((s) => s.source === m.source)!;
    if (m.metric === 'errors-5xx' || m.metric === 'errors-4xx') {
      const pick = (t: Totals) => (m.metric === 'errors-5xx' ? t.errors5xx : t.errors4xx);
      const ch = rate(pick(source.challenger), source.challenger.requests);
      const cp = rate(pick(source.champion), source.champion.requests);
      const { relative, absolute } = this.config.errorFloor;
      return (
        `${m.metric} (${m.source}) ${verdict}: ${pct(ch)} of ${source.challenger.requests} new-version requests vs ` +
        `${pct(cp)} of ${source.champion.requests} (margin ×${relative} and +${(100 * absolute).toFixed(2)} points)`
      );
    }
    const expected = m.compared > 0 ? m.nullSum / m.compared : 0;
    return (
      `${m.metric} (${m.source}) ${verdict}: the new version's ${m.metric.slice(8)} was above ` +
      `${(1 + this.config.latencyFloor).toFixed(2)}× the current one's in ${m.above} of ${m.compared} ` +
      `${m.source === 'live' ? 'minutes' : 'rounds'} (${pct(expected, 1)} expected at the margin)`
    );
  }
}

/** How many latencies a batch's quantiles were taken over. */
function answered(a: VersionAggregate): number {
  return Math.max(0, a.latencyCount ?? a.requests);
}

function sourceReport(s: SourceState): SourceReport {
  const both = s.champion.requests + s.challenger.requests;
  return {
    source: s.source,
    batches: s.batches,
    champion: { ...s.champion },
    challenger: { ...s.challenger },
    challengerShare: both > 0 ? s.challenger.requests / both : 0,
    expectedShare: both > 0 ? s.expectedChallenger / both : 0,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Number.isFinite(x) ? Math.round(x * f) / f : 0;
}

function structuredCloneState(state: SequentialJudgeState): SequentialJudgeState {
  return JSON.parse(JSON.stringify(state)) as SequentialJudgeState;
}
