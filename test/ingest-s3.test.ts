import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runLocal } from '../src/executors/local.js';
import { resetStorageCache, storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { FIXTURES, request, tempDir, writePipeline } from './helpers/pipelines.js';
import { startS3ForRuns, type S3Server } from './helpers/s3-server.js';

let s3: S3Server;
let warc: Buffer;

before(async () => {
  s3 = await startS3ForRuns('corpus');
  const names = ['whirlwind.warc.gz', 'warcio-example.warc.gz', 'warcio-example-resource.warc.gz'];
  warc = Buffer.concat(await Promise.all(names.map((n) => readFile(join(FIXTURES, 'warc', n)))));
  await storageFor('s3://corpus/crawl/mixed.warc.gz').write('s3://corpus/crawl/mixed.warc.gz', warc);
  await storageFor('s3://corpus/lists/domains.txt').write('s3://corpus/lists/domains.txt', '# blocked\nexample.com\n');
});

after(async () => {
  resetStorageCache();
  await s3.stop();
});

test('a WARC on S3 is read in byte ranges by several tasks, with a blocklist from an S3 object', async () => {
  const dir = await tempDir('s3-ingest');
  const pipeline = await writePipeline(dir, {
    name: 's3ingest',
    stages: [
      {
        stage: 'ingest',
        inputs: [{ uri: 's3://corpus/crawl/*.warc.gz', format: 'warc', license: 'CC-TOU' }],
        task_bytes: 8192,
        blocklists: [{ uri: 's3://corpus/lists/domains.txt', kind: 'domain' }],
      },
      { stage: 'shard', seq_len: 64, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(pipeline, join(dir, 'out'), 's3-ingest'));
  const db = join(summary.release_dir, 'provenance.duckdb');
  const [tasks] = await query(db, "SELECT count(*) AS n FROM tasks WHERE stage = 'ingest'");
  assert.equal(tasks?.n, Math.ceil(warc.length / 8192));
  const rows = await query(db, "SELECT d.url, e.action, e.reason FROM documents d JOIN doc_events e USING (doc_id) WHERE e.stage = 'ingest' ORDER BY d.source_offset");
  assert.deepEqual(rows, [
    { url: 'https://an.wikipedia.org/wiki/Escopete', action: 'keep', reason: null },
    { url: 'http://example.com/', action: 'drop', reason: 'blocklisted_domain' },
    { url: 'http://example.com/', action: 'drop', reason: 'blocklisted_domain' },
  ]);
  const [sources] = await query(db, "SELECT count(*) AS n, sum(bytes) AS bytes FROM sources WHERE uri LIKE 's3://corpus/crawl/mixed.warc.gz#bytes=%'");
  assert.deepEqual(sources, { n: tasks?.n, bytes: warc.length });
});
