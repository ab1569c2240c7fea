import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RunPlan } from '../schemas/run.js';
import { IngestConfig, type InputFormat } from '../schemas/stages/ingest.js';
import { ingest } from '../stages/ingest/index.js';
import { runLocal } from '../src/executors/local.js';
import type { ReadTask, SourceItem } from '../src/stage.js';
import { duck, sqlString } from '../src/parts/parquet.js';
import { storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { FIXTURES, request, tempDir, writePipeline } from './helpers/pipelines.js';

const CC_WARC = createRequire(import.meta.url).resolve('warc/test/fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc');

/** Every item of a file as the planner's tasks read it: each task gets its byte range, as runSource reads it. */
async function readAsTasks(file: string, format: InputFormat, taskBytes: number): Promise<{ tasks: ReadTask[]; items: SourceItem[] }> {
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format, id_field: format === 'warc' ? null : 'id' }], task_bytes: taskBytes, max_record_bytes: 300_000 });
  const plan = { base_dir: '/' } as RunPlan;
  const tasks = await ingest.listInputs(config, { plan, storage: storageFor });
  const whole = await readFile(file);
  const items: SourceItem[] = [];
  for (const task of tasks) {
    const bytes = task.range ? whole.subarray(task.range.read_start, task.range.read_end) : whole;
    for await (const item of ingest.read(task, bytes, config, { plan, storage: storageFor })) items.push(item);
  }
  return { tasks, items };
}

/** Real Common Crawl and warcio records, one gzip member each, with a corrupt member and stray bytes between members. */
async function damagedWarcGz(): Promise<Buffer> {
  const plain = await readFile(CC_WARC);
  const starts: number[] = [];
  for (let at = plain.indexOf('WARC/1.0\r\n'); at >= 0; at = plain.indexOf('WARC/1.0\r\n', at + 1)) starts.push(at);
  starts.push(plain.length);
  const members = starts.slice(0, -1).map((s, i) => gzipSync(plain.subarray(s, starts[i + 1])));
  const corrupt = Buffer.from(members[5] as Buffer);
  corrupt.fill(0x5a, 30, 90);
  return Buffer.concat([
    ...members.slice(0, 5),
    corrupt,
    ...members.slice(6, 9),
    Buffer.from('stray bytes between members'),
    ...members.slice(9),
    await readFile(join(FIXTURES, 'warc', 'whirlwind.warc.gz')),
    await readFile(join(FIXTURES, 'warc', 'warcio-example.warc.gz')),
  ]);
}

test('a gzip WARC split across tasks at gzip member boundaries gives exactly what one task gives, damage included', async () => {
  const dir = await tempDir('split');
  const file = join(dir, 'damaged.warc.gz');
  const bytes = await damagedWarcGz();
  await writeFile(file, bytes);
  const whole = await readAsTasks(file, 'warc', bytes.length);
  assert.equal(whole.tasks.length, 1);
  assert.ok(whole.items.some((i) => i.kind === 'bad'));
  assert.ok(whole.items.filter((i) => i.kind === 'doc').length >= 5);
  // Slice sizes chosen so that boundaries fall inside members, on member starts and inside the damage.
  for (const taskBytes of [1024, 3001, 7777, 20_000, 65_536]) {
    const split = await readAsTasks(file, 'warc', taskBytes);
    assert.equal(split.tasks.length, Math.ceil(bytes.length / taskBytes));
    assert.deepEqual(split.items, whole.items, `task_bytes ${taskBytes}`);
  }
});

test('a plain JSONL file split across tasks at line ends gives exactly what one task gives', async () => {
  const dir = await tempDir('split-jsonl');
  const file = join(dir, 'udhr.jsonl');
  const lines = gunzipSync(await readFile(join(FIXTURES, 'quickstart', 'udhr-de.jsonl.gz')));
  const broken = await readFile(join(FIXTURES, 'broken', 'invalid-utf8.jsonl'));
  const bytes = Buffer.concat([lines, broken, await readFile(join(FIXTURES, 'broken', 'corrupt-line.jsonl')), lines.subarray(0, 500)]);
  await writeFile(file, bytes);
  const whole = await readAsTasks(file, 'jsonl', bytes.length);
  assert.equal(whole.items.filter((i) => i.kind === 'bad').length, 3); // bad UTF-8, bad JSON, the cut last line
  for (const taskBytes of [1024, 1500, 4099, 10_000]) {
    const split = await readAsTasks(file, 'jsonl', taskBytes);
    assert.ok(split.tasks.length > 1);
    assert.deepEqual(split.items, whole.items, `task_bytes ${taskBytes}`);
  }
});

