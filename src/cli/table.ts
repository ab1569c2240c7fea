import type { Record_, Value } from '../provenance/reader.js';

const MAX_CELL = 80;

function cell(v: Value): string {
  const s = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/** Rows as an aligned text table (numbers right-aligned), with a row count; JSON is the lossless form. */
export function formatTable(rows: Record_[], columns: string[] = Object.keys(rows[0] ?? {})): string {
  if (!columns.length) return `(${rows.length} rows)`;
  const cells = rows.map((r) => columns.map((c) => cell(r[c] ?? null)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}
