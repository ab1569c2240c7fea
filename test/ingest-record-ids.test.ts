import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { RunPlan } from '../schemas/run.js';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { ingest } from '../stages/ingest/index.js';
import { runLocal } from '../src/executors/local.js';
import { audit } from '../src/provenance/audit.js';
import { CatalogReader } from '../src/provenance/reader.js';
import type { Document } from '../schemas/document.js';
import { storageFor } from '../src/storage/index.js';
import { docsOf, readAll } from './helpers/ingest.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';

const CC_WARC = createRequire(import.meta.url).resolve('warc/test/fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc');

/** The real CC-MAIN-2014-35 sample, one gzip member per record, written twice over (as a careless concatenation does). */
async function warcTwice(): Promise<Buffer> {
  const plain = await readFile(CC_WARC);
  const starts: number[] = [];
  for (let at = plain.indexOf('WARC/1.0\r\n'); at >= 0; at = plain.indexOf('WARC/1.0\r\n', at + 1)) starts.push(at);
  starts.push(plain.length);
  const once = Buffer.concat(starts.slice(0, -1).map((s, i) => gzipSync(plain.subarray(s, starts[i + 1]))));
  return Buffer.concat([once, once]);
}

async function readInTasks(file: string, taskBytes: number): Promise<Document[]> {
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'warc' }], task_bytes: taskBytes });
  const plan = { base_dir: '/' } as RunPlan;
  const whole = await readFile(file);
  const docs: Document[] = [];
  for (const task of await ingest.listInputs(config, { plan, storage: storageFor })) {
    const bytes = task.range ? whole.subarray(task.range.read_start, task.range.read_end) : whole;
    for await (const item of ingest.read(task, bytes, config, { plan, storage: storageFor })) if (item.kind === 'doc') docs.push(item.doc);
  }
  return docs;
}

test('records that repeat a WARC-Record-ID get distinct document ids, the same on every read and however the file is split', async () => {
  const dir = await tempDir('dup-ids');
  const file = join(dir, 'twice.warc.gz');
  const bytes = await warcTwice();
  await writeFile(file, bytes);
  const docs = await readInTasks(file, bytes.length);
  assert.equal(docs.length, 8);
  assert.equal(new Set(docs.map((d) => d.source.record_id)).size, 4, 'each record id is carried twice');
  assert.equal(new Set(docs.map((d) => d.id)).size, 8);
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'warc' }] });
  assert.deepEqual(docsOf(await readAll(config, file, bytes)).map((d) => d.id), docsOf(await readAll(config, file, bytes)).map((d) => d.id));
  for (const taskBytes of [4096, 20_000]) {
    assert.deepEqual((await readInTasks(file, taskBytes)).map((d) => [d.id, d.source.offset]), docs.map((d) => [d.id, d.source.offset]));
  }
});

test('a run keeps both copies of a repeated WARC-Record-ID, and the duplicate-record-ids audit lists each with its offset', async () => {
  const dir = await tempDir('dup-ids-run');
  const file = join(dir, 'twice.warc.gz');
  await writeFile(file, await warcTwice());
  const pipeline = await writePipeline(dir, { name: 'dup-ids', stages: [{ stage: 'ingest', inputs: [{ uri: file, format: 'warc' }] }, { stage: 'shard', seq_len: 64, samples_per_shard: 4 }] });
  const summary = await runLocal(await request(pipeline, join(dir, 'out'), 'dup-ids'));
  const catalog = await CatalogReader.open(summary.release_dir);
  try {
    const { rows } = await audit(catalog, 'duplicate-record-ids');
    // warcinfo/request/metadata records are no documents; the 4 responses appear twice each.
    assert.equal(rows.length, 8);
    assert.equal(new Set(rows.map((r) => String(r.doc_id))).size, 8);
    const byRecord = new Map<string, number[]>();
    for (const r of rows) byRecord.set(String(r.record_id), [...(byRecord.get(String(r.record_id)) ?? []), Number(r.source_offset)]);
    assert.equal(byRecord.size, 4);
    for (const offsets of byRecord.values()) assert.equal(offsets.length, 2);
  } finally {
    catalog.close();
  }
});
