/** Text formatting shared by the CLI and the reports it writes (verify's text report, the HTML report). */

/** Formats milliseconds with sensible precision. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(1);
  if (Math.abs(value) >= 1) return value.toFixed(3);
  return value.toFixed(4);
}

/** A plain text table with aligned columns (right-aligned numbers). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const isNum = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[-+]?[\d.]+%?$/.test(String(r[i]))));
  const line = (r: string[]) => r.map((c, i) => (isNum[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** A count with an SI suffix: 312.4M, 1.21G, 3.5k (4 significant digits). */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  for (const [div, s] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (a >= div) return `${(n / div).toPrecision(4).replace(/\.?0+$/, '')}${s}`;
  return String(n);
}

/** Parses a count with an optional SI suffix (k, M, G; case-sensitive M/G): "300M", "2.5e8", "4G". */
export function parseCount(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = /^\s*([0-9.]+(?:e[+-]?\d+)?)\s*([kKMG]?)\s*$/.exec(text);
  if (!m) return Number.NaN;
  const scale = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 }[m[2]]!;
  return Number(m[1]) * scale;
}
