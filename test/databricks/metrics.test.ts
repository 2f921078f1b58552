import {
  extractHistogram,
  findSamples,
  groupByLabel,
  histogramQuantile,
  parsePrometheusText,
  PrometheusParseError,
} from '../../src/databricks/metrics';

const EXPOSITION = String.raw`# HELP request_count_total Number of requests.\nSecond line with a \\ backslash.
# TYPE request_count_total counter
request_count_total{served_entity_name="fraud-1",status="200"} 1027 1700089637000
request_count_total{served_entity_name="fraud-2",status="200"} 3

# a free-form comment
# TYPE request_latency_ms histogram
request_latency_ms_bucket{served_entity_name="fraud-1",le="10"} 2
request_latency_ms_bucket{served_entity_name="fraud-1",le="50"} 8
request_latency_ms_bucket{served_entity_name="fraud-1",le="100"} 10
request_latency_ms_bucket{served_entity_name="fraud-1",le="+Inf"} 10
request_latency_ms_sum{served_entity_name="fraud-1"} 420.5
request_latency_ms_count{served_entity_name="fraud-1"} 10
weird_label{path="C:\\dir\\file",quote="say \"hi\"",nl="a\nb",empty=""} 1
cpu_usage_percentage NaN
memory_bytes -Inf
scientific 1.5e3
trailing_comma{a="b",} 2
spaced { a = "b" , c="d" }   4   1700000000000
`;

describe('parsePrometheusText', () => {
  const parsed = parsePrometheusText(EXPOSITION);

  it('parses samples with labels, values and timestamps', () => {
    expect(parsed.samples[0]).toEqual({
      name: 'request_count_total',
      labels: { served_entity_name: 'fraud-1', status: '200' },
      value: 1027,
      timestamp: 1700089637000,
    });
    expect(parsed.samples[1]).toEqual({
      name: 'request_count_total',
      labels: { served_entity_name: 'fraud-2', status: '200' },
      value: 3,
    });
    expect(parsed.samples).toHaveLength(14);
  });

  it('reads HELP (with escapes) and TYPE metadata', () => {
    expect(parsed.families.get('request_count_total')).toEqual({
      type: 'counter',
      help: 'Number of requests.\nSecond line with a \\ backslash.',
    });
    expect(parsed.families.get('request_latency_ms')?.type).toBe('histogram');
  });

  it('unescapes \\\\, \\" and \\n in label values', () => {
    const [weird] = findSamples(parsed.samples, 'weird_label');
    expect(weird.labels).toEqual({ path: 'C:\\dir\\file', quote: 'say "hi"', nl: 'a\nb', empty: '' });
  });

  it('parses NaN, -Inf, +Inf and exponents', () => {
    expect(findSamples(parsed.samples, 'cpu_usage_percentage')[0].value).toBeNaN();
    expect(findSamples(parsed.samples, 'memory_bytes')[0].value).toBe(-Infinity);
    expect(findSamples(parsed.samples, 'scientific')[0].value).toBe(1500);
    const inf = findSamples(parsed.samples, 'request_latency_ms_bucket', { le: '+Inf' });
    expect(inf).toHaveLength(1);
    expect(inf[0].value).toBe(10);
  });

  it('tolerates a trailing comma and spaces inside braces', () => {
    expect(findSamples(parsed.samples, 'trailing_comma')[0]).toEqual({
      name: 'trailing_comma',
      labels: { a: 'b' },
      value: 2,
    });
    expect(findSamples(parsed.samples, 'spaced')[0]).toEqual({
      name: 'spaced',
      labels: { a: 'b', c: 'd' },
      value: 4,
      timestamp: 1700000000000,
    });
  });

  it('accepts OpenMetrics # EOF, UNIT and exemplars', () => {
    const om = parsePrometheusText(
      '# TYPE latency_seconds histogram\n# UNIT latency_seconds seconds\n' +
        'latency_seconds_bucket{le="0.1"} 3 # {trace_id="abc"} 0.05 1700000000.1\n# EOF\n',
    );
    expect(om.samples).toEqual([{ name: 'latency_seconds_bucket', labels: { le: '0.1' }, value: 3 }]);
    expect(om.families.get('latency_seconds')).toEqual({ type: 'histogram', unit: 'seconds' });
  });

  it('returns nothing for empty text', () => {
    expect(parsePrometheusText('').samples).toEqual([]);
    expect(parsePrometheusText('\n\n# only comments\n').samples).toEqual([]);
  });

  it.each([
    ['a bad value', 'm 12abc', 'metrics line 1: invalid value "12abc"'],
    ['no value', 'm{a="b"}', 'metrics line 1: metric m has no value'],
    ['an unterminated label value', 'm{a="b} 1', 'unterminated value of label a'],
    ['a missing "="', 'm{a"b"} 1', 'expected "=" after label a'],
    ['a bad timestamp', 'm 1 later', 'invalid timestamp "later"'],
    ['extra tokens', 'm 1 2 3', 'unexpected text after the value of m'],
    ['an invalid name', '1abc 2', 'expected a metric name'],
  ])('rejects %s with the line number', (_what, text, message) => {
    expect(() => parsePrometheusText(`# ok\n\n${text}`)).toThrow(PrometheusParseError);
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});

describe('grouping and histograms', () => {
  const { samples } = parsePrometheusText(EXPOSITION);

  it('groups samples per label value and leaves out samples without the label', () => {
    const groups = groupByLabel(samples, 'served_entity_name');
    expect([...groups.keys()]).toEqual(['fraud-1', 'fraud-2']);
    expect(groups.get('fraud-1')).toHaveLength(7);
    expect(groups.get('fraud-2')?.map((s) => s.value)).toEqual([3]);
  });

  it('extracts a histogram and estimates quantiles like histogram_quantile', () => {
    const histogram = extractHistogram(samples, 'request_latency_ms', { served_entity_name: 'fraud-1' })!;
    expect(histogram.buckets).toEqual([
      { le: 10, count: 2 },
      { le: 50, count: 8 },
      { le: 100, count: 10 },
      { le: Infinity, count: 10 },
    ]);
    expect(histogram.sum).toBe(420.5);
    expect(histogram.count).toBe(10);
    expect(histogramQuantile(0.5, histogram.buckets)).toBeCloseTo(10 + (40 * 3) / 6);
    expect(histogramQuantile(0.9, histogram.buckets)).toBeCloseTo(50 + (50 * 1) / 2);
    expect(histogramQuantile(1, histogram.buckets)).toBe(100);
    expect(extractHistogram(samples, 'request_latency_ms', { served_entity_name: 'nobody' })).toBeUndefined();
  });

  it('returns the highest finite bound when the quantile falls in +Inf, NaN without observations', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 10, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(10);
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
  });
});
