import type { DataCard } from '../../schemas/datacard.js';
import { escapeHtml, horizontalBars, log2Histogram, PALETTE } from './charts.js';
import { limitations, pct } from './datacard-markdown.js';

const num = (n: number): string => n.toLocaleString('en-US');

function table(head: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number) => (typeof c === 'number' ? `<td class="n">${num(c)}</td>` : `<td>${escapeHtml(c)}</td>`);
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

function figure(id: string, caption: string, chart: string, hasData: boolean): string {
  return `<figure class="chart" id="chart-${id}">${hasData ? chart : '<p class="empty">no data</p>'}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/** The chart figures, by id; the page shows them all and the screenshot test renders each alone. */
export function dataCardCharts(card: DataCard): Record<string, string> {
  const funnel = horizontalBars('Filter funnel', card.steps.map((s) => ({
    label: `${s.index + 1}. ${s.stage}`,
    segments: [{ name: 'kept', value: s.docs_out, color: PALETTE[0] as string }, { name: 'dropped', value: s.docs_in - s.docs_out, color: PALETTE[1] as string }],
  })));
  const languages = horizontalBars('Language distribution', card.languages.map((l) => ({ label: l.lang, segments: [{ name: 'documents', value: l.documents, color: PALETTE[2] as string }] })));
  const licences = horizontalBars('Licence mix', card.licenses.map((l) => ({
    label: l.license ?? 'unknown',
    segments: [{ name: 'tokens released', value: l.tokens, color: PALETTE[4] as string }],
  })));
  return {
    funnel: figure('funnel', 'Documents kept and dropped at each step', funnel, card.steps.length > 0),
    languages: figure('languages', 'Released documents per language (fastText lid.176)', languages, card.languages.length > 0),
    'length-bytes': figure('length-bytes', 'Length of released documents in UTF-8 bytes', log2Histogram('Length in bytes', 'bytes', card.lengths.bytes, PALETTE[5] as string), card.lengths.bytes.length > 0),
    'length-tokens': figure('length-tokens', 'Length of released documents in tokens', log2Histogram('Length in tokens', 'tokens', card.lengths.tokens, PALETTE[3] as string), card.lengths.tokens.length > 0),
    licences: figure('licences', 'Released tokens per licence', licences, card.licenses.some((l) => l.tokens > 0)),
  };
}

export const DATACARD_CSS = `body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#0f172a;max-width:980px;margin:2em auto;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #e2e8f0;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}th,td{border:1px solid #e2e8f0;padding:3px 8px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f8fafc}
pre{background:#f8fafc;border:1px solid #e2e8f0;padding:.6em;overflow:auto;font-size:12px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:1em}svg{width:100%;height:auto}figure.chart{align-self:start;margin:0;border:1px solid #e2e8f0;padding:.6em;background:#fff}
figcaption{font-size:12px;color:#475569}.empty{color:#94a3b8}.summary{font-size:15px}svg text{fill:#0f172a;font-family:system-ui,sans-serif}`;

/** datacard.html: one self-contained page (inline CSS and SVG, no script, nothing fetched). */
export function renderDataCardHtml(card: DataCard): string {
  const released = card.tokens.documents;
  const totalLang = card.languages.reduce((n, l) => n + l.documents, 0);
  const steps = card.steps.map((s) => `<h3>${s.index + 1}. ${escapeHtml(s.stage)} <small>v${s.version}, config ${escapeHtml(s.config_hash)}</small></h3>
<p>${num(s.docs_in)} in, ${num(s.docs_out)} out (${pct(s.docs_in - s.docs_out, s.docs_in)} dropped${s.modified ? `, ${num(s.modified)} modified` : ''}).</p>
${s.drops.length ? table(['rule', 'reason', 'documents', 'share of input'], s.drops.map((d) => [d.rule, d.reason, d.documents, pct(d.documents, s.docs_in)])) : ''}
<details><summary>config</summary><pre>${escapeHtml(JSON.stringify(s.config, null, 2))}</pre></details>`).join('\n');
  const charts = Object.values(dataCardCharts(card)).join('\n');
  const summaryRow = (name: string, s: DataCard['lengths']['bytes_summary']): (string | number)[] => (s ? [name, s.min, s.median, s.mean, s.max] : [name, '-', '-', '-', '-']);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(`${card.name} v${card.version}`)}: data card</title><style>${DATACARD_CSS}</style></head>
<body>
<h1>${escapeHtml(card.name)} v${card.version}</h1>
<p>${escapeHtml(card.description)}</p>
<p class="summary"><b>${num(released)}</b> documents, <b>${num(card.tokens.tokens)}</b> tokens in ${num(card.tokens.samples)} samples and ${num(card.tokens.shards)} shards;
${num(card.languages.length)} languages; built by corpusflow ${escapeHtml(card.code_version)}, pipeline hash ${escapeHtml(card.pipeline_hash)}. Every figure is read from <code>provenance.duckdb</code>.</p>
<section class="charts">
${charts}
</section>
<h2>Sources and licences</h2>
${table(['licence', 'input files', 'documents read', 'documents released', 'tokens released'], card.licenses.map((l) => [l.license ?? 'unknown', l.sources, l.documents_in, l.documents_released, l.tokens]))}
${table(['input', 'format', 'licence', 'bytes', 'records', 'unreadable', 'released', 'sha256'], card.sources.map((s) => [s.uri, s.format ?? '', s.license ?? 'unknown', s.bytes, s.records, s.bad_records, s.released, s.sha256]))}
<h2>Collection</h2>
<p>${card.collection.first_fetch ? `Fetched between ${escapeHtml(card.collection.first_fetch)} and ${escapeHtml(card.collection.last_fetch ?? '')}` : 'No fetch dates recorded'}; ${num(card.collection.domains)} domains.</p>
${card.collection.top_domains.length ? table(['domain', 'documents'], card.collection.top_domains.map((d) => [d.domain, d.documents])) : ''}
${card.collection.unreadable.length ? table(['unreadable: reason', 'records'], card.collection.unreadable.map((u) => [u.reason, u.records])) : '<p>Every input record was readable.</p>'}
<h2>Processing</h2>
${steps}
<h2>Languages</h2>
${card.languages.length ? table(['language', 'documents', 'share', 'tokens'], card.languages.map((l) => [l.lang, l.documents, pct(l.documents, totalLang), l.tokens])) : '<p>No language identification ran.</p>'}
<h2>Document lengths</h2>
${table(['measure', 'min', 'median', 'mean', 'max'], [summaryRow('UTF-8 bytes', card.lengths.bytes_summary), summaryRow('tokens (with EOS)', card.lengths.tokens_summary)])}
<h2>Deduplication</h2>
${card.dedup.length ? table(['method', 'clusters', 'documents in clusters', 'removed'], card.dedup.map((d) => [d.method, d.clusters, d.documents, d.removed])) : '<p>No duplicate clusters are recorded: no deduplication stage ran.</p>'}
<h2>Personal information</h2>
${card.pii.stage ? `<p>${num(card.pii.documents)} documents held personal information; values were replaced and only types, counts and offsets recorded.</p>${table(['entity type', 'documents', 'mentions'], card.pii.by_type.map((p) => [p.entity_type, p.documents, p.mentions]))}` : '<p>No PII stage ran: personal information in the source text was neither detected nor removed.</p>'}
<h2>Synthetic data</h2>
<p>${num(card.synthetic.documents)} synthetic documents (${pct(card.synthetic.documents, released)} of documents), ${num(card.synthetic.tokens)} tokens (${pct(card.synthetic.tokens, card.tokens.tokens)})${card.synthetic.documents ? `; ${num(card.synthetic.model_generated)} (${pct(card.synthetic.model_generated, card.synthetic.documents)}) written by a model` : ''}.</p>
<h2>Tokens and shards</h2>
${table(['tokenizer', 'sequence length', 'documents', 'samples', 'tokens', 'shards', 'bytes'], [[card.tokens.tokenizer ?? '', card.tokens.seq_len ?? 0, released, card.tokens.samples, card.tokens.tokens, card.tokens.shards, card.tokens.bytes]])}
<h2>Limitations</h2>
<ul>${limitations(card).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>
<h2>Erasures</h2>
${card.erasures.length ? table(['reason', 'documents'], card.erasures.map((e) => [e.reason ?? 'unspecified', e.documents])) : '<p>No erasure requests have been applied to this release.</p>'}
</body></html>
`;
}
