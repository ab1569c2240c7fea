import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { parse } from 'yaml';
import { RunSummary } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { submitRun } from '../temporal/client.js';
import { PIPELINE, STAGE } from '../temporal/search-attributes.js';
import { startWorker } from '../temporal/worker.js';
import { pipelineRun, runProgress } from '../temporal/workflows.js';
import { QUICKSTART, ROOT, request, tempDir, writePipeline } from './helpers/pipelines.js';
import { taskPlacements, withTemporalWorker } from './helpers/temporal.js';

const TASK_QUEUE = 'corpusflow-test';
const temporal = withTemporalWorker(TASK_QUEUE, 2);

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test('the temporal and local executors give byte-identical releases for the same input and config', async () => {
  const temporalOut = await tempDir('temporal');
  const localOut = await tempDir('local');
  const viaTemporal = await submitRun(await request(QUICKSTART, temporalOut, 'identity-temporal'), { address: temporal.server.address, namespace: 'default', taskQueue: TASK_QUEUE });
  const viaLocal = await runLocal(await request(QUICKSTART, localOut, 'identity-local'));
  assert.equal(viaTemporal.executor, 'temporal');
  assert.deepEqual(viaTemporal.stages, viaLocal.stages);

  const a = viaTemporal.release_dir;
  const b = viaLocal.release_dir;
  const listed = await files(a);
  assert.deepEqual(listed, await files(b));
  assert.ok(listed.includes('manifest.json') && listed.includes('index.wids.json') && listed.some((f) => f.startsWith('shards/')));
  // provenance.duckdb records run ids and timings, so it is the one file allowed to differ.
  for (const f of listed.filter((f) => f !== 'provenance.duckdb')) {
    assert.ok((await readFile(join(a, f))).equals(await readFile(join(b, f))), `${f} differs between executors`);
  }
});

test('a run is one workflow on the real server: stages inline, planning as local activities, one activity per task and one for the release, found by its pipeline and stage search attributes', async () => {
  const out = await tempDir('one-workflow');
  const summary = await submitRun(await request(QUICKSTART, out, 'one-workflow-run'), { address: temporal.server.address, namespace: 'default', taskQueue: TASK_QUEUE });
  const connection = await Connection.connect({ address: temporal.server.address });
  try {
    const client = new Client({ connection });
    const handle = client.workflow.getHandle(summary.run_id);
    const run = await handle.describe();
    assert.equal(run.status.name, 'COMPLETED');
    assert.equal(run.type, 'pipelineRun');
    const events = (await handle.fetchHistory()).events ?? [];
    assert.ok(!events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes), 'no child workflows');
    const activities = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    const tasks = activities.filter((a) => a === 'runTask').length;
    assert.deepEqual(activities.filter((a) => a !== 'runTask'), ['publishRun']);
    const markers = events.filter((e) => e.markerRecordedEventAttributes).length;
    // createRun, then per phase a planPhase, per stage a finalizeStage (ingest, langid, shard: 4 phases).
    assert.equal(markers, 1 + 4 + 3);
    const planned = await Promise.all(['00-ingest/read', '01-langid/map', '02-shard/tokenize', '02-shard/pack'].map(async (p) => {
      const [dir, phase] = p.split('/') as [string, string];
      return (JSON.parse(await readFile(join(out, 'runs', summary.run_id, dir, phase, 'tasks.json'), 'utf8')) as unknown[]).length;
    }));
    assert.equal(tasks, planned.reduce((a, b) => a + b, 0));

    assert.equal(run.typedSearchAttributes.get(PIPELINE), 'quickstart');
    assert.equal(run.typedSearchAttributes.get(STAGE), 'shard');
    const listed = async () => {
      const ids: string[] = [];
      for await (const w of client.workflow.list({ query: `CorpusflowPipeline = "quickstart" AND CorpusflowStage = "shard" AND ExecutionStatus = "Completed"` })) ids.push(w.workflowId);
      return ids;
    };
    // Visibility is updated asynchronously after the run closes.
    let ids = await listed();
    for (let i = 0; i < 50 && !ids.includes(summary.run_id); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ids = await listed();
    }
    assert.ok(ids.includes(summary.run_id), `listed: ${ids.join(', ')}`);
  } finally {
    await connection.close();
  }
});

