/** Columns padded to their widest cell, two spaces apart; `rightAligned` columns (numbers) pad on the left. */
export function textTable(header: string[], rows: string[][], rightAligned: readonly number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows].map((cells) =>
    cells
      .map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}
