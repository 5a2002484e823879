// Columns as Go's text/tabwriter lays them out with runc's settings for
// `list` (minwidth 12, padding 3, pad with spaces): every cell but the last
// of a line is padded to max(12, widest cell of its column + 3); the last
// cell is written as is.
export interface TabOptions {
  minWidth: number;
  padding: number;
}

const RUNC_LIST: TabOptions = { minWidth: 12, padding: 3 };

/** Width in characters (tabwriter counts runes, not bytes). */
function width(s: string): number {
  return [...s].length;
}

export function tabulate(rows: string[][], opts: TabOptions = RUNC_LIST): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? opts.minWidth, width(cell) + opts.padding);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell + ' '.repeat(widths[i]! - width(cell)) : cell)).join('') + '\n')
    .join('');
}
