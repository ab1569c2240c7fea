import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, test } from 'node:test';
import { TaskResult } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { sha256Hex } from '../src/hash.js';
import { executeTask, loadPlan } from '../src/run/execute.js';
import { createRun, finalizeStage, planPhase } from '../src/run/plan.js';
import { submitRun } from '../temporal/client.js';
import { query } from './helpers/catalog.js';
import { QUICKSTART, ROOT, request, tempDir } from './helpers/pipelines.js';
import { withTemporalWorker } from './helpers/temporal.js';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TASK_QUEUE = 'corpusflow-resume';
const temporal = withTemporalWorker(TASK_QUEUE, 1);
let reference: string;

before(async () => {
  reference = (await runLocal(await request(QUICKSTART, await tempDir('resume-ref'), 'resume-reference'))).release_dir;
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

interface Interrupted {
  out: string;
  runId: string;
  /** Result files of tasks left intact, with their modification times. */
  intact: Map<string, number>;
  /** Result files of tasks whose stored state was damaged: each must run again. */
  damaged: string[];
}

/**
 * Leave a run as a killed process would: every ingest task and half the langid tasks committed, no
 * release. Then damage three tasks the ways storage fails: a result JSON cut short, a flipped byte
 * in a document part, a provenance fragment gone.
 */
async function interruptedRun(runId: string): Promise<Interrupted> {
  const out = await tempDir(runId);
  const plan = await createRun(await request(QUICKSTART, out, runId));
  const ingest = await planPhase(plan.work_dir, 0, 'read');
  for (let t = 0; t < ingest; t++) await executeTask({ work_dir: plan.work_dir, stage_index: 0, phase: 'read', task_index: t });
  await finalizeStage(plan.work_dir, 0);
  const langid = await planPhase(plan.work_dir, 1, 'map');
  for (let t = 0; t < Math.ceil(langid / 2); t++) await executeTask({ work_dir: plan.work_dir, stage_index: 1, phase: 'map', task_index: t });
  assert.ok(ingest >= 3 && langid >= 3, 'enough tasks to damage three and keep others');

  const resultFile = (stage: string, phase: string, t: number) => join(plan.work_dir, stage, phase, 'results', `${String(t).padStart(5, '0')}.json`);
  const load = async (f: string) => TaskResult.parse(JSON.parse(await readFile(f, 'utf8')));
  const cut = resultFile('00-ingest', 'read', 0);
  await truncate(cut, 40);
  const flipped = resultFile('01-langid', 'map', 0);
  const part = (await load(flipped)).outputs[0]?.uri as string;
  const bytes = await readFile(part);
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
  await writeFile(part, bytes);
  const lost = resultFile('00-ingest', 'read', 1);
  const fragment = (await load(lost)).provenance.find((p) => p.uri.includes('doc_events'));
  assert.ok(fragment, 'results record their provenance fragments');
  await rm(fragment.uri);

  const damaged = [cut, flipped, lost];
  const intact = new Map<string, number>();
  for (const dir of ['00-ingest/read', '01-langid/map']) {
    for (const f of await readdir(join(plan.work_dir, dir, 'results'))) {
      const path = join(plan.work_dir, dir, 'results', f);
      if (!damaged.includes(path)) intact.set(path, (await stat(path)).mtimeMs);
    }
  }
  return { out, runId, intact, damaged };
}

/** The resumed run reused every intact task, redid every damaged one, and released what an uninterrupted run releases. */
async function assertResumed(run: Interrupted, releaseDir: string): Promise<void> {
  for (const [path, mtime] of run.intact) assert.equal((await stat(path)).mtimeMs, mtime, `${relative(run.out, path)} was recomputed`);
  for (const path of run.damaged) {
    const result = TaskResult.parse(JSON.parse(await readFile(path, 'utf8')));
    for (const p of [...result.outputs, ...result.rejected, ...result.provenance]) {
      assert.equal(sha256Hex(await readFile(p.uri)), p.sha256, `${relative(run.out, p.uri)} was not redone`);
    }
  }
  const listed = await files(releaseDir);
  assert.deepEqual(listed, await files(reference));
  for (const f of listed.filter((f) => f !== 'provenance.duckdb')) {
    assert.ok((await readFile(join(releaseDir, f))).equals(await readFile(join(reference, f))), `${f} differs from the uninterrupted run`);
  }
  const events = 'SELECT stage, count(*) AS events, count(DISTINCT doc_id) AS docs FROM doc_events GROUP BY stage ORDER BY stage';
  const counts = await query(join(releaseDir, 'provenance.duckdb'), events);
  assert.deepEqual(counts, await query(join(reference, 'provenance.duckdb'), events));
  assert.ok(counts.every((c) => c.events === c.docs), 'one event per document per stage');
}

test('corpusflow run --resume reuses committed tasks whose checksums hold, redoes the damaged ones, and releases exactly what an uninterrupted run does', async () => {
  const run = await interruptedRun('resume-local');
  const r = await cli(['run', QUICKSTART, '--resume', run.runId, '--out', run.out, '--json', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { run_id: string; release_dir: string };
  assert.equal(summary.run_id, run.runId);
  await assertResumed(run, summary.release_dir);
});

test('resubmitting a run id to Temporal with resume reuses its committed tasks the same way', async () => {
  const run = await interruptedRun('resume-temporal');
  const summary = await submitRun({ ...(await request(QUICKSTART, run.out, run.runId)), resume: true }, { address: temporal.server.address, namespace: 'default', taskQueue: TASK_QUEUE });
  assert.equal(summary.executor, 'temporal');
  await assertResumed(run, summary.release_dir);
});

test('--resume refuses a run id that does not exist and a pipeline other than the one the run was planned from', async () => {
  const out = await tempDir('resume-refuse');
  const missing = await cli(['run', QUICKSTART, '--resume', 'no-such-run', '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--resume no-such-run: no run with that id under .*runs/);

  const runId = 'resume-other-pipeline';
  const plan = await createRun(await request(QUICKSTART, out, runId));
  assert.equal((await loadPlan(plan.work_dir)).run_id, runId);
  const dir = await tempDir('resume-refuse-pipeline');
  const changed = join(dir, 'pipeline.yaml');
  await writeFile(changed, (await readFile(QUICKSTART, 'utf8')).replace('min_score: 0.5', 'min_score: 0.6').replaceAll('../fixtures/', `${join(ROOT, 'fixtures')}/`));
  const refused = await cli(['run', changed, '--resume', runId, '--out', out]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /run resume-other-pipeline was planned from another pipeline/);
});
