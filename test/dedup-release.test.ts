import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, test } from 'node:test';
import { DedupConfig } from '../schemas/stages/dedup.js';
import { runLocal } from '../src/executors/local.js';
import { storageFor } from '../src/storage/index.js';
import { storedKeyFiles } from '../stages/dedup/releaseIndex.js';
import { query } from './helpers/catalog.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';
import { mulberry32 } from '../src/prng.js';


interface Rec { id: string; text: string }

const rand = mulberry32(11);
const letters = 'abcdefghijklmnopqrstuvwxyz';
const vocab = Array.from({ length: 4000 }, () => Array.from({ length: 3 + Math.floor(rand() * 6) }, () => letters[Math.floor(rand() * 26)]).join(''));
const word = () => vocab[Math.floor(rand() * vocab.length)] as string;
const page = () => Array.from({ length: 200 }, word).join(' ');

let dir: string;
let firstRelease: string;
let firstDb: string;
let secondDb: string;

async function runRelease(name: string, recs: Rec[], dedup: object) {
  const corpus = join(dir, `${name}.jsonl`);
  await writeFile(corpus, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const pipeline = await writePipeline(dir, {
    name: 'cross-release',
    stages: [
      { stage: 'ingest', task_bytes: 16 * 1024, inputs: [{ uri: corpus, format: 'jsonl', id_field: 'id' }] },
      { stage: 'dedup', bucket_tasks: 2, ...dedup },
      { stage: 'shard', seq_len: 4096 },
    ],
  });
  return runLocal(await request(pipeline, join(dir, 'out'), name), { threads: 2 });
}

const crawl1: Rec[] = Array.from({ length: 60 }, (_, i) => ({ id: `old-${i}`, text: page() }));
/** Two words replaced: 10 of 196 5-word shingles change, Jaccard 186/206 = 0.90, caught by 14 x 8 with p > 0.999. */
const edit = (text: string) => text.split(' ').map((w, i) => (i === 50 || i === 150 ? `${w}x` : w)).join(' ');
// The next crawl: 10 pages again byte for byte, 10 edited, 20 new pages, one of them twice.
const crawl2: Rec[] = [
  ...crawl1.slice(0, 10).map((r, i) => ({ id: `again-${i}`, text: r.text })),
  ...crawl1.slice(10, 20).map((r, i) => ({ id: `edited-${i}`, text: edit(r.text) })),
  ...Array.from({ length: 20 }, (_, i) => ({ id: `new-${i}`, text: page() })),
];
crawl2.push({ id: 'new-0-copy', text: (crawl2[20] as Rec).text });

before(async () => {
  dir = await tempDir('dedup-release');
  const first = await runRelease('first', crawl1, { write_index: true });
  firstRelease = first.release_dir;
  firstDb = join(firstRelease, 'provenance.duckdb');
  const second = await runRelease('second', crawl2, { against: [relative(dir, firstRelease)] });
  assert.equal(second.release_version, 2);
  secondDb = join(second.release_dir, 'provenance.duckdb');
});

test('a new crawl deduplicated against a stored release drops what the release holds, naming the release and the stored document', async () => {
  const stored = new Map((await query(firstDb, 'SELECT record_id, doc_id FROM documents')).map((r) => [String(r.doc_id), String(r.record_id)]));
  const rows = await query(secondDb, `
    SELECT d.record_id, e.action, e.reason, json_extract_string(e.detail, '$.release') AS release,
           json_extract_string(e.detail, '$.survivor') AS survivor, CAST(json_extract(e.detail, '$.similarity') AS DOUBLE) AS similarity
    FROM doc_events e JOIN documents d USING (doc_id) WHERE e.stage = 'dedup' ORDER BY d.record_id`);
  const by = new Map(rows.map((r) => [String(r.record_id), r]));
  for (let i = 0; i < 10; i++) {
    const again = by.get(`again-${i}`);
    assert.equal(again?.reason, 'release_duplicate');
    assert.equal(again?.release, 'cross-release/v1');
    assert.equal(stored.get(String(again?.survivor)), `old-${i}`);
    assert.equal(again?.similarity, 1);
    const edited = by.get(`edited-${i}`);
    assert.equal(edited?.reason, 'release_duplicate');
    assert.equal(stored.get(String(edited?.survivor)), `old-${10 + i}`);
    assert.ok((edited?.similarity as number) > 0.7 && (edited?.similarity as number) < 1, `similarity ${String(edited?.similarity)}`);
  }
  for (let i = 1; i < 20; i++) assert.equal(by.get(`new-${i}`)?.action, 'keep');
  // A page twice in the new crawl is an ordinary duplicate: one copy stays.
  assert.deepEqual([by.get('new-0')?.reason, by.get('new-0-copy')?.reason].sort(), ['exact_duplicate', null]);
  const [release] = await query(secondDb, `SELECT count(*) AS n FROM dedup_clusters WHERE method = 'release' AND NOT kept`);
  assert.equal(release?.n, 20);
});

test('the first release kept its own documents and indexed exactly those', async () => {
  const [kept] = await query(firstDb, `SELECT count(*) AS n FROM doc_events WHERE stage = 'dedup' AND action = 'keep'`);
  assert.equal(kept?.n, 60);
  const index = join(firstRelease, 'dedup-index');
  const ids = (await storageFor(index).list(index)).filter((o) => o.uri.endsWith('.ids.json'));
  let n = 0;
  for (const o of ids) n += (JSON.parse((await storageFor(o.uri).read(o.uri)).toString('utf8')) as string[]).length;
  assert.equal(n, 60);
});

test('a release index built with other MinHash settings is refused, naming the against entry', async () => {
  const config = DedupConfig.parse({ stage: 'dedup', minhash: { bands: 20, rows: 5 }, against: [firstRelease] });
  await assert.rejects(storedKeyFiles(config, dir, storageFor), /against\[0\] .*differ/);
  const none = DedupConfig.parse({ stage: 'dedup', against: [dir] });
  await assert.rejects(storedKeyFiles(none, dir, storageFor), /against\[0\] .*no dedup index.*write_index: true/);
});
