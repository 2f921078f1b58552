/**
 * Grouped bar charts as plain SVG (no dependency): used by `rollout latency-report` and the benchmarks. Values are
 * drawn from 0; each group is a label on the x axis with one bar per series; the value is written above each bar.
 */

export interface ChartSeries {
  name: string;
  color: string;
}

export interface ChartGroup {
  label: string;
  /** One value per series, in the series' order; NaN or undefined draws no bar. */
  values: (number | undefined)[];
}

export interface BarChartOptions {
  title: string;
  /** The y axis label, e.g. "ms". */
  unit: string;
  series: ChartSeries[];
  groups: ChartGroup[];
  /** Digits after the point in bar labels (default 0). */
  digits?: number;
  /** A horizontal reference line (e.g. a target), with its label. */
  reference?: { value: number; label: string };
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** A round axis maximum at or above `max`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(max)));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function barChart(options: BarChartOptions): string {
  const { series, groups } = options;
  const digits = options.digits ?? 0;
  const barWidth = 18;
  const groupGap = 22;
  const groupWidth = series.length * barWidth + groupGap;
  const left = 60;
  const top = 50;
  const plotHeight = 220;
  const width = Math.max(360, left + groups.length * groupWidth + 20, left + series.length * 150);
  const height = top + plotHeight + 80;
  const values = groups.flatMap((g) => g.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const max = niceMax(Math.max(0, ...values, options.reference?.value ?? 0));
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (max / 4) * i;
    out.push(
      `<line x1="${left}" y1="${y(value)}" x2="${width - 10}" y2="${y(value)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${escapeXml(formatNumber(value))}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${top + plotHeight / 2}" transform="rotate(-90 14 ${top + plotHeight / 2})" text-anchor="middle">${escapeXml(options.unit)}</text>`,
  );
  groups.forEach((group, g) => {
    const x0 = left + 10 + g * groupWidth;
    group.values.forEach((value, s) => {
      if (value === undefined || !Number.isFinite(value)) return;
      const x = x0 + s * barWidth;
      out.push(
        `<rect x="${x}" y="${y(value)}" width="${barWidth - 2}" height="${top + plotHeight - y(value)}" fill="${series[s].color}"><title>${escapeXml(`${group.label}, ${series[s].name}: ${value.toFixed(digits)} ${options.unit}`)}</title></rect>`,
        `<text x="${x + (barWidth - 2) / 2}" y="${y(value) - 3}" text-anchor="middle" font-size="9">${escapeXml(value.toFixed(digits))}</text>`,
      );
    });
    out.push(
      `<text x="${x0 + (series.length * barWidth) / 2}" y="${top + plotHeight + 16}" text-anchor="middle">${escapeXml(group.label)}</text>`,
    );
  });
  if (options.reference) {
    const ry = y(options.reference.value);
    out.push(
      `<line x1="${left}" y1="${ry}" x2="${width - 10}" y2="${ry}" stroke="#c00" stroke-dasharray="4 3"/>`,
      `<text x="${width - 12}" y="${ry - 4}" text-anchor="end" fill="#c00">${escapeXml(options.reference.label)}</text>`,
    );
  }
  out.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${width - 10}" y2="${top + plotHeight}" stroke="#333"/>`);
  series.forEach((s, i) => {
    const x = left + i * 150;
    const ly = top + plotHeight + 40;
    out.push(
      `<rect x="${x}" y="${ly}" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${x + 16}" y="${ly + 10}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 2 : 1);
}
