/**
 * make bench B=pii: precision, recall and F1 per entity type on a generated labelled set, ours against
 * presidio-analyzer on the same documents in the same run, then single-core throughput of both on
 * 2–5 KB web-like documents, and the finding count on the no-PII regression set (must be 0).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PiiConfig, type PiiEntity } from '../schemas/stages/pii.js';
import type { Document } from '../schemas/document.js';
import { allowList } from '../stages/pii/allow.js';
import { piiScrubber } from '../stages/pii/index.js';
import { RECOGNIZERS } from '../stages/pii/recognizers/index.js';
import { compileRecognizer, scanText } from '../stages/pii/scan.js';
import { throughputCorpus } from './pii/corpus.js';
import { labelledSet, type LabelledDoc } from './pii/labelled.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LABELLED_DOCS = Number(process.env.PII_BENCH_DOCS ?? 3000);
const THROUGHPUT_DOCS = 2000;
/** CPU seconds Presidio gets on the throughput corpus: enough for a stable rate, short enough to run often. */
const PRESIDIO_BUDGET_S = 40;

/** Presidio's names for the types both sides recognise. */
const PRESIDIO_TYPES: Partial<Record<string, PiiEntity>> = {
  EMAIL_ADDRESS: 'EMAIL', PHONE_NUMBER: 'PHONE', CREDIT_CARD: 'CREDIT_CARD', IBAN_CODE: 'IBAN', IP_ADDRESS: 'IP_ADDRESS',
  US_SSN: 'US_SSN', US_PASSPORT: 'US_PASSPORT', US_DRIVER_LICENSE: 'US_DRIVER_LICENSE', UK_NINO: 'UK_NINO', CRYPTO: 'CRYPTO',
};
type Span = [PiiEntity, number, number];
interface Score { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number }

/**
 * A prediction is right when its type matches and it overlaps a gold span of that type not yet matched
 * (boundaries differ by convention: Presidio's phone spans drop a leading `(`, for instance).
 */
