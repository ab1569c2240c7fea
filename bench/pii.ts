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
import { NAME_ENTITIES, PiiConfig, PiiEntity } from '../schemas/stages/pii.js';
import type { Document } from '../schemas/document.js';
import { allowList } from '../stages/pii/allow.js';
import { piiScrubber } from '../stages/pii/index.js';
import { RECOGNIZERS } from '../stages/pii/recognizers/index.js';
import { compileRecognizer, scanText } from '../stages/pii/scan.js';
import { throughputCorpus } from './pii/corpus.js';
import { labelledSet } from './pii/labelled.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LABELLED_DOCS = Number(process.env.PII_BENCH_DOCS ?? 3000);
/** Sentences from presidio-research's generator: its templates hold few SSNs, IPs and IBANs, so many sentences. */
const RESEARCH_SENTENCES = Number(process.env.PII_BENCH_RESEARCH ?? 6000);
const THROUGHPUT_DOCS = 2000;
/** CPU seconds Presidio gets on the throughput corpus: enough for a stable rate, short enough to run often. */
const PRESIDIO_BUDGET_S = 40;
const DATATROVE_BUDGET_S = 10;

/** Presidio's names for the types both sides recognise. */
const PRESIDIO_TYPES: Partial<Record<string, PiiEntity>> = {
  EMAIL_ADDRESS: 'EMAIL', PHONE_NUMBER: 'PHONE', CREDIT_CARD: 'CREDIT_CARD', IBAN_CODE: 'IBAN', IP_ADDRESS: 'IP_ADDRESS',
  US_SSN: 'US_SSN', US_PASSPORT: 'US_PASSPORT', US_DRIVER_LICENSE: 'US_DRIVER_LICENSE', UK_NINO: 'UK_NINO', CRYPTO: 'CRYPTO',
  PERSON: 'PERSON', LOCATION: 'LOCATION',
};
type Span = [string, number, number];
/** A labelled document of either set: ours (bench/pii/labelled.ts) or presidio-research's generator. */
interface Gold { text: string; lang: string; gold: Span[] }
interface Score { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number }

/**
 * A prediction is right when its type matches and it overlaps a gold span of that type not yet matched
 * (boundaries differ by convention: Presidio's phone spans drop a leading `(`, for instance).
 */
