/**
 * Parser for the Prometheus text exposition format (and the OpenMetrics subset Databricks may send) returned by
 * `GET /api/2.0/serving-endpoints/{name}/metrics` (docs §1.8). Metric names and labels of that endpoint are
 * UNCONFIRMED, so this module is generic: samples, per-label grouping, and histogram helpers.
 */

export interface MetricSample {
  /** Full sample name, e.g. `request_latency_ms_bucket`. */
  name: string;
  labels: Record<string, string>;
  /** May be NaN, +Infinity or -Infinity. */
  value: number;
  /** The optional timestamp after the value, as written (ms since epoch in Prometheus text). */
  timestamp?: number;
}

export interface MetricFamilyInfo {
  type?: string;
  help?: string;
  unit?: string;
}

export interface ParsedMetrics {
  samples: MetricSample[];
  /** HELP / TYPE / UNIT metadata by metric family name. */
  families: Map<string, MetricFamilyInfo>;
}

export class PrometheusParseError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`metrics line ${line}: ${problem}`);
    this.name = 'PrometheusParseError';
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseMetricValue(token: string): number | undefined {
  switch (token) {
    case 'NaN':
    case 'nan':
      return NaN;
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
  }
  return FLOAT.test(token) ? Number(token) : undefined;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

export function parsePrometheusText(text: string): ParsedMetrics {
  const samples: MetricSample[] = [];
  const families = new Map<string, MetricFamilyInfo>();
  const family = (name: string): MetricFamilyInfo => {
    let info = families.get(name);
    if (!info) {
      info = {};
      families.set(name, info);
    }
    return info;
  };

  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE|UNIT)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!meta) return; // any other comment, incl. OpenMetrics "# EOF"
      const [, keyword, name, rest = ''] = meta;
      if (keyword === 'HELP') family(name).help = unescapeHelp(rest);
      else if (keyword === 'TYPE') family(name).type = rest.trim();
      else family(name).unit = rest.trim();
      return;
    }
    samples.push(parseSampleLine(line, lineNo));
  });
  return { samples, families };
}

function parseSampleLine(line: string, lineNo: number): MetricSample {
  const nameMatch = METRIC_NAME.exec(line);
  if (!nameMatch) throw new PrometheusParseError(lineNo, `expected a metric name at ${JSON.stringify(line)}`);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};

  const skipSpaces = () => {
    while (pos < line.length && (line[pos] === ' ' || line[pos] === '\t')) pos++;
  };

  skipSpaces();
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipSpaces();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const labelMatch = LABEL_NAME.exec(line.slice(pos));
      if (!labelMatch) throw new PrometheusParseError(lineNo, `expected a label name at column ${pos + 1}`);
      const labelName = labelMatch[0];
      pos += labelName.length;
      skipSpaces();
      if (line[pos] !== '=') throw new PrometheusParseError(lineNo, `expected "=" after label ${labelName}`);
      pos++;
      skipSpaces();
      if (line[pos] !== '"') throw new PrometheusParseError(lineNo, `expected '"' to open the value of ${labelName}`);
      pos++;
      let value = '';
      for (;;) {
        if (pos >= line.length) throw new PrometheusParseError(lineNo, `unterminated value of label ${labelName}`);
        const c = line[pos];
        if (c === '"') {
          pos++;
          break;
        }
        if (c === '\\' && pos + 1 < line.length) {
          const next = line[pos + 1];
          value += next === 'n' ? '\n' : next === '\\' || next === '"' ? next : `\\${next}`;
          pos += 2;
          continue;
        }
        value += c;
        pos++;
      }
      labels[labelName] = value;
      skipSpaces();
      if (line[pos] === ',') {
        pos++;
        continue;
      }
      if (line[pos] === '}') {
        pos++;
        break;
      }
      throw new PrometheusParseError(lineNo, `expected "," or "}" after the value of label ${labelName}`);
    }
  }

  // value [timestamp] [# exemplar]
  const rest = line.slice(pos).trim();
  const exemplarAt = rest.indexOf('#');
  const tokens = (exemplarAt >= 0 ? rest.slice(0, exemplarAt) : rest).split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new PrometheusParseError(lineNo, `metric ${name} has no value`);
  if (tokens.length > 2) throw new PrometheusParseError(lineNo, `unexpected text after the value of ${name}`);
  const value = parseMetricValue(tokens[0]);
  if (value === undefined) throw new PrometheusParseError(lineNo, `invalid value ${JSON.stringify(tokens[0])}`);
  const sample: MetricSample = { name, labels, value };
  if (tokens.length === 2) {
    const timestamp = parseMetricValue(tokens[1]);
    if (timestamp === undefined || !Number.isFinite(timestamp)) {
      throw new PrometheusParseError(lineNo, `invalid timestamp ${JSON.stringify(tokens[1])}`);
    }
    sample.timestamp = timestamp;
  }
  return sample;
}

/** Samples grouped by the value of one label (e.g. `served_entity_name`); samples without it are left out. */
export function groupByLabel(samples: readonly MetricSample[], label: string): Map<string, MetricSample[]> {
  const groups = new Map<string, MetricSample[]>();
  for (const sample of samples) {
    const key = sample.labels[label];
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(sample);
    else groups.set(key, [sample]);
  }
  return groups;
}

/** Samples named `name` whose labels include all of `labels`. */
export function findSamples(
  samples: readonly MetricSample[],
  name: string,
  labels: Record<string, string> = {},
): MetricSample[] {
  return samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

export interface Histogram {
  /** Cumulative buckets sorted by upper bound; the last is normally `+Inf`. */
  buckets: Array<{ le: number; count: number }>;
  sum?: number;
  count?: number;
}

/**
 * Reads a histogram family (`<name>_bucket{le=...}`, `<name>_sum`, `<name>_count`) restricted to samples carrying
 * all of `labels`. Buckets with the same `le` (other labels differing) are added together.
 */
export function extractHistogram(
  samples: readonly MetricSample[],
  name: string,
  labels: Record<string, string> = {},
): Histogram | undefined {
  const byLe = new Map<number, number>();
  for (const sample of findSamples(samples, `${name}_bucket`, labels)) {
    const le = sample.labels.le === undefined ? undefined : parseMetricValue(sample.labels.le);
    if (le === undefined || Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
  }
  const total = (suffix: string): number | undefined => {
    const found = findSamples(samples, `${name}${suffix}`, labels);
    return found.length === 0 ? undefined : found.reduce((acc, s) => acc + s.value, 0);
  };
  const sum = total('_sum');
  const count = total('_count');
  if (byLe.size === 0 && sum === undefined && count === undefined) return undefined;
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { buckets, sum, count };
}

/**
 * The q-quantile (0..1) estimated from cumulative buckets by linear interpolation, like PromQL's
 * `histogram_quantile`. Returns NaN without observations; the highest finite bound if the quantile is in `+Inf`.
 */
export function histogramQuantile(q: number, buckets: Histogram['buckets']): number {
  if (buckets.length === 0 || q < 0 || q > 1) return NaN;
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return previousLe;
      if (bucket.count === previousCount) return bucket.le;
      return previousLe + ((bucket.le - previousLe) * (rank - previousCount)) / (bucket.count - previousCount);
    }
    previousLe = bucket.le;
    previousCount = bucket.count;
  }
  return previousLe;
}
