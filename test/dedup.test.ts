import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { DedupConfig } from '../schemas/stages/dedup.js';
import { runLocal } from '../src/executors/local.js';
import { collisionProbability, estimatedJaccard, minhashSignature, normalisedWords, permutations, shingleHashes } from '../stages/dedup/minhash.js';
import { query } from './helpers/catalog.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';
import { mulberry32 } from '../src/prng.js';

const LICENSES = '/usr/share/common-licenses';
const LICENSE_TEXTS = ['GFDL-1.2', 'GFDL-1.3', 'LGPL-2', 'LGPL-2.1', 'GPL-2'];


/** The 5-word shingles of a text, as strings: the brute-force ground truth shares no code with the stage. */
function shingles(text: string): Set<string> {
  const w = normalisedWords(text);
  const s = new Set<string>();
  for (let i = 0; i + 5 <= w.length; i++) s.add(w.slice(i, i + 5).join(' '));
  return s;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

interface Rec { id: string; text: string }

/** Base documents of random words, each with one variant whose words are replaced at a rate from 0 to 20%. */
function plantedCorpus(bases: number): Rec[] {
  const rand = mulberry32(42);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const vocab = Array.from({ length: 5000 }, () => Array.from({ length: 3 + Math.floor(rand() * 6) }, () => letters[Math.floor(rand() * 26)]).join(''));
  const word = () => vocab[Math.floor(rand() * vocab.length)] as string;
  const recs: Rec[] = [];
  for (let b = 0; b < bases; b++) {
    const words = Array.from({ length: 250 }, word);
    const rate = (0.2 * b) / bases;
    recs.push({ id: `base-${b}`, text: words.join(' ') });
    recs.push({ id: `variant-${b}`, text: words.map((w) => (rand() < rate ? word() : w)).join(' ') });
  }
  for (const name of LICENSE_TEXTS) recs.push({ id: name, text: readFileSync(join(LICENSES, name), 'utf8') });
  // Exact duplicates up to whitespace: same text after NFC, trim and whitespace collapsing.
  for (let b = 0; b < 5; b++) recs.push({ id: `copy-${b}`, text: `  ${(recs[2 * b] as Rec).text.replaceAll(' ', ' \n ')}\n` });
  return recs;
}

/** Every pair with Jaccard above 0, found through shared shingles and then measured exactly. */
function groundTruth(recs: Rec[]): Map<string, number> {
  const sets = recs.map((r) => shingles(r.text));
  const byShingle = new Map<string, number[]>();
  sets.forEach((s, i) => {
    for (const x of s) {
      const l = byShingle.get(x);
      if (l) l.push(i);
      else byShingle.set(x, [i]);
    }
  });
  const pairs = new Map<string, number>();
  for (const l of byShingle.values()) {
    for (let i = 0; i < l.length; i++) {
      for (let j = i + 1; j < l.length; j++) {
        const [a, b] = [recs[l[i] as number] as Rec, recs[l[j] as number] as Rec];
        const key = [a.id, b.id].sort().join('|');
        if (!pairs.has(key)) pairs.set(key, jaccard(sets[l[i] as number] as Set<string>, sets[l[j] as number] as Set<string>));
      }
    }
  }
  return pairs;
}

const BANDS = 14;
const ROWS = 8;
/** Where the S-curve of 14 x 8 crosses 1/2 (approximately (1/b)^(1/r)). */
const THRESHOLD = (1 / BANDS) ** (1 / ROWS);

async function dedupRun(recs: Rec[], name: string, opts: { taskBytes: number; bucketTasks: number; threads: number; minhash?: object; sortRecords?: number }) {
  const dir = await tempDir(`dedup-${name}`);
  const corpus = join(dir, 'corpus.jsonl');
  const preferred = join(dir, 'preferred.jsonl');
  await writeFile(corpus, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // A second source holding an exact copy of base-7: source_rank makes it the survivor.
  await writeFile(preferred, JSON.stringify({ id: 'preferred-7', text: (recs[14] as Rec).text }) + '\n');
  const pipeline = await writePipeline(dir, {
    name: 'dedup-test',
    stages: [
      { stage: 'ingest', task_bytes: opts.taskBytes, inputs: [{ uri: corpus, format: 'jsonl', id_field: 'id' }, { uri: preferred, format: 'jsonl', id_field: 'id' }] },
      {
        stage: 'dedup', minhash: { bands: BANDS, rows: ROWS, ...opts.minhash }, priority: ['source_rank'], source_rank: [preferred],
        bucket_tasks: opts.bucketTasks, ...(opts.sortRecords ? { bucket_sort_records: opts.sortRecords } : {}),
      },
      { stage: 'shard', seq_len: 4096 },
    ],
  });
  const summary = await runLocal(await request(pipeline, join(dir, 'out'), name), { threads: opts.threads });
  const bucketResults = join(dir, 'out', 'runs', name, '01-dedup', 'buckets', 'results');
  const stats = await Promise.all((await readdir(bucketResults)).sort().map(async (f) => (JSON.parse(await readFile(join(bucketResults, f), 'utf8')) as { stats: Record<string, number> }).stats));
  return { summary, db: join(summary.release_dir, 'provenance.duckdb'), bucketStats: stats };
}

const recs = plantedCorpus(400);
let truth: Map<string, number>;
let run: Awaited<ReturnType<typeof dedupRun>>;
let clustered: Set<string>;

before(async () => {
  truth = groundTruth(recs);
  // The smallest sort buffer (1024 records) makes every bucket task spill and merge many runs.
  run = await dedupRun(recs, 'a', { taskBytes: 64 * 1024, bucketTasks: 3, threads: 2, sortRecords: 1024 });
  const rows = await query(run.db, `SELECT DISTINCT c.cluster_id, d.record_id FROM dedup_clusters c JOIN documents d USING (doc_id)`);
  const members = new Map<string, string[]>();
  for (const r of rows) members.set(String(r.cluster_id), [...(members.get(String(r.cluster_id)) ?? []), String(r.record_id)]);
  clustered = new Set();
  for (const m of members.values()) for (const a of m) for (const b of m) if (a < b) clustered.add(`${a}|${b}`);
});

test('the dedup config rejects what it cannot run and names the path', () => {
  const bad = DedupConfig.safeParse({ stage: 'dedup', minhash: { bands: 0 } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['minhash', 'bands']);
});

test('word shingles split and fold text exactly as the normalised words do, in any script', () => {
  const text = 'Straße 42, STRASSE 17! Ünïcode—ÜNÏCODE; 東京 𠀋𠀋 ٣٤ x٣ naïve… e\u0301 the THE the. 🙂🙂 über-Über';
  const words = normalisedWords(text);
  const { lo, hi } = shingleHashes(text, 'word', 1);
  assert.equal(lo.length, words.length);
  for (let i = 0; i < words.length; i++) {
    for (let j = 0; j < words.length; j++) {
      assert.equal(lo[i] === lo[j] && hi[i] === hi[j], words[i] === words[j], `${words[i]} / ${words[j]}`);
    }
  }
});

test('the MinHash estimate of planted pairs is unbiased against brute-force Jaccard', () => {
  const cfg = { unit: 'word' as const, ngram: 5, bands: 16, rows: 16, seed: 3, min_similarity: null, similarity: 'signature' as const };
  const perm = permutations(256, cfg.seed);
  let err = 0;
  let n = 0;
  for (let b = 0; b < 800; b += 20) {
    const [x, y] = [recs[b] as Rec, recs[b + 1] as Rec];
    const sx = new Uint32Array(256);
    const sy = new Uint32Array(256);
    minhashSignature(x.text, cfg, perm, sx);
    minhashSignature(y.text, cfg, perm, sy);
    err += estimatedJaccard(sx, sy) - jaccard(shingles(x.text), shingles(y.text));
    n++;
  }
  // Mean error over 40 pairs of 256 permutations: its standard error is about 0.005.
  assert.ok(Math.abs(err / n) < 0.02, `mean error ${err / n}`);
});

test('precision and recall against brute-force Jaccard follow the S-curve of 14 bands x 8 rows', () => {
  const pairs = [...truth.entries()].filter(([k]) => !k.includes('preferred'));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let eTp = 0;
  let eFp = 0;
  let eFn = 0;
  const bins = Array.from({ length: 10 }, () => ({ pairs: 0, hit: 0, expected: 0 }));
  for (const [k, s] of pairs) {
    const hit = clustered.has(k);
    const p = collisionProbability(s, BANDS, ROWS);
    const bin = bins[Math.min(9, Math.floor(s * 10))] as { pairs: number; hit: number; expected: number };
    bin.pairs++;
    bin.hit += hit ? 1 : 0;
    bin.expected += p;
    if (s >= THRESHOLD) {
      if (hit) tp++;
      else fn++;
      eTp += p;
      eFn += 1 - p;
    } else {
      if (hit) fp++;
      eFp += p;
    }
  }
  for (const [i, b] of bins.entries()) {
    if (b.pairs < 20) continue;
    // Binomial spread of 20+ pairs is at most 0.11; 0.25 is over two of those.
    assert.ok(Math.abs(b.hit - b.expected) / b.pairs < 0.25, `J in [${i / 10}, ${(i + 1) / 10}): ${b.hit}/${b.pairs} clustered, S-curve expects ${b.expected.toFixed(1)}`);
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  const expectedPrecision = eTp / (eTp + eFp);
  const expectedRecall = eTp / (eTp + eFn);
  console.log(JSON.stringify({ threshold: THRESHOLD, precision, recall, expectedPrecision, expectedRecall, bins }));
  assert.ok(Math.abs(precision - expectedPrecision) < 0.08, `precision ${precision} vs ${expectedPrecision}`);
  assert.ok(Math.abs(recall - expectedRecall) < 0.08, `recall ${recall} vs ${expectedRecall}`);
  assert.ok(recall > 0.9, `recall ${recall}`);
});

test('the GFDL 1.2 and 1.3 texts are near-duplicates and GPL-2 is not one of LGPL-2', () => {
  assert.ok((truth.get('GFDL-1.2|GFDL-1.3') ?? 0) > 0.85);
  assert.ok(clustered.has('GFDL-1.2|GFDL-1.3'));
  assert.ok((truth.get('GPL-2|LGPL-2') ?? 1) < 0.4);
  assert.ok(!clustered.has('GPL-2|LGPL-2'));
});

test('every removed document has a drop event naming its survivor, and exact copies say exact_duplicate', async () => {
  const drops = await query(run.db, `
    SELECT d.record_id, e.reason, json_extract_string(e.detail, '$.survivor') AS survivor, s.record_id AS survivor_record
    FROM doc_events e JOIN documents d USING (doc_id) LEFT JOIN documents s ON s.doc_id = json_extract_string(e.detail, '$.survivor')
    WHERE e.stage = 'dedup' AND e.action = 'drop'`);
  const [clusterRows] = await query(run.db, `SELECT count(*) AS n FROM dedup_clusters WHERE NOT kept`);
  assert.equal(drops.length, clusterRows?.n);
  for (const d of drops) assert.ok(d.survivor_record, `${String(d.record_id)} names a survivor that exists`);
  const copies = drops.filter((d) => String(d.record_id).startsWith('copy-') || d.record_id === 'base-7');
  assert.ok(copies.length >= 5);
  for (const c of copies) assert.equal(c.reason, 'exact_duplicate');
  // source_rank prefers the second source: its copy of base-7 survives.
  const base7 = drops.find((d) => d.record_id === 'base-7');
  assert.equal(base7?.survivor_record, 'preferred-7');
  const [funnel] = await query(run.db, `SELECT count(*) AS n FROM doc_events WHERE stage = 'dedup' AND action = 'keep'`);
  assert.equal((funnel?.n as number) + drops.length, recs.length + 1);
});

test('the same input gives the same clusters and survivors whatever the task count and order', async () => {
  const other = await dedupRun(recs, 'b', { taskBytes: 1024 * 1024, bucketTasks: 1, threads: 1 });
  const sql = `SELECT c.method, c.cluster_id, d.record_id, c.kept, round(c.similarity, 6) AS similarity
               FROM dedup_clusters c JOIN documents d USING (doc_id) ORDER BY ALL`;
  const a = await query(run.db, sql);
  const b = await query(other.db, sql);
  assert.ok(a.length > 150, `${a.length} cluster rows`);
  assert.deepEqual(b, a);
  const [tasksA] = await query(run.db, `SELECT count(*) AS n FROM tasks WHERE stage = 'dedup' AND phase = 'signatures'`);
  const [tasksB] = await query(other.db, `SELECT count(*) AS n FROM tasks WHERE stage = 'dedup' AND phase = 'signatures'`);
  assert.notEqual(tasksA?.n, tasksB?.n);
  // Run a sorted its buckets out of core, run b in memory: the clusters above are the same.
  for (const st of run.bucketStats) assert.ok((st.sorted_runs as number) > 3, `${st.sorted_runs} runs`);
  assert.deepEqual(other.bucketStats.map((st) => st.sorted_runs), [1]);
});

test('with the exact false-positive check, every accepted near-duplicate pair has true Jaccard at least min_similarity', async () => {
  const checked = await dedupRun(recs, 'c', { taskBytes: 64 * 1024, bucketTasks: 2, threads: 2, minhash: { min_similarity: 0.8, similarity: 'shingles' } });
  const rows = await query(checked.db, `
    SELECT c.cluster_id, d.record_id, c.method FROM dedup_clusters c JOIN documents d USING (doc_id) ORDER BY ALL`);
  const members = new Map<string, string[]>();
  for (const r of rows) if (r.method === 'minhash' || !String(r.record_id).startsWith('copy')) members.set(String(r.cluster_id), [...new Set([...(members.get(String(r.cluster_id)) ?? []), String(r.record_id)])]);
  let pairs = 0;
  for (const m of members.values()) {
    // Planted clusters are a base, its variant and whitespace copies: every pair among base and variant was checked.
    const near = m.filter((id) => !id.startsWith('copy') && !id.startsWith('preferred'));
    for (const a of near) for (const b of near) if (a < b) {
      pairs++;
      const s = truth.get(`${a}|${b}`) ?? 0;
      assert.ok(s >= 0.8, `${a} / ${b} merged at Jaccard ${s}`);
    }
  }
  assert.ok(pairs > 50, `${pairs} near-duplicate pairs`);
  const below = checked.bucketStats.reduce((n, st) => n + (st.pairs_below_min_similarity as number), 0);
  const candidates = [...truth.entries()].filter(([k, s]) => s < 0.8 && clustered.has(k)).length;
  // The unchecked run clustered pairs under 0.8; the check rejected them (each seen in one or more bands).
  assert.ok(candidates > 10 && below >= candidates, `${below} rejected, ${candidates} clustered under 0.8 without the check`);
  assert.ok(checked.bucketStats.every((st) => (st.pairs_checked as number) >= (st.pairs_below_min_similarity as number)));
});
