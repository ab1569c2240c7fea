import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { TaskResult, type TaskProgress } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { executeTask, storedCheckpoint } from '../src/run/execute.js';
import { createRun, planPhase } from '../src/run/plan.js';
import { readDocuments, streamDocuments, writeDocuments } from '../src/parts/documents.js';
import { storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';
import { fleetPipeline, UDHR_ARTICLES, udhrInputs } from './helpers/udhr-inputs.js';

/** 16 KiB of text per part: the 372 UDHR articles in one file make one ingest task of about 20 parts. */
const PART_BYTES = 16 * 1024;

/** One JSONL file of all UDHR articles, and a pipeline over it with small parts. */
async function onePipeline(dir: string): Promise<string> {
  const [file] = await udhrInputs(1);
  if (!file) throw new Error('no input');
  await writeFile(join(dir, file.name), file.text);
  return writePipeline(dir, { ...fleetPipeline('checkpoints', join(dir, '*.jsonl')), part_bytes: PART_BYTES });
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test('a task writes its documents as parts of about part_bytes of text, in input order', async () => {
  const dir = await tempDir('parts');
  const summary = await runLocal(await request(await onePipeline(dir), dir, 'parts'), { threads: 1 });
  const ingest = join(dir, 'runs', 'parts', '00-ingest');
  const result = TaskResult.parse(JSON.parse(await readFile(join(ingest, 'read', 'results', '00000.json'), 'utf8')));
  assert.ok(result.outputs.length >= 10, `${result.outputs.length} parts`);
  assert.equal(result.outputs.reduce((n, p) => n + p.rows, 0), UDHR_ARTICLES);
  const ids: string[] = [];
  for (const part of result.outputs) {
    const docs = await readDocuments(storageFor(part.uri), part.uri);
    const text = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
    // A part closes with the document that reaches the budget: at most one document past it.
    assert.ok(text - Buffer.byteLength(docs.at(-1)?.text ?? '') < PART_BYTES, `${part.uri} holds ${text} bytes of text`);
    ids.push(...docs.map((d) => d.source.offset.toString()));
  }
  assert.deepEqual(ids, [...ids].sort((a, b) => Number(a) - Number(b)), 'parts follow the input');
  // Each part is a task of the next stage.
  assert.equal(summary.stages[1]?.docs_in, UDHR_ARTICLES);
  const langidTasks = JSON.parse(await readFile(join(dir, 'runs', 'parts', '01-langid', 'map', 'tasks.json'), 'utf8')) as unknown[];
  assert.equal(langidTasks.length, result.outputs.length);
});

test('a part read as a stream, from any row on, holds the same documents as one read whole', async () => {
  const dir = await tempDir('stream');
  await runLocal(await request(await onePipeline(dir), dir, 'stream'), { threads: 1 });
  // Twelve copies of the run's documents: one part of several DuckDB chunks (2,048 rows each).
  const uri = join(dir, 'big.parquet');
  const ingest = TaskResult.parse(JSON.parse(await readFile(join(dir, 'runs', 'stream', '00-ingest', 'read', 'results', '00000.json'), 'utf8')));
  const docs = (await Promise.all(ingest.outputs.map((p) => readDocuments(storageFor(p.uri), p.uri)))).flat();
  const many = Array.from({ length: 12 }, (_, i) => docs.map((d) => ({ ...d, id: `${d.id}-${i}` }))).flat();
  await writeDocuments(storageFor(uri), uri, many);
  for (const skip of [0, 1, 2048, 2049, many.length - 1]) {
    const streamed = [];
    for await (const d of streamDocuments(storageFor(uri), uri, skip)) streamed.push(d.id);
    assert.deepEqual(streamed, many.slice(skip).map((d) => d.id), `from row ${skip}`);
  }
});

test('a task failed after two checkpoints resumes after the second, leaves its parts untouched, and the run releases what an uninterrupted one does', async () => {
  const pipeline = await onePipeline(await tempDir('checkpoint-input'));
  const refDir = await tempDir('checkpoint-ref');
  const reference = await runLocal(await request(pipeline, refDir, 'uninterrupted'), { threads: 1 });

  const dir = await tempDir('checkpoint');
  const req = await request(pipeline, dir, 'interrupted');
  const plan = await createRun(req);
  await planPhase(plan.work_dir, 0, 'read');
  const ref = { work_dir: plan.work_dir, stage_index: 0, phase: 'read', task_index: 0 };
  const seen: TaskProgress[] = [];
  await assert.rejects(
    executeTask(ref, {
      onProgress: (p) => {
        seen.push(p);
        if (p.checkpoints === 2) throw new Error('worker lost after two checkpoints');
      },
    }),
    /worker lost/,
  );
  const checkpoint = await storedCheckpoint(ref);
  assert.ok(checkpoint, 'the checkpoint is stored');
  assert.equal(checkpoint.seq, 2);
  assert.deepEqual(seen.at(-1)?.checkpoint, checkpoint, 'progress carries the checkpoint it stored');
  assert.equal(checkpoint.outputs.length, 2);
  const committed = [...checkpoint.outputs, ...checkpoint.rejected, ...checkpoint.provenance];
  const mtimes = new Map(await Promise.all(committed.map(async (p) => [p.uri, (await stat(p.uri)).mtimeMs] as const)));

  const resumed = await runLocal({ ...req, resume: true }, { threads: 1 });
  for (const [uri, mtime] of mtimes) assert.equal((await stat(uri)).mtimeMs, mtime, `${relative(dir, uri)} was written again`);
  const result = TaskResult.parse(JSON.parse(await readFile(join(plan.work_dir, '00-ingest', 'read', 'results', '00000.json'), 'utf8')));
  assert.deepEqual(result.outputs.slice(0, 2), checkpoint.outputs, 'the result keeps the checkpointed parts');
  assert.equal(result.docs_in, UDHR_ARTICLES);

  const listed = await files(resumed.release_dir);
  assert.deepEqual(listed, await files(reference.release_dir));
  for (const f of listed.filter((f) => f !== 'provenance.duckdb')) {
    assert.ok((await readFile(join(resumed.release_dir, f))).equals(await readFile(join(reference.release_dir, f))), `${f} differs from the uninterrupted run`);
  }
  const events = 'SELECT stage, count(*) AS events, count(DISTINCT doc_id) AS docs FROM doc_events GROUP BY stage ORDER BY stage';
  const counts = await query(join(resumed.release_dir, 'provenance.duckdb'), events);
  assert.deepEqual(counts, await query(join(reference.release_dir, 'provenance.duckdb'), events));
  assert.ok(counts.every((c) => c.events === c.docs), 'one event per document per stage');
  const [docs] = await query(join(resumed.release_dir, 'provenance.duckdb'), 'SELECT count(*) AS n, count(DISTINCT doc_id) AS ids FROM documents');
  assert.deepEqual(docs, { n: UDHR_ARTICLES, ids: UDHR_ARTICLES });
});