function score(docs: readonly Gold[], predicted: readonly Span[][], types: readonly string[]): Record<string, Score> {
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
  // Presidio's run always includes its spaCy NER, so the like-for-like workload of ours has names switched on.
  const withNames = PiiConfig.parse({ stage: 'pii', entities: PiiEntity.options });
  const names = new Set(NAME_ENTITIES);
  const recognizers = RECOGNIZERS.map(compileRecognizer);
  const allowed = allowList(config.allow);
  const labelled: Gold[] = labelledSet(LABELLED_DOCS, 7);
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-pii-'));
  const researchFile = join(dir, 'research.jsonl');
  execFileSync(python, [join(ROOT, 'bench', 'pii', 'presidio_research_set.py'), String(RESEARCH_SENTENCES), '42', researchFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const research = readFileSync(researchFile, 'utf8').trim().split('\n').map((l): Gold => ({ ...(JSON.parse(l) as { text: string; gold: Span[] }), lang: 'en' }));
  const predictOurs = (docs: readonly Gold[]) => docs.map((d) => scanText(d.text, recognizers, d.lang, config.min_score, allowed, names).map((f): Span => [f.entity, f.start, f.end]));

  const corpus = throughputCorpus(ROOT, THROUGHPUT_DOCS, 11);
  const labelledFile = join(dir, 'labelled.jsonl');
  writeFileSync(labelledFile, labelled.map((d) => JSON.stringify({ text: d.text })).join('\n'));
  writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((text) => JSON.stringify({ text })).join('\n'));
  execFileSync(python, [join(ROOT, 'bench', 'pii', 'presidio_peer.py'), join(dir, 'presidio.json'), join(dir, 'corpus.jsonl'), String(PRESIDIO_BUDGET_S), labelledFile, researchFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const peer = JSON.parse(readFileSync(join(dir, 'presidio.json'), 'utf8')) as {
    predictions: Record<string, [string, number, number, number][][]>;
    throughput: { docs: number; cpu_seconds: number; docs_per_s: number };
  };
  // datatrove's PIIFormatter scrubs emails and public IPs only: a speed reference, not a coverage one.
  execFileSync(python, [join(ROOT, 'bench', 'pii', 'datatrove_peer.py'), join(dir, 'corpus.jsonl'), String(DATATROVE_BUDGET_S), join(dir, 'datatrove.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const datatrove = JSON.parse(readFileSync(join(dir, 'datatrove.json'), 'utf8')) as { docs_per_s: number };
  const compared = [...new Set(Object.values(PRESIDIO_TYPES))].filter((e): e is PiiEntity => e !== undefined && !NAME_ENTITIES.includes(e));
  const oursOnly = config.entities.filter((e) => !compared.includes(e));

  /** Ours at the configured threshold; Presidio per type at the better of its default 0 and 0.5. */
  function compare(docs: readonly Gold[], presidioResults: [string, number, number, number][][], types: readonly string[]) {
    const presidioAt = (threshold: number) => presidioResults.map((rs) => rs.flatMap(([t, s, e, sc]): Span[] => {
      const type = PRESIDIO_TYPES[t];
      return type && sc >= threshold ? [[type, s, e]] : [];
    }));
    const p0 = score(docs, presidioAt(0), types);
    const p5 = score(docs, presidioAt(0.5), types);
    const presidio: Record<string, Score & { threshold: number }> = {};
    for (const t of types) {
      const a = p0[t];
      const b = p5[t];
      if (a && b) presidio[t] = b.f1 > a.f1 ? { ...b, threshold: 0.5 } : { ...a, threshold: 0 };
    }
    return { ours: score(docs, predictOurs(docs), types), presidio };
  }
  const own = compare(labelled, peer.predictions[labelledFile] ?? [], [...compared, ...oursOnly]);
  const researchTypes = [...compared.filter((t) => research.some((d) => d.gold.some((g) => g[0] === t))), 'PERSON', 'LOCATION'];
  const researchScores = compare(research, peer.predictions[researchFile] ?? [], researchTypes);

  // Throughput: the whole stage (scan and redact), single thread, CPU time, at least 5 s. The corpus
  // repeats its PII sentences, so the headline builds a fresh scrubber per document (no validator
  // verdict reused across documents, recognizer compilation included); the task-wide reuse the stage
  // really does is reported beside it.
  const docs = corpus.map((text, i) => doc(text, 'en', i));
  const rate = (scrubberFor: () => (d: Document) => unknown) => {
    for (const d of docs.slice(0, 200)) scrubberFor()(d);
    let done = 0;
    const start = cpuSeconds();
    while (cpuSeconds() - start < 5) for (const d of docs) { scrubberFor()(d); done++; }
    return done / (cpuSeconds() - start);
  };
  const oursRate = rate(() => piiScrubber(withNames));
  const shared = piiScrubber(withNames);
  const oursReuseRate = rate(() => shared);
  const oursDefaultRate = rate(() => piiScrubber(config));
  const presidioRate = peer.throughput.docs_per_s;

  const regressionDir = join(ROOT, 'fixtures', 'pii', 'no-pii');
  const regressionFindings = readdirSync(regressionDir).reduce((n, f) =>
    n + scanText(readFileSync(join(regressionDir, f), 'utf8'), recognizers, 'en', config.min_score, allowed).length, 0);
  // Names on code and tables: capitalised identifiers are not people, so this count says how noisy names are there.
  const regressionNameFindings = readdirSync(regressionDir).reduce((n, f) =>
    n + scanText(readFileSync(join(regressionDir, f), 'utf8'), [], 'en', config.min_score, allowed, names).length, 0);

  const line = (name: string, s: Score | undefined) => (s ? `${name.padEnd(9)} P ${s.precision.toFixed(3)} R ${s.recall.toFixed(3)} F1 ${s.f1.toFixed(3)} (tp ${s.tp} fp ${s.fp} fn ${s.fn})` : `${name.padEnd(9)} –`);
  const table = (title: string, scores: ReturnType<typeof compare>, types: readonly string[]) => {
    console.log(title);
    for (const t of types) {
      console.log(`${t}\n  ${line('ours', scores.ours[t])}`);
      console.log(compared.includes(t as PiiEntity) || t === 'PERSON' || t === 'LOCATION'
        ? `  ${line('presidio', scores.presidio[t])} at score_threshold ${scores.presidio[t]?.threshold}` : '  (no Presidio recognizer)');
    }
  };
  table(`labelled set (bench/pii/labelled.ts): ${labelled.length} docs, ${labelled.reduce((n, d) => n + d.gold.length, 0)} gold spans`, own, [...compared, ...oursOnly]);
  table(`presidio-research generator (presidio-evaluator PresidioSentenceFaker, seed 42): ${research.length} sentences, ${research.reduce((n, d) => n + d.gold.length, 0)} gold spans`, researchScores, researchTypes);
  console.log(`throughput on ${corpus.length} docs of mean ${Math.round(corpus.reduce((n, t) => n + t.length, 0) / corpus.length)} chars: ours ${oursRate.toFixed(0)} docs/s/core, presidio-analyzer ${presidioRate.toFixed(1)} docs/s/core (${peer.throughput.docs} docs in ${peer.throughput.cpu_seconds.toFixed(1)} CPU s)`);
  console.log(`ours with verdicts reused across the task's documents: ${oursReuseRate.toFixed(0)} docs/s/core`);
  console.log(`ours with the default entities (names off): ${oursDefaultRate.toFixed(0)} docs/s/core`);
  console.log(`datatrove PIIFormatter (emails and IPs only): ${datatrove.docs_per_s.toFixed(0)} docs/s/core`);
  console.log(`no-PII regression set: ${regressionFindings} findings; PERSON/LOCATION there: ${regressionNameFindings}`);

  const ratios: Record<string, number> = { 'presidio-analyzer': r3(oursRate / presidioRate), 'datatrove-pii': r3(oursRate / datatrove.docs_per_s) };
  const targets: Record<string, number> = { 'presidio-analyzer': 20 };
  const f1Ratio = (scores: ReturnType<typeof compare>, t: string) => {
    const p = scores.presidio[t]?.f1 ?? 0;
    const o = scores.ours[t]?.f1 ?? 0;
    return p > 0 ? r3(o / p) : o > 0 ? 999 : 1;
  };
  for (const t of compared) {
    ratios[`f1_${t}`] = f1Ratio(own, t);
    targets[`f1_${t}`] = 1;
  }
  for (const t of researchTypes) {
    ratios[`f1_research_${t}`] = f1Ratio(researchScores, t);
    targets[`f1_research_${t}`] = 1;
  }
  const f1 = (scores: Record<string, Score>) => Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, r3(v.f1)]));
  console.log(JSON.stringify({
    bench: 'pii', unit: 'docs/s/core', ours: Math.round(oursRate), peers: { 'presidio-analyzer': r3(presidioRate), 'datatrove-pii': Math.round(datatrove.docs_per_s) }, ratios, targets,
    f1: { ours: f1(own.ours), 'presidio-analyzer': f1(own.presidio) },
    f1_research: { ours: f1(researchScores.ours), 'presidio-analyzer': f1(researchScores.presidio) },
    ours_with_verdict_reuse: Math.round(oursReuseRate), ours_default_entities: Math.round(oursDefaultRate), labelled_docs: labelled.length, research_sentences: research.length, corpus_docs: corpus.length, regression_findings: regressionFindings, regression_name_findings: regressionNameFindings,
  }));
}

main();
