// The benchmark table: statistics, formatting and printing, shared by run.ts and its sections.

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
export const median = (s: readonly number[]) => percentile(s, 50);
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

export type Row = { name: string; n?: number; p50?: number; p99?: number; max?: number; value?: string; target?: string; result?: string };
/** A row, or a free line ('' is a blank line; anything else is printed after "-- "). */
export type Rows = (Row | string)[];

export function latencyRow(name: string, samples: readonly number[], extra: Partial<Row> = {}): Row {
  return { name, n: samples.length, p50: median(samples), p99: percentile(samples, 99), max: samples.length ? Math.max(...samples) : NaN, ...extra };
}

export function printTable(rows: readonly (Row | string)[]): void {
  const header = ['Measurement', 'n', 'p50 ms', 'p99 ms', 'max ms', 'Value', 'Target', 'Result'];
  const right = [false, true, true, true, true, true, false, false];
  const cells = rows.map((r) =>
    typeof r === 'string'
      ? r
      : [r.name, r.n?.toString() ?? '', r.p50 === undefined ? '' : ms(r.p50), r.p99 === undefined ? '' : ms(r.p99),
         r.max === undefined ? '' : ms(r.max), r.value ?? '', r.target ?? '', r.result ?? ''],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (typeof c === 'string' ? 0 : c[i]!.length))));
  const line = (c: readonly string[]) => c.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  console.log(line(header));
  console.log(rule);
  for (const c of cells) console.log(typeof c === 'string' ? (c === '' ? '' : `-- ${c}`) : line(c));
}

export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
