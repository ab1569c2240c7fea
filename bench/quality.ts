/**
 * Quality filters against datatrove on the same documents: lid.176 language ID, Gopher quality,
 * Gopher repetition, C4, FineWeb and C4's bad words (English LDNOOBW list on both sides), each
 * configured with the published defaults on both sides.
 * Prints docs/s per core for each filter, the share of documents on which the decisions agree
 * (for C4 also the cleaned text), and the classes of disagreement with an example of each.
 * Run: make bench B=quality  (BENCH_DOCS=<n> to change the corpus size).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QualityConfig } from '../schemas/stages/quality.js';
import { LangidConfig } from '../schemas/stages/langid.js';
import type { Document } from '../schemas/document.js';
import { langid } from '../stages/langid/index.js';
import { quality } from '../stages/quality/index.js';
import type { Outcome } from '../src/stage.js';
import { benchCorpus } from './quality-corpus.js';

const root = join(import.meta.dirname, '..', '..');
const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(root, '.venv-bench', 'bin', 'python');
const lidModel = join(root, 'node_modules', 'fasttext.wasm.js', 'dist', 'fastText', 'models', 'lid.176.ftz');
const N = Number(process.env.BENCH_DOCS ?? 6000);

const corpus = benchCorpus(join(root, 'node_modules'), N);
const docs: Document[] = corpus.map((d, i) => ({
  id: i.toString(16).padStart(32, '0'), text: d.text, url: null,
  source: { uri: d.id, offset: 0, record_id: null, fetch_date: null, license: null }, meta: {},
}));

type Decide = (doc: Document) => Outcome | Promise<Outcome>;
const FILTERS: Record<string, Promise<Decide>> = {
  language: langid.open(LangidConfig.parse({ stage: 'langid', min_score: 0.65 })),
  gopher_quality: quality.open(QualityConfig.parse({ stage: 'quality', rules: [{ rule: 'gopher_quality' }] })),
  gopher_repetition: quality.open(QualityConfig.parse({ stage: 'quality', rules: [{ rule: 'gopher_repetition' }] })),
  c4: quality.open(QualityConfig.parse({ stage: 'quality', rules: [{ rule: 'c4' }] })),
  fineweb: quality.open(QualityConfig.parse({ stage: 'quality', rules: [{ rule: 'fineweb' }] })),
  bad_words: quality.open(QualityConfig.parse({ stage: 'quality', rules: [{ rule: 'bad_words' }] })),
};

interface Ours { seconds: number; outcomes: Outcome[] }
const ours: Record<string, Ours> = {};
for (const [name, open] of Object.entries(FILTERS)) {
  const decide = await open;
  await decide(docs[0] as Document);
  const outcomes: Outcome[] = [];
  const start = process.cpuUsage();
  for (const doc of docs) outcomes.push(await decide(doc));
  const used = process.cpuUsage(start);
  ours[name] = { seconds: (used.user + used.system) / 1e6, outcomes };
}

const dir = mkdtempSync(join(tmpdir(), 'corpusflow-bench-quality-'));
const input = join(dir, 'docs.jsonl');
writeFileSync(input, corpus.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n');
const badWords = join(dir, 'en.txt');
writeFileSync(badWords, (JSON.parse(readFileSync(join(root, 'node_modules', 'naughty-words', 'en.json'), 'utf8')) as string[]).join('\n') + '\n');
type PeerDecision = [boolean, string | null, string?];
const peer = JSON.parse(execFileSync(python, [join(root, 'bench', 'quality_peer.py'), input, lidModel, badWords], { maxBuffer: 1 << 30, encoding: 'utf8' })) as Record<string, { seconds: number; decisions: PeerDecision[] }>;
rmSync(dir, { recursive: true, force: true });

const rate = (n: number, s: number) => Math.round(n / Math.max(s, 1e-9));
const perFilter: Record<string, unknown> = {};
let agreeAll = 0;
let totalAll = 0;
let oursSeconds = 0;
let peerSeconds = 0;
for (const name of Object.keys(FILTERS)) {
  const o = ours[name] as Ours;
  const p = peer[name];
  if (!p) throw new Error(`datatrove gave no result for ${name}`);
  const classes: Record<string, { count: number; example: string }> = {};
  let agree = 0;
  o.outcomes.forEach((out, i) => {
    const [kept, reason, extra] = p.decisions[i] ?? [false, null];
    const oursKept = out.action !== 'drop';
    let same = oursKept === kept;
    if (same && name === 'c4' && kept) same = (out.action === 'modify' ? out.text : docs[i]?.text) === extra;
    if (same) {
      agree++;
      return;
    }
    const key = `${oursKept ? (out.action === 'modify' ? 'modify' : 'keep') : out.reason} vs ${kept ? 'keep' : reason}${oursKept === kept ? ' (text differs)' : ''}`;
    const c = (classes[key] ??= { count: 0, example: corpus[i]?.id ?? '' });
    c.count++;
  });
  agreeAll += agree;
  totalAll += docs.length;
  oursSeconds += o.seconds;
  peerSeconds += p.seconds;
  perFilter[name] = {
    ours: rate(docs.length, o.seconds), datatrove: rate(docs.length, p.seconds), ratio: Number((p.seconds / o.seconds).toFixed(2)),
    agreement: Number((agree / docs.length).toFixed(5)), dropped: { ours: o.outcomes.filter((x) => x.action === 'drop').length, datatrove: p.decisions.filter((d) => !d[0]).length },
    disagreements: classes,
  };
  console.log(`${name.padEnd(18)} ours ${String(rate(docs.length, o.seconds)).padStart(7)} docs/s  datatrove ${String(rate(docs.length, p.seconds)).padStart(6)} docs/s  agreement ${(agree / docs.length * 100).toFixed(2)}%`);
  for (const [k, v] of Object.entries(classes)) console.log(`    ${String(v.count).padStart(4)}  ${k}   e.g. ${v.example}`);
}
const oursRate = rate(docs.length * Object.keys(FILTERS).length, oursSeconds);
const peerRate = rate(docs.length * Object.keys(FILTERS).length, peerSeconds);
console.log(JSON.stringify({
  bench: 'quality', unit: 'docs/s/core', docs: docs.length, ours: oursRate, peers: { datatrove: peerRate },
  ratios: { datatrove: Number((oursRate / peerRate).toFixed(2)), agreement: Number((agreeAll / totalAll).toFixed(5)) },
  targets: { datatrove: 3, agreement: 0.99 }, filters: perFilter,
}));