test('a run continues as new every tasks_per_execution tasks, each execution starting no more than that, and releases byte-identically', async () => {
  const out = await tempDir('continue');
  const runId = 'continue-run';
  const connection = await Connection.connect({ address: temporal.server.address });
  try {
    const client = new Client({ connection });
    const handle = await client.workflow.start(pipelineRun, { taskQueue: TASK_QUEUE, workflowId: runId, args: [await request(QUICKSTART, out, runId), { tasks_per_execution: 7 }] });
    const summary = RunSummary.parse(await handle.result());
    const viaLocal = await runLocal(await request(QUICKSTART, await tempDir('continue-local'), 'continue-local'));
    assert.deepEqual(summary.stages, viaLocal.stages);
    for (const f of (await files(viaLocal.release_dir)).filter((f) => f !== 'provenance.duckdb')) {
      assert.ok((await readFile(join(summary.release_dir, f))).equals(await readFile(join(viaLocal.release_dir, f))), `${f} differs`);
    }

    const executions = [];
    for await (const e of client.workflow.list({ query: `WorkflowId = "${runId}"` })) executions.push(e);
    const statuses = executions.map((e) => e.status.name).sort();
    assert.ok(statuses.length >= 6, `${statuses.length} executions for ~43 tasks`);
    assert.deepEqual(statuses, ['COMPLETED', ...Array<string>(statuses.length - 1).fill('CONTINUED_AS_NEW')]);
    let tasks = 0;
    for (const e of executions) {
      const events = (await client.workflow.getHandle(runId, e.runId).fetchHistory()).events ?? [];
      const started = events.filter((ev) => ev.activityTaskScheduledEventAttributes?.activityType?.name === 'runTask').length;
      assert.ok(started <= 7, `an execution started ${started} tasks`);
      tasks += started;
    }
    const progress = await handle.query(runProgress);
    assert.equal(progress.current, null);
    assert.deepEqual(progress.done.map((p) => `${p.stage}/${p.phase}`), ['ingest/read', 'langid/map', 'shard/tokenize', 'shard/pack']);
    assert.equal(tasks, progress.done.reduce((n, p) => n + p.tasks_total, 0), 'every task ran exactly once across executions');
    assert.ok(progress.done.every((p) => p.tasks_done === p.tasks_total));
  } finally {
    await connection.close();
  }
});

test('a stage with its own task_queue has its tasks run by that queue\'s worker, every other task by the run\'s', async () => {
  const ioQueue = 'corpusflow-io-test';
  const io = await startWorker({ address: temporal.server.address, namespace: 'default', taskQueue: ioQueue, threads: 1 });
  const ioRunning = io.run();
  const connection = await Connection.connect({ address: temporal.server.address });
  try {
    const dir = await tempDir('task-queue');
    const spec = parse(await readFile(QUICKSTART, 'utf8')) as { stages: { stage: string; inputs?: { uri: string }[]; task_queue?: string }[] };
    const ingest = spec.stages[0] as (typeof spec.stages)[number];
    ingest.task_queue = ioQueue;
    for (const input of ingest.inputs ?? []) input.uri = join(ROOT, 'pipelines', input.uri);
    const summary = await submitRun(await request(await writePipeline(dir, spec), join(dir, 'out'), 'task-queue-run'), { address: temporal.server.address, namespace: 'default', taskQueue: TASK_QUEUE });
    assert.ok(summary.documents > 0);

    const ran = await taskPlacements(new Client({ connection }), 'task-queue-run');
    const ingestTasks = ran.filter((r) => r.stage === 0);
    assert.ok(ingestTasks.length > 0 && ran.length > ingestTasks.length);
    for (const r of ran) {
      const queue = r.stage === 0 ? ioQueue : TASK_QUEUE;
      assert.equal(r.queue, queue, `stage ${r.stage} task scheduled on ${r.queue}`);
      assert.ok(r.worker.endsWith(` ${queue}`), `stage ${r.stage} task ran on ${r.worker}`);
    }
  } finally {
    await connection.close();
    io.shutdown();
    await ioRunning;
  }
});

test('a bad config fails the workflow at once, without retries, with the message a person can act on', async () => {
  const dir = await tempDir('temporal-badconfig');
  const pipeline = await writePipeline(dir, { name: 'nofiles', stages: [{ stage: 'ingest', inputs: [{ uri: 'none/*.jsonl', format: 'jsonl' }] }, { stage: 'shard' }] });
  const started = Date.now();
  const err = await submitRun(await request(pipeline, join(dir, 'out'), 'badconfig-run'), { address: temporal.server.address, namespace: 'default', taskQueue: TASK_QUEUE }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, `expected a failed workflow, got ${String(err)}`);
  let cause: unknown = err.cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: unknown }).cause;
  assert.ok(cause instanceof ApplicationFailure);
  assert.equal(cause.type, 'ConfigError');
  assert.equal(cause.nonRetryable, true);
  assert.match(cause.message, /no files match none\/\*\.jsonl/);
  assert.ok(Date.now() - started < 20_000, 'no retry back-off before failing');
});

test('corpusflow worker and corpusflow submit run the quickstart from the command line', async () => {
  const cli = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const queue = 'corpusflow-cli-test';
  const out = await tempDir('cli');
  const workerProc = spawn('node', [cli, 'worker', '--address', temporal.server.address, '--task-queue', queue, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const submit = spawn('node', [cli, 'submit', QUICKSTART, '--address', temporal.server.address, '--task-queue', queue, '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    submit.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    submit.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => submit.once('exit', resolve));
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout) as RunSummary;
    assert.equal(summary.executor, 'temporal');
    assert.ok(summary.tokens > 0 && summary.shards > 0);
    assert.match(stderr, /shard\/pack .*1\/1 tasks/, 'progress lines on stderr');
  } finally {
    workerProc.kill('SIGTERM');
    const exit = await new Promise<number | null>((resolve) => workerProc.once('exit', resolve));
    assert.equal(exit, 0, 'the worker shuts down cleanly on SIGTERM');
  }
});
