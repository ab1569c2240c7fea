/**
 * `corpusflow signals`: histograms of every quality signal recorded in a provenance catalog, so a
 * team can see where thresholds cut before changing them (the same numbers DuckDB queries give).
 */
import { DuckDBInstance } from '@duckdb/node-api';

export interface SignalHistogram {
  rule: string;
  signal: string;
  count: number;
  min: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
  /** Counts of equal-width bins from min to max. */
  bins: number[];
}

const num = (v: unknown) => (typeof v === 'bigint' ? Number(v) : Number(v));

/** Histograms of the signals in doc_events.detail of the quality stage, one per rule and signal. */
export async function signalHistograms(db: string, binCount = 20): Promise<SignalHistogram[]> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    await conn.run(`
      CREATE TEMP TABLE v AS
      WITH ev AS (SELECT CAST(detail AS JSON) -> 'signals' AS s FROM doc_events WHERE stage = 'quality'),
      rules AS (SELECT unnest(json_keys(s)) AS rule, s FROM ev),
      sigs AS (SELECT rule, unnest(json_keys(s -> rule)) AS signal, s FROM rules)
      SELECT rule, signal, TRY_CAST(s -> rule ->> signal AS DOUBLE) AS x FROM sigs`);
    const stats = (await conn.runAndReadAll(`
      SELECT rule, signal, count(x) AS n, min(x) AS lo, max(x) AS hi,
             quantile_cont(x, 0.1) AS p10, quantile_cont(x, 0.5) AS p50, quantile_cont(x, 0.9) AS p90
      FROM v WHERE x IS NOT NULL AND isfinite(x) GROUP BY ALL ORDER BY rule, signal`)).getRowObjectsJS();
    const bins = (await conn.runAndReadAll(`
      WITH r AS (SELECT rule, signal, min(x) AS lo, max(x) AS hi FROM v WHERE isfinite(x) GROUP BY ALL)
      SELECT v.rule, v.signal,
             CASE WHEN r.hi = r.lo THEN 0 ELSE least(${binCount - 1}, floor((x - r.lo) / (r.hi - r.lo) * ${binCount}))::INT END AS b,
             count(*) AS n
      FROM v JOIN r USING (rule, signal) WHERE isfinite(x) GROUP BY ALL`)).getRowObjectsJS();
    const byKey = new Map<string, number[]>();
    for (const b of bins) {
      const key = `${String(b.rule)}\u0000${String(b.signal)}`;
      const counts = byKey.get(key) ?? new Array<number>(binCount).fill(0);
      counts[num(b.b)] = num(b.n);
      byKey.set(key, counts);
    }
    return stats.map((s) => ({
      rule: String(s.rule), signal: String(s.signal), count: num(s.n), min: num(s.lo), p10: num(s.p10), p50: num(s.p50), p90: num(s.p90), max: num(s.hi),
      bins: byKey.get(`${String(s.rule)}\u0000${String(s.signal)}`) ?? [],
    }));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
const BLOCKS = ' ▁▂▃▄▅▆▇█';

export function signalsText(hists: SignalHistogram[]): string {
  const lines: string[] = [];
  for (const h of hists) {
    const top = Math.max(1, ...h.bins);
    const bar = h.bins.map((n) => BLOCKS[n === 0 ? 0 : Math.max(1, Math.round((n / top) * 8))]).join('');
    lines.push(`${`${h.rule}.${h.signal}`.padEnd(42)} n=${String(h.count).padEnd(7)} min ${fmt(h.min).padEnd(8)} p10 ${fmt(h.p10).padEnd(8)} p50 ${fmt(h.p50).padEnd(8)} p90 ${fmt(h.p90).padEnd(8)} max ${fmt(h.max).padEnd(8)} |${bar}|`);
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** A self-contained page: one SVG bar chart per signal. */
export function signalsHtml(hists: SignalHistogram[], title: string): string {
  const charts = hists.map((h) => {
    const top = Math.max(1, ...h.bins);
    const w = 12;
    const bars = h.bins.map((n, i) => {
      const height = Math.round((n / top) * 80);
      return `<rect x="${i * w}" y="${80 - height}" width="${w - 1}" height="${height}"><title>${n}</title></rect>`;
    }).join('');
    return `<figure><figcaption><b>${escapeHtml(`${h.rule}.${h.signal}`)}</b> n=${h.count}, p10 ${fmt(h.p10)}, p50 ${fmt(h.p50)}, p90 ${fmt(h.p90)}</figcaption>`
      + `<svg width="${h.bins.length * w}" height="80" fill="#3a6ea5">${bars}</svg><div class="axis"><span>${fmt(h.min)}</span><span>${fmt(h.max)}</span></div></figure>`;
  }).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,sans-serif;margin:2em}figure{display:inline-block;margin:1em;vertical-align:top}
.axis{display:flex;justify-content:space-between;font-size:small;color:#555}</style></head>
<body><h1>${escapeHtml(title)}</h1>\n${charts}\n</body></html>\n`;
}
