import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { cancelRun, runStatus } from '../temporal/client.js';
import { pipelineRun } from '../temporal/workflows.js';
import { ROOT, request, tempDir, writePipeline } from './helpers/pipelines.js';
import { withTemporalWorker } from './helpers/temporal.js';
import { fleetPipeline, udhrInputs } from './helpers/udhr-inputs.js';

const TASK_QUEUE = 'corpusflow-status';
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const temporal = withTemporalWorker(TASK_QUEUE, 1);

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', [CLI, ...args, '--address', temporal.server.address], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Start a 240-file run (hundreds of tasks) and wait until its first tasks are done. */
async function startLongRun(runId: string): Promise<string> {
  const dir = await tempDir(runId);
  await Promise.all((await udhrInputs(240)).map(({ name, text }) => writeFile(join(dir, name), text)));
  const out = join(dir, 'out');
  const pipeline = await writePipeline(dir, fleetPipeline(runId, join(dir, '*.jsonl')));
  const connection = await Connection.connect({ address: temporal.server.address });
  try {
    await new Client({ connection }).workflow.start(pipelineRun, { taskQueue: TASK_QUEUE, workflowId: runId, args: [await request(pipeline, out, runId)] });
  } finally {
    await connection.close();
  }
  for (;;) {
    const s = await runStatus(runId, { address: temporal.server.address, namespace: 'default' }).catch(() => null);
    if (s && s.phases.some((p) => p.tasks_done >= 3)) return out;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('corpusflow status shows a bar per stage phase with docs/s and an ETA while a run is going, then corpusflow cancel stops it with no partial release', async () => {
  const out = await startLongRun('status-run');

  const status = await cli(['status', 'status-run']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^run status-run: RUNNING for \d+/);
  assert.match(status.stdout, /ingest\/read +\[#*\.+\] \d+\/240 tasks +\d+ docs in, \d+ out +\d+\.\d docs\/s +ETA \d+(s|m\d\ds|h\d\dm)/);

  const json = await cli(['status', 'status-run', '--json']);
  const parsed = JSON.parse(json.stdout) as { status: string; phases: { stage: string; tasks_total: number }[] };
  assert.equal(parsed.status, 'RUNNING');
  assert.deepEqual(parsed.phases.map((p) => [p.stage, p.tasks_total]), [['ingest', 240]]);

  const cancel = await cli(['cancel', 'status-run']);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.equal(cancel.stdout.trim(), 'run status-run: CANCELLED');
  const after = await runStatus('status-run', { address: temporal.server.address, namespace: 'default' });
  assert.equal(after.status, 'CANCELLED');
  assert.ok(after.phases.every((p) => p.stage === 'ingest'), 'no stage after ingest started');
  // No release version exists at all: the catalog and manifest are written only after the last stage.
  const released = await readdir(join(out, 'releases'), { recursive: true }).catch(() => []);
  assert.deepEqual(released, []);
});

test('cancelling a run that has already finished reports it as completed and keeps its release', async () => {
  const dir = await tempDir('status-done');
  await Promise.all((await udhrInputs(4)).map(({ name, text }) => writeFile(join(dir, name), text)));
  const out = join(dir, 'out');
  const pipeline = await writePipeline(dir, fleetPipeline('done-run', join(dir, '*.jsonl')));
  const connection = await Connection.connect({ address: temporal.server.address });
  try {
    const handle = await new Client({ connection }).workflow.start(pipelineRun, { taskQueue: TASK_QUEUE, workflowId: 'done-run', args: [await request(pipeline, out, 'done-run')] });
    await handle.result();
  } finally {
    await connection.close();
  }
  assert.equal(await cancelRun('done-run', { address: temporal.server.address, namespace: 'default' }), 'COMPLETED');
  const status = await runStatus('done-run', { address: temporal.server.address, namespace: 'default' });
  assert.deepEqual(status.phases.map((p) => `${p.stage}/${p.phase} ${p.tasks_done}/${p.tasks_total}`).slice(0, 2), ['ingest/read 4/4', 'langid/map 4/4']);
  assert.ok((await readdir(join(out, 'releases', 'done-run', 'v1'))).includes('manifest.json'));
});
