/**
 * Orchestration overhead: the quickstart corpus through the temporal executor (dev server on
 * loopback, one worker with one task thread) against the local executor (one task thread), in the
 * same run, alternating, REPEATS times each; median wall time of the run. Each temporal repetition
 * gets a fresh worker (started before the clock, as a deployed worker is already up), so both
 * executors start their task thread and load their models inside the timed run. A deployed worker
 * has also run workflows before: before the clock each fresh worker runs one whose planning fails
 * (no input matches), which warms its workflow sandbox (~0.3-0.6 s once per worker process) and
 * loads no model.
 * Then the same temporal run with two workers (one thread each); the quickstart is too small and
 * uneven to scale, bench/temporal-workers.ts measures the 1 -> 2 worker curve.
 * ratio = temporal docs/s / local docs/s; the target is 0.91 (temporal at most 1.1x slower).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { PipelineSpec } from '../schemas/pipeline.js';
import { runLocal } from '../src/executors/local.js';
import { loadPipeline } from '../src/pipeline.js';
import type { RunRequest } from '../src/run/plan.js';
import { submitRun } from '../temporal/client.js';
import { startDevServer } from '../temporal/dev-server.js';
import { startWorker } from '../temporal/worker.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const REPEATS = Number(process.env.CORPUSFLOW_BENCH_REPEATS ?? 5);
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
/** CPU seconds (user + system) of a process so far, from /proc: the dev server's share of a run. */
async function cpuOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const { spec, baseDir } = await loadPipeline(join(ROOT, 'pipelines', 'quickstart.yaml'));
  // The warm-up pipeline: the same stages, an input glob that matches nothing.
  const unmatched: PipelineSpec = PipelineSpec.parse({ ...spec, stages: [{ stage: 'ingest', inputs: [{ uri: 'no-such-dir/*.jsonl', format: 'jsonl' }] }, ...spec.stages.slice(1)] });
  const out = await mkdtemp(join(tmpdir(), 'cf-bench-temporal-'));
  const server = await startDevServer(process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(ROOT, '.tools', 'bin', 'temporal'));
  const times: { local: number[]; temporal: number[]; temporal2: number[] } = { local: [], temporal: [], temporal2: [] };
  // CPU seconds per run, this process plus the dev server: unlike wall time, barely moved by other
  // processes sharing the cores, so it shows the orchestration cost when the machine is busy.
  const cpu: { local: number[]; temporal: number[]; server: number[] } = { local: [], temporal: [], server: [] };
  const cpuNow = async () => ownCpu() + (await cpuOf(server.pid));
  let docs = 0;
  try {
    for (let i = 0; i < REPEATS; i++) {
      const req = (executor: string): RunRequest => ({ run_id: `bench-${executor}-${i}`, pipeline: spec, base_dir: baseDir, out: join(out, executor) });
      let c0 = await cpuNow();
      let t0 = performance.now();
      const local = await runLocal(req('local'), { threads: 1 });
      times.local.push((performance.now() - t0) / 1000);
      cpu.local.push((await cpuNow()) - c0);

      let viaTemporal = local;
      // One worker for the ratio, then two on one task queue for the scaling curve.
      for (const workers of [1, 2]) {
        const queue = `bench-${i}-${workers}`;
        const started = await Promise.all(Array.from({ length: workers }, () => startWorker({ address: server.address, namespace: 'default', taskQueue: queue, threads: 1 })));
        const running = started.map((w) => w.run());
        await Promise.all(started.map((_, k) =>
          submitRun({ ...req(`warm${workers}-${k}`), pipeline: unmatched }, { address: server.address, namespace: 'default', taskQueue: queue }).then(
            () => Promise.reject(new Error('the warm-up run should fail at planning')),
            (err: unknown) => (err instanceof WorkflowFailedError ? undefined : Promise.reject(err)),
          ),
        ));
        c0 = await cpuNow();
        const s0 = await cpuOf(server.pid);
        t0 = performance.now();
        viaTemporal = await submitRun(req(`temporal${workers}`), { address: server.address, namespace: 'default', taskQueue: queue });
        (workers === 1 ? times.temporal : times.temporal2).push((performance.now() - t0) / 1000);
        if (workers === 1) {
          cpu.temporal.push((await cpuNow()) - c0);
          cpu.server.push((await cpuOf(server.pid)) - s0);
        }
        started.forEach((w) => w.shutdown());
        await Promise.all(running);
      }

      if (JSON.stringify(local.stages) !== JSON.stringify(viaTemporal.stages)) throw new Error('the executors disagree on the run');
      docs = local.stages[0]?.docs_in ?? 0;
      process.stderr.write(`repeat ${i + 1}/${REPEATS}: local ${round(times.local.at(-1) as number, 2)} s, temporal ${round(times.temporal.at(-1) as number, 2)} s, 2 workers ${round(times.temporal2.at(-1) as number, 2)} s\n`);
    }
  } finally {
    await server.stop();
    await rm(out, { recursive: true, force: true });
  }
  const local = docs / median(times.local);
  const temporal = docs / median(times.temporal);
  console.log(`quickstart: ${docs} documents | local ${round(median(times.local), 2)} s (${round(local)} docs/s) | temporal ${round(median(times.temporal), 2)} s (${round(temporal)} docs/s) | ratio ${round(temporal / local, 2)}`);
  console.log(JSON.stringify({
    bench: 'temporal',
    unit: 'docs/s/core',
    ours: round(temporal),
    peers: { local: round(local) },
    ratios: { local: round(temporal / local, 2) },
    targets: { local: 0.91 },
    docs,
    repeats: REPEATS,
    scaling: { workers_1_docs_s: round(temporal), workers_2_docs_s: round(docs / median(times.temporal2)), speedup: round(median(times.temporal) / median(times.temporal2), 2) },
    cpu_seconds: { local: cpu.local.map((t) => round(t, 2)), temporal: cpu.temporal.map((t) => round(t, 2)), temporal_dev_server: cpu.server.map((t) => round(t, 2)) },
    cpu_ratio: round(median(cpu.local) / median(cpu.temporal), 2),
    seconds: { local: times.local.map((t) => round(t, 2)), temporal: times.temporal.map((t) => round(t, 2)), temporal_2_workers: times.temporal2.map((t) => round(t, 2)) },
  }));
}

await main();
