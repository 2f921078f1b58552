/** The hand-written SVG bar chart and the latency report's table. */
import { latencyChart, latencyTable, type LatencyRow } from '../../src/cli/latency-report';
import { barChart, escapeXml, niceMax } from '../../src/cli/svg-chart';

it('niceMax rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
  expect(niceMax(0.7)).toBe(1);
  expect(niceMax(1.3)).toBe(2);
  expect(niceMax(230)).toBe(250);
  expect(niceMax(4100)).toBe(5000);
  expect(niceMax(0)).toBe(1);
});

it('draws one bar per finite value, scaled to the axis, with escaped labels', () => {
  const svg = barChart({
    title: 'A <b> & c',
    unit: 'ms',
    series: [
      { name: 'one', color: '#111' },
      { name: 'two', color: '#222' },
    ],
    groups: [
      { label: 'eu-west-1', values: [100, 50] },
      { label: 'x"y', values: [200, undefined] },
    ],
  });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trim().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('A &lt;b&gt; &amp; c');
  expect(svg).toContain('x&quot;y');
  const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="16" height="([\d.]+)" fill="#(\d+)"/g)];
  expect(bars).toHaveLength(3);
  // The axis goes to 200 over 220 px: the 100 ms bar is 110 px high, the 200 ms bar 220 px.
  expect(bars.map((b) => Number(b[2]))).toEqual([110, 55, 220]);
  expect(escapeXml("'")).toBe('&apos;');
});

const row = (client: string, before: number, after: number): LatencyRow => ({
  client,
  before: { endpointRegion: 'us-east-1', p50: before, p99: before * 2, requests: 10, errors: 0 },
  after: { endpointRegion: client, p50: after, p99: after * 2, requests: 10, errors: client === 'eu-west-1' ? 2 : 0 },
});

it('latencyTable prints one aligned line per client region, the change, and failed requests', () => {
  const text = latencyTable([row('ap-southeast-1', 200, 50), row('eu-west-1', 150, 75)]);
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^client region\s+before: endpoint\s+p50\s+p99\s+after: endpoint\s+p50\s+p99\s+p50 change$/);
  expect(lines[1]).toMatch(
    /^ap-southeast-1\s+us-east-1\s+200\.0 ms\s+400\.0 ms\s+ap-southeast-1\s+50\.0 ms\s+100\.0 ms\s+-75%$/,
  );
  expect(lines[2]).toMatch(/-50%$/);
  expect(lines[3]).toBe('note: eu-west-1 -> eu-west-1: 2 of 10 requests failed');
  expect(new Set(lines.slice(0, 3).map((l) => l.length)).size).toBe(1);
});

it('latencyChart has four bars per client region', () => {
  const svg = latencyChart([row('ap-southeast-1', 200, 50), row('eu-west-1', 150, 75)]);
  expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="16"/g)).toHaveLength(8);
  expect(svg).toContain('ap-southeast-1');
});
