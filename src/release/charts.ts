/** Inline SVG charts for the HTML data card: no script, no fonts or styles from anywhere else. */

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#475569'];

export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A segment of a bar: its value, colour and the legend name it belongs to. */
export interface Segment {
  value: number;
  color: string;
  name: string;
}

const WIDTH = 640;
const LABEL = 150;
const ROW = 24;

function svg(height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(title)}">` +
    `<title>${escapeHtml(title)}</title>${body}</svg>`;
}

function legend(segments: { name: string; color: string }[], y: number): string {
  let x = LABEL;
  return segments.map((s) => {
    const item = `<rect x="${x}" y="${y}" width="12" height="12" fill="${s.color}"/><text x="${x + 16}" y="${y + 10}" font-size="12">${escapeHtml(s.name)}</text>`;
    x += 28 + s.name.length * 7;
    return item;
  }).join('');
}

/** Horizontal bars, one row per label, each split into segments (kept / dropped, or one value). */
export function horizontalBars(title: string, rows: { label: string; segments: Segment[] }[]): string {
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((n, s) => n + s.value, 0)));
  const plot = WIDTH - LABEL - 90;
  const names = [...new Map(rows.flatMap((r) => r.segments).map((s) => [s.name, s.color])).entries()].map(([name, color]) => ({ name, color }));
  const body = rows.map((r, i) => {
    const y = 8 + i * ROW;
    let x = LABEL;
    const bars = r.segments.filter((s) => s.value > 0).map((s) => {
      const w = Math.max(1, (s.value / max) * plot);
      const bar = `<rect class="bar" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${s.color}"><title>${escapeHtml(`${r.label} ${s.name}: ${fmt(s.value)}`)}</title></rect>`;
      x += w;
      return bar;
    }).join('');
    const total = r.segments.reduce((n, s) => n + s.value, 0);
    return `<text x="${LABEL - 6}" y="${y + 13}" font-size="12" text-anchor="end">${escapeHtml(r.label)}</text>${bars}` +
      `<text x="${(x + 4).toFixed(1)}" y="${y + 13}" font-size="11" fill="#334155">${fmt(total)}</text>`;
  }).join('');
  const height = 8 + rows.length * ROW + (names.length > 1 ? 24 : 4);
  return svg(height, title, body + (names.length > 1 ? legend(names, 8 + rows.length * ROW + 4) : ''));
}

/** Vertical bars over log2 buckets: bin k counts lengths in [2^k, 2^(k+1)). */
export function log2Histogram(title: string, unit: string, bins: { bin: number; documents: number }[], color: string): string {
  const height = 200;
  const base = 160;
  const left = 50;
  const first = Math.min(...bins.map((b) => b.bin));
  const last = Math.max(...bins.map((b) => b.bin));
  const all = Array.from({ length: last - first + 1 }, (_, i) => ({ bin: first + i, documents: bins.find((b) => b.bin === first + i)?.documents ?? 0 }));
  const max = Math.max(1, ...all.map((b) => b.documents));
  const slot = (WIDTH - left - 10) / Math.max(1, all.length);
  const body = all.map((b, i) => {
    const h = (b.documents / max) * (base - 10);
    const x = left + i * slot;
    const bar = b.documents ? `<rect class="bar" x="${(x + 2).toFixed(1)}" y="${(base - h).toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${Math.max(1, h).toFixed(1)}" fill="${color}"><title>${fmt(2 ** b.bin)}–${fmt(2 ** (b.bin + 1) - 1)} ${unit}: ${fmt(b.documents)} documents</title></rect>` : '';
    return `${bar}<text x="${(x + slot / 2).toFixed(1)}" y="${base + 14}" font-size="10" text-anchor="middle">${fmt(2 ** b.bin)}</text>`;
  }).join('');
  const axis = `<line x1="${left}" y1="${base}" x2="${WIDTH - 10}" y2="${base}" stroke="#94a3b8"/>` +
    `<text x="${left - 6}" y="${base - 140}" font-size="10" text-anchor="end">${fmt(max)}</text><text x="${left - 6}" y="${base}" font-size="10" text-anchor="end">0</text>` +
    `<text x="${(WIDTH + left) / 2}" y="${base + 32}" font-size="11" text-anchor="middle">${escapeHtml(unit)} per document (log2 buckets, lower bound)</text>`;
  return svg(height, title, axis + body);
}
