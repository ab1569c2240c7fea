/**
 * Scaling from 1 to 2 Temporal workers on a corpus of even tasks: CORPUSFLOW_WORKERS_DOCS bench
 * documents (default 4,800, bench/corpus.ts: UDHR-built, 2-5 KB) dealt round-robin into
 * CORPUSFLOW_WORKERS_FILES JSONL files (default 24), so every file holds the same mix of languages
 * and sizes; ingest → langid → shard, 3 × files + 1 tasks, all even but the final pack. Each
 * repetition runs the local executor with 1 and with 2 task threads, then Temporal with 1 worker,
 * then with 2 workers on one task queue (1 task thread each, fresh, warmed as in
 * bench/temporal.ts), on the dev server on loopback. speedup = wall time with 1 worker / wall time
 * with 2 (ideal 2); the local executor's 1 -> 2 thread speedup in the same repetition is what this
 * machine's cores give at the moment (on a shared machine, far less than 2).
 * The quickstart (bench/temporal.ts) is too small and uneven for this: 43 tasks, one big file, and
 * each worker thread loads the langid model and the tokenizer once.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { PipelineSpec } from '../schemas/pipeline.js';
import { runLocal } from '../src/executors/local.js';
import type { RunRequest } from '../src/run/plan.js';
import { submitRun } from '../temporal/client.js';
import { startDevServer } from '../temporal/dev-server.js';
import { startWorker } from '../temporal/worker.js';
import { buildCorpus, writeCorpus } from './corpus.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DOCS = Number(process.env.CORPUSFLOW_WORKERS_DOCS ?? 4800);
const FILES = Number(process.env.CORPUSFLOW_WORKERS_FILES ?? 24);
const REPEATS = Number(process.env.CORPUSFLOW_BENCH_REPEATS ?? 2);
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-bench-workers-'));
  await mkdir(join(dir, 'in'));
  const corpus = buildCorpus(ROOT, DOCS, null);
  for (let f = 0; f < FILES; f++) writeCorpus(join(dir, 'in', `${String(f).padStart(3, '0')}.jsonl`), corpus.docs.filter((_, i) => i % FILES === f));
  const stages = [{ stage: 'langid' }, { stage: 'shard', tokenizer: 'cl100k_base', seq_len: 512, samples_per_shard: 256 }];
  const spec = PipelineSpec.parse({ name: 'workers', stages: [{ stage: 'ingest', inputs: [{ uri: join(dir, 'in', '*.jsonl'), format: 'jsonl', id_field: 'id' }] }, ...stages] });
  const unmatched = PipelineSpec.parse({ name: 'workers', stages: [{ stage: 'ingest', inputs: [{ uri: join(dir, 'none', '*.jsonl'), format: 'jsonl' }] }, ...stages] });
  const server = await startDevServer(process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(ROOT, '.tools', 'bin', 'temporal'));
  const times: Record<'local' | 'local_2' | 'workers_1' | 'workers_2', number[]> = { local: [], local_2: [], workers_1: [], workers_2: [] };
  const load: number[] = [];
  try {
    for (let i = 0; i < REPEATS; i++) {
      const req = (name: string): RunRequest => ({ run_id: `workers-${name}-${i}`, pipeline: spec, base_dir: dir, out: join(dir, 'out', name) });
      load.push(loadavg()[0] as number);
      let t0 = performance.now();
      const local = await runLocal(req('local'), { threads: 1 });
      times.local.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      await runLocal(req('local2'), { threads: 2 });
      times.local_2.push((performance.now() - t0) / 1000);
      for (const workers of [1, 2] as const) {
        const queue = `workers-${i}-${workers}`;
        const started = await Promise.all(Array.from({ length: workers }, () => startWorker({ address: server.address, namespace: 'default', taskQueue: queue, threads: 1 })));
        const running = started.map((w) => w.run());
        await Promise.all(started.map((_, k) =>
          submitRun({ ...req(`warm${workers}-${k}`), pipeline: unmatched }, { address: server.address, namespace: 'default', taskQueue: queue }).then(
            () => Promise.reject(new Error('the warm-up run should fail at planning')),
            (err: unknown) => (err instanceof WorkflowFailedError ? undefined : Promise.reject(err)),
          ),
        ));
        t0 = performance.now();
        const summary = await submitRun(req(`temporal${workers}`), { address: server.address, namespace: 'default', taskQueue: queue });
        times[`workers_${workers}`].push((performance.now() - t0) / 1000);
        started.forEach((w) => w.shutdown());
        await Promise.all(running);
        if (JSON.stringify(summary.stages) !== JSON.stringify(local.stages)) throw new Error(`${workers} worker(s) and the local executor disagree on the run`);
      }
      process.stderr.write(`repeat ${i + 1}/${REPEATS}: local ${round(times.local.at(-1) as number, 2)} s, local 2 threads ${round(times.local_2.at(-1) as number, 2)} s, 1 worker ${round(times.workers_1.at(-1) as number, 2)} s, 2 workers ${round(times.workers_2.at(-1) as number, 2)} s (load ${round(load.at(-1) as number, 1)})\n`);
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const rate = (k: keyof typeof times) => DOCS / median(times[k]);
  const speedup = median(times.workers_1) / median(times.workers_2);
  const localSpeedup = median(times.local) / median(times.local_2);
  console.log(`${DOCS} documents (${round(corpus.bytes / 1e6, 1)} MB) in ${FILES} files, ${3 * FILES + 1} tasks | local ${round(median(times.local), 2)} s | 1 worker ${round(median(times.workers_1), 2)} s | 2 workers ${round(median(times.workers_2), 2)} s | speedup ${round(speedup, 2)} (local executor 1 -> 2 threads: ${round(localSpeedup, 2)})`);
  console.log(JSON.stringify({
    bench: 'temporal-workers',
    unit: 'docs/s',
    ours: round(rate('workers_2')),
    peers: { workers_1: round(rate('workers_1')), local_2_threads: round(rate('local_2')) },
    ratios: { workers_1: round(speedup, 2), local_2_threads: round(rate('workers_2') / rate('local_2'), 2) },
    targets: {},
    docs: DOCS,
    mb: round(corpus.bytes / 1e6, 1),
    files: FILES,
    tasks: 3 * FILES + 1,
    speedup_1_to_2: { temporal_workers: round(speedup, 2), local_threads: round(localSpeedup, 2) },
    repeats: REPEATS,
    load_average_1m: load.map((l) => round(l, 1)),
    seconds: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((t) => round(t, 2))])),
  }));
}

await main();
