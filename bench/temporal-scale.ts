/**
 * Orchestration at scale: CORPUSFLOW_SCALE_FILES one-document JSONL files (default 5,000) through
 * ingest → shard on Temporal (dev server on loopback, one worker, 2 task threads), so the run has
 * 2 × files + 1 tiny tasks and continues as new every 2,000. Reports tasks/s, the events and bytes
 * of every workflow execution's history (the limits are 51,200 events and 50 MB), and the worker
 * process's peak RSS and heap, sampled every 500 ms. There is no peer: this measures our
 * orchestrator's own throughput and footprint.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { PipelineSpec } from '../schemas/pipeline.js';
import { RunSummary } from '../schemas/run.js';
import { startDevServer } from '../temporal/dev-server.js';
import { startWorker } from '../temporal/worker.js';
import { pipelineRun } from '../temporal/workflows.js';

const FILES = Number(process.env.CORPUSFLOW_SCALE_FILES ?? 5000);
const THREADS = 2;
const WINDOW = 32;
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const MB = 1024 * 1024;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-bench-scale-'));
  await mkdir(join(dir, 'in'));
  for (let i = 0; i < FILES; i++) {
    await writeFile(join(dir, 'in', `${String(i).padStart(6, '0')}.jsonl`), `${JSON.stringify({ id: `d${i}`, text: `Document ${i}: everyone has the right to life, liberty and security of person.` })}\n`);
  }
  const spec = PipelineSpec.parse({
    name: 'scale',
    stages: [{ stage: 'ingest', inputs: [{ uri: join(dir, 'in', '*.jsonl'), format: 'jsonl', id_field: 'id' }] }, { stage: 'shard', seq_len: 64, samples_per_shard: 4096 }],
  });
  const server = await startDevServer(process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(process.cwd(), '.tools', 'bin', 'temporal'));
  const worker = await startWorker({ address: server.address, namespace: 'default', taskQueue: 'scale', threads: THREADS });
  const running = worker.run();
  let peakRss = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 500);
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const t0 = performance.now();
    const handle = await client.workflow.start(pipelineRun, {
      taskQueue: 'scale',
      workflowId: 'scale-run',
      args: [{ run_id: 'scale-run', pipeline: spec, base_dir: dir, out: join(dir, 'out') }, { window: WINDOW }],
    });
    const summary = RunSummary.parse(await handle.result());
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);

    const executions: { events: number; bytes: number }[] = [];
    for await (const e of client.workflow.list({ query: 'WorkflowId = "scale-run"' })) {
      const history = await client.workflow.getHandle('scale-run', e.runId).fetchHistory();
      executions.push({ events: history.events?.length ?? 0, bytes: proto.temporal.api.history.v1.History.encode(history).finish().length });
    }
    const tasks = 2 * FILES + 1;
    const maxEvents = Math.max(...executions.map((e) => e.events));
    const maxBytes = Math.max(...executions.map((e) => e.bytes));
    console.log(`${tasks} tasks (${summary.documents} documents) in ${round(seconds, 1)} s: ${round(tasks / seconds, 1)} tasks/s | ${executions.length} executions, at most ${maxEvents} events / ${round(maxBytes / MB, 2)} MB each | worker peak RSS ${round(peakRss / MB)} MB, heap ${round(peakHeap / MB)} MB`);
    console.log(JSON.stringify({
      bench: 'temporal-scale',
      unit: 'tasks/s',
      ours: round(tasks / seconds, 1),
      peers: {},
      ratios: {},
      targets: {},
      tasks,
      files: FILES,
      documents: summary.documents,
      seconds: round(seconds, 1),
      executions: executions.length,
      max_events_per_execution: maxEvents,
      max_history_mb: round(maxBytes / MB, 2),
      worker_peak_rss_mb: round(peakRss / MB),
      worker_peak_heap_mb: round(peakHeap / MB),
      threads: THREADS,
      window: WINDOW,
    }));
  } finally {
    clearInterval(sampler);
    await connection.close();
    worker.shutdown();
    await running;
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
