import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ReleaseManifest } from '../schemas/release.js';
import { runLocal } from '../src/executors/local.js';
import { sha256Hex } from '../src/hash.js';
import { forgetRelease } from '../src/release/forget.js';
import { verifyRelease } from '../src/release/verify.js';
import { resetStorageCache, storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { FIXTURES, request, tempDir, writePipeline } from './helpers/pipelines.js';
import { startS3ForRuns, type S3Server } from './helpers/s3-server.js';

let s3: S3Server;

before(async () => {
  s3 = await startS3ForRuns('corpus');
  for (const dir of ['quickstart', 'commoncrawl']) {
    for (const name of await readdir(join(FIXTURES, dir))) {
      const uri = `s3://corpus/crawl/${dir}/${name}`;
      await storageFor(uri).write(uri, await readFile(join(FIXTURES, dir, name)));
    }
  }
});

after(async () => {
  resetStorageCache();
  await s3.stop();
});

test('a pipeline reads its inputs from S3 and writes its run and release to S3', async () => {
  const dir = await tempDir('s3run');
  const pipeline = await writePipeline(dir, {
    name: 's3demo',
    stages: [
      {
        stage: 'ingest',
        inputs: [
          { uri: 's3://corpus/crawl/commoncrawl/*.wet.gz', format: 'wet', license: 'CC-TOU' },
          { uri: 's3://corpus/crawl/**/udhr-*.jsonl.gz', format: 'jsonl', license: 'MIT', id_field: 'id' },
        ],
      },
      { stage: 'langid', languages: ['en', 'de', 'fr'] },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(pipeline, 's3://corpus/out', 's3-run'));
  assert.equal(summary.release_dir, 's3://corpus/out/releases/s3demo/v1');
  assert.equal(summary.stages[0]?.docs_in, 4 + 12 * 31);

  const store = storageFor(summary.release_dir);
  const manifest = ReleaseManifest.parse(JSON.parse((await store.read(`${summary.release_dir}/manifest.json`)).toString('utf8')));
  assert.ok(manifest.inputs.every((i) => i.uri.startsWith('s3://corpus/crawl/')));
  for (const shard of manifest.shards) {
    const bytes = await store.read(`${summary.release_dir}/shards/${shard.name}`);
    assert.equal(sha256Hex(bytes), shard.sha256);
  }
  const catalog = await store.localPath(`${summary.release_dir}/provenance.duckdb`);
  const [docs] = await query(catalog, "SELECT count(*) AS n, count(*) FILTER (WHERE source_uri LIKE 's3://corpus/crawl/%') AS on_s3 FROM documents");
  assert.equal(docs?.n, 376);
  assert.equal(docs?.on_s3, 376);
  const kept = await query(catalog, "SELECT DISTINCT json_extract_string(detail, '$.lang') AS lang FROM doc_events WHERE stage = 'langid' AND action = 'keep' ORDER BY lang");
  assert.deepEqual(kept.map((k) => k.lang), ['de', 'en', 'fr']);
});

test('verify and forget work on a release in S3: v2 is written beside v1 and verifies', async () => {
  const v1 = 's3://corpus/out/releases/s3demo/v1';
  assert.deepEqual((await verifyRelease(v1)).problems, []);
  const store = storageFor(v1);
  const [row] = await query(await store.localPath(`${v1}/provenance.duckdb`), 'SELECT domain FROM documents WHERE doc_id IN (SELECT doc_id FROM samples) AND domain IS NOT NULL ORDER BY domain LIMIT 1');
  const result = await forgetRelease(v1, { domain: String(row?.domain) }, { reason: 'publisher opt-out' });
  assert.equal(result.release_dir, 's3://corpus/out/releases/s3demo/v2');
  assert.ok(result.doc_ids.length > 0 && result.rewritten.length > 0);
  assert.deepEqual((await verifyRelease(result.release_dir)).problems, []);
  const [m1, m2] = await Promise.all([v1, result.release_dir].map(async (r) => ReleaseManifest.parse(JSON.parse((await store.read(`${r}/manifest.json`)).toString('utf8')))));
  for (const name of result.carried) {
    const s = m2?.shards.find((x) => x.name === name);
    assert.equal(s?.sha256, m1?.shards.find((x) => x.name === name)?.sha256);
    assert.equal(s?.from, 'v1', `${name} is carried by reference to v1`);
    assert.equal(await store.exists(`${result.release_dir}/shards/${name}`), false, `${name} is not copied into v2`);
  }
  const [erased] = await query(await store.localPath(`${result.release_dir}/provenance.duckdb`), "SELECT count(*) AS n FROM erasures WHERE reason = 'publisher opt-out'");
  assert.equal(erased?.n, result.doc_ids.length);
});