test('a Parquet file split across tasks by row groups gives exactly what one task gives', async () => {
  const dir = await tempDir('split-parquet');
  const file = join(dir, 'rows.parquet');
  const udhr = gunzipSync(await readFile(join(FIXTURES, 'quickstart', 'udhr-nl.jsonl.gz'))).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
  const conn = await duck();
  // 10,000 rows in row groups of 2,048 (DuckDB's vector size is the smallest it writes); every 997th text is null.
  await conn.run(`COPY (SELECT 'r' || i AS id, CASE WHEN i % 997 = 5 THEN NULL ELSE (${sqlString(JSON.stringify(udhr))}::JSON->>(i % ${udhr.length})::INT) END AS text
    FROM range(10000) t(i)) TO ${sqlString(file)} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  const size = (await readFile(file)).length;
  const whole = await readAsTasks(file, 'parquet', size);
  assert.equal(whole.tasks.length, 1);
  assert.equal(whole.items.filter((i) => i.kind === 'doc').length, 10000 - 11);
  assert.equal(whole.items.filter((i) => i.kind === 'bad').length, 11);
  for (const taskBytes of [4096, 30_000, 100_000]) {
    const split = await readAsTasks(file, 'parquet', taskBytes);
    assert.equal(split.tasks.length, Math.ceil(size / taskBytes));
    assert.deepEqual(split.items, whole.items, `task_bytes ${taskBytes}`);
  }
});

test('gzip JSONL and plain WARC files stay one task each, whatever their size', async () => {
  const dir = await tempDir('nosplit');
  const plain = join(dir, 'cc.warc');
  await writeFile(plain, await readFile(CC_WARC));
  assert.equal((await readAsTasks(plain, 'warc', 1024)).tasks.length, 1);
  assert.equal((await readAsTasks(join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), 'jsonl', 1024)).tasks.length, 1);
});

test('a pipeline run with small task_bytes has several read tasks per file and the same provenance as one task per file', async () => {
  const dir = await tempDir('split-run');
  await writeFile(join(dir, 'damaged.warc.gz'), await damagedWarcGz());
  const runWith = async (taskBytes: number, name: string) => {
    const pipeline = await writePipeline(join(dir), {
      name,
      stages: [
        { stage: 'ingest', inputs: [{ uri: join(dir, '*.warc.gz'), format: 'warc', license: 'CC-TOU' }], task_bytes: taskBytes },
        { stage: 'shard', seq_len: 64, samples_per_shard: 8 },
      ],
    });
    const summary = await runLocal(await request(pipeline, join(dir, `out-${name}`), name));
    const db = join(summary.release_dir, 'provenance.duckdb');
    return {
      tasks: (await query(db, "SELECT count(*) AS n FROM tasks WHERE stage = 'ingest'"))[0]?.n,
      documents: await query(db, 'SELECT doc_id, source_offset, record_id, url, status, content_type, http_status, text_bytes FROM documents ORDER BY source_offset, doc_id'),
      events: await query(db, "SELECT doc_id, action, reason FROM doc_events WHERE stage = 'ingest' ORDER BY doc_id"),
      sources: await query(db, 'SELECT sum(bytes) AS bytes, sum(records) AS records, sum(bad_records) AS bad FROM sources'),
    };
  };
  const one = await runWith(1 << 30, 'whole');
  const many = await runWith(8192, 'sliced');
  assert.equal(one.tasks, 1);
  assert.ok(Number(many.tasks) > 5);
  assert.deepEqual(many.documents, one.documents);
  assert.deepEqual(many.events, one.events);
  assert.deepEqual(many.sources, one.sources);
});
