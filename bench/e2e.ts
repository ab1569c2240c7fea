/**
 * End to end against datatrove: the same pipeline on the same WET files, one worker each.
 *
 *   ingest WET -> langid (lid.176, en, 0.65) -> Gopher repetition + Gopher quality + C4 + FineWeb
 *   -> MinHash dedup (5-word shingles, 14 x 8) -> PII (emails, public IPs) -> cl100k_base tokens
 *
 * Ours is a real `corpusflow run` (runLocal, one task thread: Parquet parts, provenance, catalog and
 * the release with its tars, all counted); datatrove is bench/python/e2e_peer.py (LocalPipelineExecutor,
 * workers=1). Each side runs in its own process so its peak RSS is its own. Rates are documents per
 * CPU second of that process (per core), so other load on the shared machine does not count against
 * either side; wall times are printed too. Per stage: CPU seconds spent in that stage (ours: between
 * stage boundaries of the run; datatrove: inside that step's generator) and the documents it received.
 *
 * Run: make bench B=e2e   (CORPUSFLOW_E2E_BYTES=<page text bytes>, default 1 GiB; the WET files are
 * built once under .bench/e2e-<bytes>/). See docs/performance.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PipelineSpec } from '../schemas/pipeline.js';
import type { RunSummary } from '../schemas/run.js';
import { DedupConfig } from '../schemas/stages/dedup.js';
import { LangidConfig } from '../schemas/stages/langid.js';
import type { Document } from '../schemas/document.js';
import { minhashSignature, permutations } from '../stages/dedup/minhash.js';
import { langid } from '../stages/langid/index.js';
import { tokenizer } from '../stages/shard/tokenizers.js';
import { runLocal } from '../src/executors/local.js';
import { e2eCorpus, type E2eCorpus } from './e2e-corpus.js';
import { writeTiktokenFile } from './tiktoken-file.js';
import { ROOT } from './warc-corpus.js';

const BYTES = Number(process.env.CORPUSFLOW_E2E_BYTES ?? 2 ** 30);
const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');
const lidModel = createRequire(import.meta.url).resolve('fasttext.wasm.js/dist/models/language-identification/assets/lid.176.ftz');
/** The stages as datatrove runs them: the rows of the table. */
const STAGES = ['ingest', 'langid', 'quality', 'dedup', 'pii', 'tokenize'] as const;
type Stage = (typeof STAGES)[number];

/** The pipeline, ours; e2e_peer.py builds datatrove's with the same thresholds. */
function pipeline(corpus: E2eCorpus): PipelineSpec {
  return PipelineSpec.parse({
    name: 'e2e-bench',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(corpus.dir, '*.warc.wet.gz'), format: 'wet' }] },
      // datatrove's LanguageFilter default threshold; English only, since the Gopher and FineWeb rules are English rules.
      { stage: 'langid', languages: ['en'], min_score: 0.65 },
      { stage: 'quality', rules: [{ rule: 'gopher_repetition' }, { rule: 'gopher_quality' }, { rule: 'c4' }, { rule: 'fineweb' }] },
      // MinHash only, as datatrove's four minhash steps: no exact-text or URL pass.
      { stage: 'dedup', exact: { text: false, url: false }, minhash: { unit: 'word', ngram: 5, bands: 14, rows: 8, seed: 1 } },
      // datatrove's PIIFormatter level: emails and public IPs.
      { stage: 'pii', entities: ['EMAIL', 'IP_ADDRESS'] },
      { stage: 'shard', tokenizer: 'cl100k_base', seq_len: 2048, samples_per_shard: 1024 },
    ],
  });
}