function score(docs: readonly LabelledDoc[], predicted: readonly Span[][], types: readonly PiiEntity[]): Record<string, Score> {
  const out: Record<string, Score> = {};
  for (const type of types) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    docs.forEach((doc, i) => {
      const gold = doc.gold.filter((g) => g[0] === type);
      const used = new Set<number>();
      for (const p of (predicted[i] ?? []).filter((s) => s[0] === type)) {
        const hit = gold.findIndex((g, j) => !used.has(j) && p[1] < g[2] && g[1] < p[2]);
        if (hit >= 0) {
          used.add(hit);
          tp++;
        } else fp++;
      }
      fn += gold.length - used.size;
    });
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    out[type] = { tp, fp, fn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
  }
  return out;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function doc(text: string, lang: string | null, i: number): Document {
  return { id: i.toString(16).padStart(32, '0'), text, url: null, source: { uri: 'bench://pii', offset: i, record_id: null, fetch_date: null, license: null }, meta: lang ? { lang } : {} };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function main(): void {
  const python = process.env.CORPUSFLOW_BENCH_PYTHON;
  if (!python) throw new Error('CORPUSFLOW_BENCH_PYTHON is not set: run through `make bench B=pii`');
  const config = PiiConfig.parse({ stage: 'pii' });
  const recognizers = RECOGNIZERS.map(compileRecognizer);
  const allowed = allowList(config.allow);
  const labelled = labelledSet(LABELLED_DOCS, 7);
  const ours = labelled.map((d) => scanText(d.text, recognizers, d.lang, config.min_score, allowed).map((f): Span => [f.entity, f.start, f.end]));

  const corpus = throughputCorpus(ROOT, THROUGHPUT_DOCS, 11);
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-pii-'));
  writeFileSync(join(dir, 'labelled.jsonl'), labelled.map((d) => JSON.stringify({ text: d.text })).join('\n'));
  writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((text) => JSON.stringify({ text })).join('\n'));
  execFileSync(python, [join(ROOT, 'bench', 'pii', 'presidio_peer.py'), join(dir, 'labelled.jsonl'), join(dir, 'corpus.jsonl'), join(dir, 'presidio.json'), String(PRESIDIO_BUDGET_S)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const peer = JSON.parse(readFileSync(join(dir, 'presidio.json'), 'utf8')) as {
    predictions: [string, number, number, number][][];
    throughput: { docs: number; cpu_seconds: number; docs_per_s: number };
  };
  // Presidio's default score_threshold is 0; its docs suggest raising it. Each type gets the better of 0 and 0.5.
  const presidioAt = (threshold: number) => peer.predictions.map((rs) => rs.flatMap(([t, s, e, sc]): Span[] => {
    const type = PRESIDIO_TYPES[t];
    return type && sc >= threshold ? [[type, s, e]] : [];
  }));
  const compared = [...new Set(Object.values(PRESIDIO_TYPES))] as PiiEntity[];
  const oursOnly = config.entities.filter((e) => !compared.includes(e));
  const ourScores = score(labelled, ours, config.entities);
  const p0 = score(labelled, presidioAt(0), compared);
  const p5 = score(labelled, presidioAt(0.5), compared);
  const presidio: Record<string, Score & { threshold: number }> = {};
  for (const t of compared) {
    const a = p0[t];
    const b = p5[t];
    if (a && b) presidio[t] = (b.f1 > a.f1 ? { ...b, threshold: 0.5 } : { ...a, threshold: 0 });
  }

  // Throughput: the whole stage (scan and redact), single thread, CPU time, repeated to at least 5 s.
  const scrub = piiScrubber(config);
  const docs = corpus.map((text, i) => doc(text, 'en', i));
  for (const d of docs.slice(0, 200)) scrub(d);
  let done = 0;
  const start = cpuSeconds();
  while (cpuSeconds() - start < 5) for (const d of docs) { scrub(d); done++; }
  const oursRate = done / (cpuSeconds() - start);
  const presidioRate = peer.throughput.docs_per_s;

  const regressionDir = join(ROOT, 'fixtures', 'pii', 'no-pii');
  const regressionFindings = readdirSync(regressionDir).reduce((n, f) =>
    n + scanText(readFileSync(join(regressionDir, f), 'utf8'), recognizers, 'en', config.min_score, allowed).length, 0);

  const line = (name: string, s: Score | undefined) => (s ? `${name.padEnd(9)} P ${s.precision.toFixed(3)} R ${s.recall.toFixed(3)} F1 ${s.f1.toFixed(3)} (tp ${s.tp} fp ${s.fp} fn ${s.fn})` : `${name.padEnd(9)} –`);
  console.log(`labelled set: ${labelled.length} docs, ${labelled.reduce((n, d) => n + d.gold.length, 0)} gold spans; corpus: ${corpus.length} docs, mean ${Math.round(corpus.reduce((n, t) => n + t.length, 0) / corpus.length)} chars`);
  for (const t of compared) {
    console.log(`${t}`);
    console.log(`  ${line('ours', ourScores[t])}`);
    console.log(`  ${line('presidio', presidio[t])} at score_threshold ${presidio[t]?.threshold}`);
  }
  for (const t of oursOnly) console.log(`${t}\n  ${line('ours', ourScores[t])}  (no Presidio recognizer)`);
  console.log(`throughput: ours ${oursRate.toFixed(0)} docs/s/core, presidio-analyzer ${presidioRate.toFixed(1)} docs/s/core (${peer.throughput.docs} docs in ${peer.throughput.cpu_seconds.toFixed(1)} CPU s)`);
  console.log(`no-PII regression set: ${regressionFindings} findings`);

  const ratios: Record<string, number> = { 'presidio-analyzer': r3(oursRate / presidioRate) };
  const targets: Record<string, number> = { 'presidio-analyzer': 20 };
  for (const t of compared) {
    const p = presidio[t]?.f1 ?? 0;
    ratios[`f1_${t}`] = p > 0 ? r3((ourScores[t]?.f1 ?? 0) / p) : (ourScores[t]?.f1 ?? 0) > 0 ? 999 : 1;
    targets[`f1_${t}`] = 1;
  }
  const f1 = (scores: Record<string, Score>) => Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, r3(v.f1)]));
  console.log(JSON.stringify({
    bench: 'pii', unit: 'docs/s/core', ours: Math.round(oursRate), peers: { 'presidio-analyzer': r3(presidioRate) }, ratios, targets,
    f1: { ours: f1(ourScores), 'presidio-analyzer': f1(presidio) },
    labelled_docs: labelled.length, corpus_docs: corpus.length, regression_findings: regressionFindings, names: 'PERSON/LOCATION not recognised (gap)',
  }));
}

main();
