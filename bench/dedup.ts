/**
 * Dedup against datatrove's MinHash pipeline and rensa's signatures on the same generated documents.
 * Same shingles (5 words), 112 permutations as 14 bands x 8 rows, on both sides.
 *   signatures: ours (normalise, shingle, 112 minima) vs rensa RMinHash (tokenise, shingle, update, digest)
 *   whole dedup: our four phases (signatures, buckets, clusters, filter; parquet in and out) vs
 *                datatrove's four (MinhashDedupSignature, -Buckets, -Cluster, -Filter; JSONL in and out)
 * All single-threaded, CPU seconds, so rates are per core. Prints removed counts on both sides.
 * Run: make bench B=dedup  (BENCH_DOCS=<n>, default 20000; BENCH_PARTS=<n> parts, default 4).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from '../schemas/document.js';
import type { RunPlan, TaskSpec } from '../schemas/run.js';
import { DedupConfig } from '../schemas/stages/dedup.js';
import { dedup } from '../stages/dedup/index.js';
import { minhashSignature, permutations } from '../stages/dedup/minhash.js';
import { writeDocuments } from '../src/parts/documents.js';
import type { PhaseContext } from '../src/stage.js';
import { storageFor } from '../src/storage/index.js';
import { mulberry32 } from '../src/prng.js';

const root = join(import.meta.dirname, '..', '..');
const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(root, '.venv-bench', 'bin', 'python');
const N = Number(process.env.BENCH_DOCS ?? 20000);
const PARTS = Number(process.env.BENCH_PARTS ?? 4);


/** Web-page sized documents (150-600 words, Zipf-like vocabulary); 10% near copies (5% of words changed), 5% exact copies. */
function corpus(n: number): { id: string; text: string }[] {
  const rand = mulberry32(7);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const vocab = Array.from({ length: 30000 }, () => Array.from({ length: 2 + Math.floor(rand() * 8) }, () => letters[Math.floor(rand() * 26)]).join(''));
  const word = () => vocab[Math.floor(vocab.length * rand() ** 2)] as string;
  const docs: { id: string; text: string }[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    const prev = docs[Math.floor(rand() * docs.length)];
    let text: string;
    if (prev && r < 0.1) text = prev.text.split(' ').map((w) => (rand() < 0.05 ? word() : w)).join(' ');
    else if (prev && r < 0.15) text = prev.text;
    else {
      const words = Array.from({ length: 150 + Math.floor(rand() * 450) }, word);
      for (let s = 12; s < words.length; s += 12 + Math.floor(rand() * 10)) words[s] = `${words[s] as string}.`;
      text = words.join(' ');
    }
    docs.push({ id: i.toString(16).padStart(32, '0'), text });
  }
  return docs;
}

const cpu = (f: () => Promise<void> | void) => async () => {
  const start = process.cpuUsage();
  await f();
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

const raw = corpus(N);
const dir = mkdtempSync(join(tmpdir(), 'corpusflow-bench-dedup-'));
const jsonl = join(dir, 'docs.jsonl');
writeFileSync(jsonl, raw.map((d) => JSON.stringify(d)).join('\n') + '\n');
const docs: Document[] = raw.map((d, i) => ({
  id: d.id, text: d.text, url: null, source: { uri: 'bench', offset: i, record_id: null, fetch_date: null, license: null }, meta: {},
}));

const config = DedupConfig.parse({ stage: 'dedup', exact: { text: false }, minhash: { ngram: 5, bands: 14, rows: 8 }, bucket_tasks: 2 });
const mh = config.minhash as NonNullable<typeof config.minhash>;

// Signatures alone, in memory.
const perm = permutations(112, mh.seed);
const sig = new Uint32Array(112);
const sigSeconds = await cpu(() => {
  for (const d of docs) minhashSignature(d.text, mh, perm, sig);
})();

// The whole stage, phase by phase, each task run in turn (as one worker would).
const stageDir = join(dir, 'ours');
const partUris: string[] = [];
for (let p = 0; p < PARTS; p++) {
  const uri = join(dir, 'in', `part-${p}.parquet`);
  await writeDocuments(storageFor(uri), uri, docs.filter((_, i) => i % PARTS === p));
  partUris.push(uri);
}
let removed = 0;
const phaseSeconds: Record<string, number> = {};
let inputs = partUris;
for (const phase of dedup.phases) {
  const specs: TaskSpec[] = phase.kind === 'per-part' ? inputs.map((part) => ({ kind: 'part', part }))
    : phase.kind === 'reduce' ? [{ kind: 'reduce', parts: inputs }]
    : Array.from({ length: config.bucket_tasks }, (_, index) => ({ kind: 'partition', index, count: config.bucket_tasks, parts: inputs }));
  const next: string[] = [];
  phaseSeconds[phase.name] = 0;
  for (const [taskIndex, spec] of specs.entries()) {
    const ctx: PhaseContext<DedupConfig> = {
      config, plan: {} as RunPlan, spec, taskIndex, stageDir, storage: storageFor, stats: {},
      event: (_id, action) => { if (action === 'drop') removed++; },
      row: () => {},
    };
    phaseSeconds[phase.name] = (phaseSeconds[phase.name] ?? 0) + await cpu(async () => {
      next.push(...(await phase.run(ctx)).outputs.map((o) => o.uri));
    })();
  }
  inputs = next;
}
const oursSeconds = Object.values(phaseSeconds).reduce((a, b) => a + b, 0);
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

const peer = JSON.parse(execFileSync(python, [join(root, 'bench', 'dedup_peer.py'), jsonl, join(dir, 'peer')], { maxBuffer: 1 << 30, encoding: 'utf8' })) as {
  rensa_seconds: number; rensa_update_seconds: number; datatrove_seconds: number; datatrove_phases: Record<string, number>; datatrove_removed: number;
};
rmSync(dir, { recursive: true, force: true });

const rate = (s: number) => Math.round(N / Math.max(s, 1e-9));
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
console.log(`signatures   ours ${rate(sigSeconds)} docs/s   rensa ${rate(peer.rensa_seconds)} docs/s (update+digest only ${rate(peer.rensa_update_seconds)})`);
console.log(`whole dedup  ours ${rate(oursSeconds)} docs/s   datatrove ${rate(peer.datatrove_seconds)} docs/s`);
console.log(`phases (s)   ours ${JSON.stringify(phaseSeconds)}   datatrove ${JSON.stringify(peer.datatrove_phases)}`);
console.log(`removed      ours ${removed}   datatrove ${peer.datatrove_removed}   of ${N}; max RSS ${maxRssMb} MB`);
console.log(JSON.stringify({
  bench: 'dedup', unit: 'docs/s/core', docs: N,
  ours: rate(oursSeconds),
  peers: { datatrove: rate(peer.datatrove_seconds), rensa_signatures: rate(peer.rensa_seconds) },
  ratios: { datatrove: ratio(peer.datatrove_seconds, oursSeconds), rensa_signatures: ratio(peer.rensa_seconds, sigSeconds) },
  targets: { datatrove: 5, rensa_signatures: 1 },
  signatures: { ours: rate(sigSeconds), rensa: rate(peer.rensa_seconds), rensa_update_only: rate(peer.rensa_update_seconds) },
  phases: { ours: phaseSeconds, datatrove: peer.datatrove_phases },
  removed: { ours: removed, datatrove: peer.datatrove_removed },
  max_rss_mb: maxRssMb,
}));