interface OursReport {
  /** CPU seconds per stage and phase (`dedup/signatures`), and `release` (catalog + publish). */
  cpu: Record<string, number>;
  cpu_seconds: number;
  wall_seconds: number;
  peak_rss_mb: number;
  /** Highest resident set sampled while each phase ran (MB, whole process: main thread and the task thread). */
  rss_mb: Record<string, number>;
  summary: RunSummary;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Child mode: run our pipeline with one task thread and report CPU per stage phase. */
async function runOurs(corpus: E2eCorpus, out: string): Promise<OursReport> {
  const cpu: Record<string, number> = {};
  const rss: Record<string, number> = {};
  let phase = 'ingest/read';
  const sampler = setInterval(() => {
    rss[phase] = Math.max(rss[phase] ?? 0, Math.round(process.memoryUsage.rss() / 2 ** 20));
  }, 100);
  let mark = cpuNow();
  const t0 = performance.now();
  const cpu0 = mark;
  const summary = await runLocal(
    { run_id: 'e2e', pipeline: pipeline(corpus), base_dir: ROOT, out },
    {
      threads: 1,
      // A phase's time runs from the previous phase's last report to this phase's last report.
      onProgress: (p) => {
        const key = `${p.stage}/${p.phase}`;
        const now = cpuNow();
        cpu[key] = (cpu[key] ?? 0) + now - mark;
        mark = now;
        if (p.tasks_done === p.tasks_total) phase = 'release';
        else phase = key;
      },
    },
  );
  cpu.release = cpuNow() - mark;
  clearInterval(sampler);
  return { cpu, rss_mb: rss, cpu_seconds: cpuNow() - cpu0, wall_seconds: (performance.now() - t0) / 1000, peak_rss_mb: process.resourceUsage().maxRSS / 1024, summary };
}

interface PeerReport {
  steps: Record<string, { cpu_seconds: number; docs_out: number }>;
  runs: Record<string, { cpu_seconds: number; wall_seconds: number }>;
  wall_seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
  tokens: number;
}

function child(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-4000)}`))));
  });
}

/** CPU seconds `run` takes on this thread. */
async function cpuOf(run: () => unknown): Promise<number> {
  const t0 = cpuNow();
  await run();
  return Math.max(cpuNow() - t0, 1e-6);
}

/**
 * What one core does at the bottom of each stage, on this corpus's pages: the ceilings in
 * docs/performance.md. gunzip and sha256 over one WET file; MinHash signatures, cl100k_base encoding
 * and lid.176 over its first 3,000 pages.
 */
async function limits(corpus: E2eCorpus): Promise<Record<string, number>> {
  const gz = readFileSync(corpus.files[0] as string);
  let raw = Buffer.alloc(0);
  const gunzip = await cpuOf(() => (raw = gunzipSync(gz)));
  const gunzipMb = raw.length / 1e6 / gunzip;
  const shaMb = raw.length / 1e6 / (await cpuOf(() => createHash('sha256').update(raw).digest()));
  const texts = raw.toString('utf8').split('WARC/1.0\r\n').slice(1, 3001).map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
  const textMb = texts.reduce((n, s) => n + Buffer.byteLength(s), 0) / 1e6;
  const mh = DedupConfig.parse({ stage: 'dedup' }).minhash as NonNullable<DedupConfig['minhash']>;
  const perm = permutations(mh.bands * mh.rows, mh.seed);
  const sig = new Uint32Array(mh.bands * mh.rows);
  const minhash = await cpuOf(() => texts.forEach((s) => minhashSignature(s, mh, perm, sig)));
  const tok = await tokenizer('cl100k_base');
  tok.encode('warm up');
  const encode = await cpuOf(() => texts.forEach((s) => tok.encode(s)));
  const decide = await langid.open(LangidConfig.parse({ stage: 'langid' }));
  const doc = (text: string): Document => ({ id: '0', text, url: null, source: { uri: '', offset: 0, record_id: null, fetch_date: null, license: null }, meta: {} });
  const lid = await cpuOf(async () => {
    for (const s of texts) await decide(doc(s));
  });
  const r = (x: number) => Math.round(x);
  return {
    gunzip_mb_s: r(gunzipMb), sha256_mb_s: r(shaMb),
    minhash_docs_s: r(texts.length / minhash), minhash_mb_s: r(textMb / minhash),
    tokenize_docs_s: r(texts.length / encode), tokenize_mb_s: r(textMb / encode),
    langid_docs_s: r(texts.length / lid), langid_mb_s: r(textMb / lid),
  };
}

async function main(): Promise<void> {
  const work = join(ROOT, '.bench', 'e2e-run');
  if (process.argv[2] === 'ours') {
    const corpus = JSON.parse(readFileSync(process.argv[3] as string, 'utf8')) as E2eCorpus;
    // A fresh run every time: a stored run would return its finished tasks without running them.
    rmSync(join(work, 'ours'), { recursive: true, force: true });
    process.stdout.write(JSON.stringify(await runOurs(corpus, join(work, 'ours'))) + '\n');
    return;
  }
  console.log(`e2e bench: ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
  let t = performance.now();
  const corpus = e2eCorpus(BYTES);
  console.log(`corpus: ${corpus.files.length} WET files in ${corpus.dir}, ${corpus.docs} pages, ${(corpus.text_bytes / 1e6).toFixed(0)} MB text, ${(corpus.gz_bytes / 1e6).toFixed(0)} MB gzip ` +
    `(${JSON.stringify(corpus.kinds)}; ready in ${((performance.now() - t) / 1000).toFixed(0)} s)`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const bpe = join(work, 'cl100k_base.tiktoken');
  await writeTiktokenFile(bpe);

  const limit = await limits(corpus);
  console.log(`one-core ceilings: ${JSON.stringify(limit)}`);

  // Ours first, then datatrove: one at a time, so neither takes a core from the other.
  const corpusJson = join(corpus.dir, 'corpus.json');
  t = performance.now();
  const ours = JSON.parse(await child(process.execPath, [process.argv[1] as string, 'ours', corpusJson], process.env)) as OursReport;
  console.log(`ours done in ${((performance.now() - t) / 1000).toFixed(0)} s wall`);
  const peerEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1', RAYON_NUM_THREADS: '1', TOKENIZERS_PARALLELISM: 'false', TIKTOKEN_CACHE_DIR: '', PYTHONHASHSEED: '0' };
  const peer = JSON.parse(await child(python, [join(ROOT, 'bench', 'python', 'e2e_peer.py'), corpus.dir, join(work, 'datatrove'), lidModel, bpe, String(corpus.files.length)], peerEnv)) as PeerReport;
  console.log(`datatrove done: ${peer.wall_seconds.toFixed(0)} s wall`);

  // Stage CPU seconds and the documents each stage received, both sides.
  const oursStage = (s: Stage) => {
    const name = s === 'tokenize' ? 'shard' : s;
    return Object.entries(ours.cpu).filter(([k]) => k.split('/')[0] === name).reduce((n, [, v]) => n + v, 0);
  };
  const oursIn = (s: Stage) => ours.summary.stages.find((x) => x.name === (s === 'tokenize' ? 'shard' : s))?.docs_in ?? 0;
  const step = (n: string) => peer.steps[n] ?? { cpu_seconds: 0, docs_out: 0 };
  const peerStage: Record<Stage, { cpu: number; docs: number }> = {
    ingest: { cpu: step('read').cpu_seconds, docs: step('read').docs_out },
    langid: { cpu: step('langid').cpu_seconds, docs: step('read').docs_out },
    quality: { cpu: ['gopher_repetition', 'gopher_quality', 'c4', 'fineweb'].reduce((n, k) => n + step(k).cpu_seconds, 0), docs: step('langid').docs_out },
    // datatrove's MinHash needs the filtered documents written and read twice: that IO is the dedup's.
    dedup: {
      cpu: ['write_filtered', 'read_filtered', 'minhash_signatures', 'minhash_buckets', 'minhash_clusters', 'read_filtered_again', 'minhash_filter'].reduce((n, k) => n + step(k).cpu_seconds, 0),
      docs: step('fineweb').docs_out,
    },
    pii: { cpu: step('pii').cpu_seconds, docs: step('minhash_filter').docs_out },
    tokenize: { cpu: step('tokenize').cpu_seconds, docs: step('pii').docs_out },
  };
  const rate = (docs: number, s: number) => docs / Math.max(s, 1e-9);
  const round = (x: number, d = 0) => Number(x.toFixed(d));
  const input = ours.summary.stages[0]?.docs_in ?? corpus.docs;
  const rows = STAGES.map((s) => {
    const o = rate(oursIn(s), oursStage(s));
    const p = rate(peerStage[s].docs, peerStage[s].cpu);
    return { stage: s, ours_docs: oursIn(s), ours_cpu: oursStage(s), ours: o, peer_docs: peerStage[s].docs, peer_cpu: peerStage[s].cpu, peer: p, ratio: o / p };
  });
  const oursE2e = rate(input, ours.cpu_seconds);
  // Both per input page: datatrove's WarcReader skips some pages (libmagic does not call them text/plain), and does less after.
  const peerE2e = rate(input, peer.cpu_seconds);

  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log('');
  console.log(`${'stage'.padEnd(10)}${pad('ours docs', 11)}${pad('CPU s', 9)}${pad('docs/s/core', 13)} |${pad('datatrove docs', 15)}${pad('CPU s', 9)}${pad('docs/s/core', 13)} |${pad('ratio', 7)}`);
  for (const r of rows) {
    console.log(`${r.stage.padEnd(10)}${pad(r.ours_docs, 11)}${pad(r.ours_cpu.toFixed(1), 9)}${pad(round(r.ours), 13)} |${pad(r.peer_docs, 15)}${pad(r.peer_cpu.toFixed(1), 9)}${pad(round(r.peer), 13)} |${pad(r.ratio.toFixed(2), 7)}`);
  }
  console.log(`${'release'.padEnd(10)}${pad('', 11)}${pad((ours.cpu.release ?? 0).toFixed(1), 9)}${pad('', 13)} |  (catalog + publish: ours only)`);
  console.log(`${'end to end'.padEnd(10)}${pad(input, 11)}${pad(ours.cpu_seconds.toFixed(1), 9)}${pad(round(oursE2e), 13)} |${pad(input, 15)}${pad(peer.cpu_seconds.toFixed(1), 9)}${pad(round(peerE2e), 13)} |${pad((oursE2e / peerE2e).toFixed(2), 7)}`);
  console.log(`wall: ours ${ours.wall_seconds.toFixed(1)} s, datatrove ${peer.wall_seconds.toFixed(1)} s; peak RSS: ours ${ours.peak_rss_mb.toFixed(0)} MB, datatrove ${peer.peak_rss_mb.toFixed(0)} MB`);
  console.log(`out: ours ${ours.summary.documents} documents, ${ours.summary.tokens} tokens; datatrove ${step('tokenize').docs_out} documents, ${peer.tokens} tokens`);
  console.log(`ours peak RSS by phase (MB): ${JSON.stringify(ours.rss_mb)}`);
  console.log(`ours by phase (CPU s): ${JSON.stringify(Object.fromEntries(Object.entries(ours.cpu).map(([k, v]) => [k, round(v, 1)])))}`);
  console.log(`datatrove by step (CPU s): ${JSON.stringify(Object.fromEntries(Object.entries(peer.steps).map(([k, v]) => [k, round(v.cpu_seconds, 1)])))}`);
  console.log(JSON.stringify({
    bench: 'e2e', unit: 'docs/s/core',
    ours: round(oursE2e, 1), peers: { datatrove: round(peerE2e, 1) }, ratios: { datatrove: round(oursE2e / peerE2e, 2) }, targets: { datatrove: 3 },
    stages: Object.fromEntries(rows.map((r) => [r.stage, { ours: round(r.ours), datatrove: round(r.peer), ratio: round(r.ratio, 2), ours_docs: r.ours_docs, datatrove_docs: r.peer_docs }])),
    stage_targets: { datatrove: 1 },
    wall_seconds: { ours: round(ours.wall_seconds, 1), datatrove: round(peer.wall_seconds, 1) },
    cpu_seconds: { ours: round(ours.cpu_seconds, 1), datatrove: round(peer.cpu_seconds, 1) },
    peak_rss_mb: { ours: round(ours.peak_rss_mb), datatrove: round(peer.peak_rss_mb), ours_by_phase: ours.rss_mb },
    docs: { input, ours_out: ours.summary.documents, datatrove_out: step('tokenize').docs_out },
    tokens: { ours: ours.summary.tokens, datatrove: peer.tokens },
    corpus: { text_mb: round(corpus.text_bytes / 1e6), gz_mb: round(corpus.gz_bytes / 1e6), files: corpus.files.length },
    limits: limit,
  }));
}

await main();
