/**
 * Dedup at scale: BENCH_DOCS (default 1,000,000) generated web-page-like documents with planted
 * near-duplicates, through the four phases of the dedup stage, every task in its own process (as a
 * worker would run it) so each task's peak RSS is measured. Prints CPU seconds per phase, docs/s per
 * core for the whole stage, and the largest peak RSS of any task of each phase. No peer: datatrove
 * needs hours for 1M documents on one core (see bench/dedup.ts for the side-by-side figures).
 * Run: make bench B=dedup-scale  (BENCH_DOCS, BENCH_PART_DOCS = documents per part, default 50000).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document } from '../schemas/document.js';
import type { RunPlan, TaskSpec } from '../schemas/run.js';
import { DedupConfig } from '../schemas/stages/dedup.js';
import { dedup } from '../stages/dedup/index.js';
import { writeDocuments } from '../src/parts/documents.js';
import type { PhaseContext } from '../src/stage.js';
import { storageFor } from '../src/storage/index.js';
import { mulberry32 } from '../src/prng.js';

const config = DedupConfig.parse({ stage: 'dedup', minhash: { ngram: 5, bands: 14, rows: 8 }, bucket_tasks: 4 });

interface TaskRun { outputs: string[]; cpu: number; max_rss_mb: number; removed: number; stats: Record<string, unknown> }

/** Child mode: run one task of one phase and print what it did. */
async function runTask(arg: { phase: string; spec: TaskSpec; taskIndex: number; stageDir: string }): Promise<void> {
  const phase = dedup.phases.find((p) => p.name === arg.phase);
  if (!phase) throw new Error(`no phase ${arg.phase}`);
  let removed = 0;
  const stats: Record<string, unknown> = {};
  const ctx: PhaseContext<DedupConfig> = {
    config, plan: { base_dir: arg.stageDir } as RunPlan, spec: arg.spec, taskIndex: arg.taskIndex, stageDir: arg.stageDir, storage: storageFor, stats,
    event: (_id, action) => { if (action === 'drop') removed++; },
    row: () => {},
  };
  const start = process.cpuUsage();
  const out = await phase.run(ctx);
  const u = process.cpuUsage(start);
  const result: TaskRun = { outputs: out.outputs.map((o) => o.uri), cpu: (u.user + u.system) / 1e6, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), removed, stats };
  process.stdout.write(JSON.stringify(result));
}


async function main(): Promise<void> {
  const N = Number(process.env.BENCH_DOCS ?? 1_000_000);
  const PART = Number(process.env.BENCH_PART_DOCS ?? 50_000);
  const dir = mkdtempSync(join(tmpdir(), 'corpusflow-bench-dedup-scale-'));
  const rand = mulberry32(13);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const vocab = Array.from({ length: 50000 }, () => Array.from({ length: 2 + Math.floor(rand() * 8) }, () => letters[Math.floor(rand() * 26)]).join(''));
  const word = () => vocab[Math.floor(vocab.length * rand() ** 2)] as string;
  // Near copies come from the last 5000 originals (any part), so memory stays bounded while generating.
  const recent: string[] = [];
  const parts: string[] = [];
  let planted = 0;
  let genSeconds = 0;
  for (let p = 0, id = 0; id < N; p++) {
    const t = performance.now();
    const docs: Document[] = [];
    for (; docs.length < PART && id < N; id++) {
      const r = rand();
      const prev = recent[Math.floor(rand() * recent.length)];
      let text: string;
      if (prev && r < 0.1) {
        text = prev.split(' ').map((w) => (rand() < 0.03 ? word() : w)).join(' ');
        planted++;
      } else if (prev && r < 0.15) {
        text = prev;
        planted++;
      } else {
        text = Array.from({ length: 80 + Math.floor(rand() * 220) }, word).join(' ');
        if (recent.length === 5000) recent[Math.floor(rand() * 5000)] = text;
        else recent.push(text);
      }
      docs.push({ id: id.toString(16).padStart(32, '0'), text, url: null, source: { uri: 'bench', offset: id, record_id: null, fetch_date: null, license: null }, meta: {} });
    }
    const uri = join(dir, 'in', `part-${String(p).padStart(5, '0')}.parquet`);
    await writeDocuments(storageFor(uri), uri, docs);
    parts.push(uri);
    genSeconds += (performance.now() - t) / 1000;
  }
  console.log(`generated ${N} documents (${planted} planted copies) in ${parts.length} parts, ${genSeconds.toFixed(0)} s`);

  const stageDir = join(dir, 'dedup');
  const self = fileURLToPath(import.meta.url);
  const phases: Record<string, { cpu: number; max_rss_mb: number; tasks: number }> = {};
  let removed = 0;
  let bucketStats: Record<string, unknown>[] = [];
  let inputs = parts;
  for (const phase of dedup.phases) {
    const specs: TaskSpec[] = phase.kind === 'per-part' ? inputs.map((part) => ({ kind: 'part', part }))
      : phase.kind === 'reduce' ? [{ kind: 'reduce', parts: inputs }]
      : Array.from({ length: config.bucket_tasks }, (_, index) => ({ kind: 'partition', index, count: config.bucket_tasks, parts: inputs }));
    const next: string[] = [];
    const agg = { cpu: 0, max_rss_mb: 0, tasks: specs.length };
    const stats: Record<string, unknown>[] = [];
    for (const [taskIndex, spec] of specs.entries()) {
      const out = JSON.parse(execFileSync(process.execPath, [self, JSON.stringify({ phase: phase.name, spec, taskIndex, stageDir })], { encoding: 'utf8', maxBuffer: 1 << 26 })) as TaskRun;
      next.push(...out.outputs);
      agg.cpu += out.cpu;
      agg.max_rss_mb = Math.max(agg.max_rss_mb, out.max_rss_mb);
      if (phase.name === 'filter') removed += out.removed;
      stats.push(out.stats);
    }
    if (phase.name === 'buckets') bucketStats = stats;
    phases[phase.name] = { ...agg, cpu: Number(agg.cpu.toFixed(2)) };
    console.log(`${phase.name.padEnd(10)} ${specs.length} tasks  ${agg.cpu.toFixed(1)} s CPU  peak RSS per task ${agg.max_rss_mb} MB`);
    inputs = next;
  }
  rmSync(dir, { recursive: true, force: true });
  const cpu = Object.values(phases).reduce((s, p) => s + p.cpu, 0);
  const rate = Math.round(N / cpu);
  console.log(`whole dedup ${rate} docs/s/core over ${N} documents; removed ${removed} of ${planted} planted copies`);
  console.log(JSON.stringify({
    bench: 'dedup-scale', unit: 'docs/s/core', docs: N, ours: rate, peers: {}, ratios: {}, targets: {},
    phases, removed, planted, peak_rss_mb_per_task: Math.max(...Object.values(phases).map((p) => p.max_rss_mb)),
    bucket_tasks: bucketStats.map((s) => ({ records: s.records, sorted_runs: s.sorted_runs, candidate_pairs: s.candidate_pairs, forest_edges: s.forest_edges })),
    part_docs: PART, sort_buffer_records: config.bucket_sort_records,
  }));
}

const arg = process.argv[2];
if (arg) await runTask(JSON.parse(arg) as { phase: string; spec: TaskSpec; taskIndex: number; stageDir: string });
else await main();
