import assert from 'node:assert/strict';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { PipelineSpec } from '../schemas/pipeline.js';
import { RunPlan } from '../schemas/run.js';
import { createRun } from '../src/run/plan.js';
import { startWorker } from '../temporal/worker.js';
import { pipelineRun } from '../temporal/workflows.js';
import { FIXTURES, request, tempDir, writePipeline } from './helpers/pipelines.js';
import { withTemporalWorker } from './helpers/temporal.js';

const TASK_QUEUE = 'corpusflow-retry-test';
// Ingest tasks go to a queue with no worker until the input is gone, so the task surely starts
// after its file was planned and then removed: an input share that dropped out under a run.
const IO_QUEUE = 'corpusflow-retry-io';
const temporal = withTemporalWorker(TASK_QUEUE, 1);

type Handle = WorkflowHandle<typeof pipelineRun>;

/** The first pending ingest task once `ready` holds for it; polls the server's own view of the run. */
async function pendingTask(handle: Handle, ready: (attempt: number) => boolean): Promise<void> {
  for (;;) {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    if (pending.some((a) => a.activityType?.name === 'runTask' && ready(a.attempt ?? 0))) return;
    await sleep(100);
  }
}

/** The attempt each finished ingest task activity ended on, from the run's history. */
async function ingestAttempts(handle: Handle): Promise<number[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(events.map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes]));
  return events.flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    const s = started ? scheduled.get(String(started.scheduledEventId)) : undefined;
    return s?.taskQueue?.name === IO_QUEUE ? [started?.attempt ?? 0] : [];
  });
}

/** Start a run whose one ingest input is removed after planning, and the IO worker after that. */
async function runWithVanishingInput(name: string, retry: object | undefined, whileFailing: (handle: Handle, input: string, fixture: string) => Promise<void>): Promise<{ result: unknown; attempts: number[] }> {
  const dir = await tempDir(name);
  await mkdir(join(dir, 'in'));
  const fixture = join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz');
  const input = join(dir, 'in', 'udhr-en.jsonl.gz');
  await copyFile(fixture, input);
  const ingest = { stage: 'ingest', inputs: [{ uri: join(dir, 'in', '*.jsonl.gz'), format: 'jsonl', license: 'MIT', id_field: 'id' }], task_queue: IO_QUEUE, ...(retry ? { retry } : {}) };
  const req = await request(await writePipeline(dir, { name, stages: [ingest, { stage: 'shard' }] }), join(dir, 'out'), `${name}-run`);
  const connection = await Connection.connect({ address: temporal.server.address });
  const io = await startWorker({ address: temporal.server.address, namespace: 'default', taskQueue: IO_QUEUE, threads: 1 });
  let ioRunning: Promise<void> | null = null;
  try {
    const handle = await new Client({ connection }).workflow.start(pipelineRun, { taskQueue: TASK_QUEUE, workflowId: req.run_id, args: [req, {}] });
    await pendingTask(handle, () => true);
    await rm(input);
    ioRunning = io.run();
    await whileFailing(handle, input, fixture);
    const result: unknown = await handle.result().then(
      (r) => r,
      (e: unknown) => e,
    );
    return { result, attempts: await ingestAttempts(handle) };
  } finally {
    io.shutdown();
    await ioRunning;
    await connection.close();
  }
}

test('a stage with retry max_attempts 1 fails the run after exactly one attempt of a failing task', async () => {
  const { result: err, attempts } = await runWithVanishingInput('retry-once', { max_attempts: 1 }, async () => {});
  assert.ok(err instanceof WorkflowFailedError, `expected a failed workflow, got ${String(err)}`);
  let cause: unknown = err.cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: unknown }).cause;
  assert.ok(cause instanceof ApplicationFailure);
  assert.notEqual(cause.type, 'ConfigError', 'a missing file is retryable: only the policy stopped it');
  assert.deepEqual(attempts, [1]);
});

test('a stage with the default retry policy retries a failing task, and the run finishes once its input is back', async () => {
  const { result, attempts } = await runWithVanishingInput('retry-default', undefined, async (h, input, fixture) => {
    await pendingTask(h, (attempt) => attempt >= 2);
    await copyFile(fixture, input);
  });
  const summary = result as { documents?: number };
  assert.ok(typeof summary.documents === 'number' && summary.documents > 0, `expected a finished run, got ${String(summary)}`);
  // The input comes back while attempt 2 waits out its 1 s back-off; a loaded machine may let it
  // fail once more first, which is still the default policy retrying.
  const [attempt, ...more] = attempts;
  assert.equal(more.length, 0);
  assert.ok(attempt !== undefined && attempt >= 2 && attempt <= 5, `finished on attempt ${attempt}`);
});

test('a bad retry config fails naming its path', () => {
  const spec = {
    name: 'badretry',
    stages: [
      { stage: 'ingest', inputs: [{ uri: 'in/*.jsonl', format: 'jsonl' }] },
      { stage: 'langid', retry: { max_attempts: 0 } },
      { stage: 'shard', retry: { max_atempts: 3 } },
    ],
  };
  const r = PipelineSpec.safeParse(spec);
  assert.ok(!r.success);
  const paths = r.error.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('stages.1.retry.max_attempts'), paths.join(', '));
  assert.ok(r.error.issues.some((i) => i.path.join('.') === 'stages.2.retry' && /max_atempts/.test(JSON.stringify(i))), JSON.stringify(r.error.issues));
  assert.equal(PipelineSpec.parse({ ...spec, stages: [spec.stages[0], { stage: 'shard' }] }).stages[1]?.retry, null);
});

test('the plan carries each stage\'s retry policy, keeps it out of the config hash, and reads plans written before it', async () => {
  const dir = await tempDir('retry-plan');
  const stages = (retry: object | undefined) => [
    { stage: 'ingest', inputs: [{ uri: 'in/*.jsonl', format: 'jsonl' }] },
    { stage: 'shard', ...(retry ? { retry } : {}) },
  ];
  const plan = async (id: string, retry: object | undefined) =>
    createRun({ run_id: id, pipeline: PipelineSpec.parse({ name: 'retryplan', stages: stages(retry) }), base_dir: dir, out: join(dir, id) });
  const withRetry = await plan('with', { max_attempts: 2, backoff: 3 });
  const without = await plan('without', undefined);
  assert.deepEqual(withRetry.stages.map((s) => s.retry), [null, { max_attempts: 2, backoff: 3 }]);
  assert.deepEqual(withRetry.stages.map((s) => s.config_hash), without.stages.map((s) => s.config_hash));
  const old = JSON.parse(JSON.stringify(without)) as { stages: Record<string, unknown>[] };
  for (const s of old.stages) delete s.retry;
  assert.deepEqual(RunPlan.parse(old).stages.map((s) => s.retry), [null, null]);
});
