/**
 * Chooses the HTML main-text extractor: our extractor on htmlparser2 against @mozilla/readability on
 * linkedom (both in this process) and trafilatura (Python, datatrove's choice), on the same real
 * Common Crawl pages. Quality is word-level F1 against trafilatura's output, the reference extractor
 * of the field (best F1 in the ScrapingHub and Bevendorff et al. 2023 evaluations).
 * Run: make bench B=html-extractors
 */
import { Readability } from '@mozilla/readability';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseHTML } from 'linkedom';
import { decodePayload } from '../stages/ingest/charset.js';
import { htmlToText } from '../stages/ingest/html-text.js';
import { charsetParam, parseHttpResponse } from '../stages/ingest/http.js';
import { realRecords, ROOT } from './warc-corpus.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');

const pages = realRecords('response').flatMap((rec) => {
  const http = parseHttpResponse(rec.block, 2 ** 30);
  if ('error' in http) return [];
  return [{ url: rec.headers.get('warc-target-uri') ?? '', html: decodePayload(http.body, charsetParam(http.headers.get('content-type')), true).text }];
});

function words(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Word-multiset F1 of `text` against `reference`. */
function f1(text: string, reference: string): number {
  const a = words(text), b = words(reference);
  let common = 0, na = 0, nb = 0;
  for (const [w, c] of a) {
    na += c;
    common += Math.min(c, b.get(w) ?? 0);
  }
  for (const c of b.values()) nb += c;
  if (na === 0 && nb === 0) return 1;
  if (common === 0) return 0;
  const p = common / na, r = common / nb;
  return (2 * p * r) / (p + r);
}

function timeExtractor(extract: (html: string) => string): { texts: string[]; docsPerSec: number } {
  const texts = pages.map((p) => extract(p.html));
  const start = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) for (const p of pages) extract(p.html);
  const used = process.cpuUsage(start);
  return { texts, docsPerSec: (ROUNDS * pages.length) / ((used.user + used.system) / 1e6) };
}

const ours = timeExtractor((html) => htmlToText(html, { maxWork: 10_000_000, backstopMs: 60_000 }).text);
const readability = timeExtractor((html) => {
  const { document } = parseHTML(html);
  return new Readability(document).parse()?.textContent?.replace(/[ \t]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim() ?? '';
});

const dir = mkdtempSync(join(tmpdir(), 'corpusflow-bench-'));
writeFileSync(join(dir, 'pages.json'), JSON.stringify(pages.map((p) => p.html)));
const { stdout } = await promisify(execFile)(python, [join(ROOT, 'bench', 'python', 'trafilatura_texts.py'), join(dir, 'pages.json'), String(ROUNDS)], { maxBuffer: 1 << 28 });
const traf = JSON.parse(stdout) as { texts: string[]; seconds: number; docs: number };
const trafRate = traf.docs / traf.seconds;

const table = pages.map((p, i) => ({
  url: p.url.slice(0, 60),
  html_kb: Math.round(p.html.length / 1024),
  trafilatura_chars: traf.texts[i]?.length ?? 0,
  ours_chars: ours.texts[i]?.length ?? 0,
  ours_f1: Number(f1(ours.texts[i] ?? '', traf.texts[i] ?? '').toFixed(3)),
  readability_chars: readability.texts[i]?.length ?? 0,
  readability_f1: Number(f1(readability.texts[i] ?? '', traf.texts[i] ?? '').toFixed(3)),
}));
console.table(table);
const mean = (k: 'ours_f1' | 'readability_f1') => Number((table.reduce((s, r) => s + r[k], 0) / table.length).toFixed(3));
const round = (x: number) => Math.round(x);
console.log(JSON.stringify({
  bench: 'html-extractors',
  unit: 'docs/s/core',
  ours: round(ours.docsPerSec),
  peers: { readability_linkedom: round(readability.docsPerSec), trafilatura: round(trafRate) },
  ratios: { readability_linkedom: Number((ours.docsPerSec / readability.docsPerSec).toFixed(2)), trafilatura: Number((ours.docsPerSec / trafRate).toFixed(2)) },
  targets: { trafilatura: 3 },
  pages: pages.length,
  rounds: ROUNDS,
  f1_vs_trafilatura: { ours: mean('ours_f1'), readability_linkedom: mean('readability_f1') },
}));
