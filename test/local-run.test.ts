import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { ReleaseManifest } from '../schemas/release.js';
import type { RunSummary } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { query } from './helpers/catalog.js';
import { FIXTURES, QUICKSTART, ROOT, request, tempDir, writePipeline } from './helpers/pipelines.js';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const run = promisify(execFile);

let summary: RunSummary;
let db: string;

before(async () => {
  const out = await tempDir('local');
  summary = await runLocal(await request(QUICKSTART, out, 'local-test'));
  db = join(summary.release_dir, 'provenance.duckdb');
});

test('the quickstart release holds shards, a wids index and a manifest whose totals add up', async () => {
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(summary.release_dir, 'manifest.json'), 'utf8')));
  assert.equal(manifest.version, 1);
  assert.ok(manifest.shards.length >= 2);
  assert.equal(manifest.totals.tokens, manifest.shards.reduce((n, s) => n + s.tokens, 0));
  // Every shard but the last holds exactly samples_per_shard samples.
  for (const s of manifest.shards.slice(0, -1)) assert.equal(s.samples, manifest.packing.samples_per_shard);
  assert.equal(manifest.tokenizer.name, 'cl100k_base');
  assert.equal(manifest.tokenizer.dtype, 'uint32');
  const index = JSON.parse(await readFile(join(summary.release_dir, 'index.wids.json'), 'utf8')) as { shardlist: { url: string; nsamples: number }[] };
  assert.deepEqual(index.shardlist.map((s) => s.url), manifest.shards.map((s) => `shards/${s.name}`));
});

test('every input record appears in documents, with its source file and offset', async () => {
  const [row] = await query(db, 'SELECT count(*) AS n, count(DISTINCT doc_id) AS ids FROM documents');
  assert.equal(row?.n, summary.stages[0]?.docs_in);
  assert.equal(row?.ids, row?.n);
  const sources = await query(db, 'SELECT uri, records FROM sources ORDER BY uri');
  assert.equal(sources.length, 14);
  const [bySource] = await query(db, 'SELECT count(*) AS n FROM documents d JOIN sources s ON s.uri = d.source_uri');
  assert.equal(bySource?.n, row?.n);
});

test('every document has exactly one event per stage it reached', async () => {
  const dupes = await query(db, 'SELECT doc_id, stage, count(*) AS n FROM doc_events GROUP BY ALL HAVING n <> 1');
  assert.deepEqual(dupes, []);
  // A document reaches a stage exactly when the stage before it did not drop it.
  const gaps = await query(db, `
    WITH stages_of AS (SELECT stage_index, name FROM stages)
    SELECT d.doc_id, s.name
    FROM documents d CROSS JOIN stages_of s
    LEFT JOIN doc_events e ON e.doc_id = d.doc_id AND e.stage = s.name
    WHERE e.doc_id IS NULL AND NOT EXISTS (
      SELECT 1 FROM doc_events p JOIN stages_of ps ON ps.name = p.stage
      WHERE p.doc_id = d.doc_id AND p.action = 'drop' AND ps.stage_index < s.stage_index)`);
  assert.deepEqual(gaps, []);
  const [shardEvents] = await query(db, "SELECT count(*) AS n FROM doc_events WHERE stage = 'shard'");
  assert.equal(shardEvents?.n, summary.documents);
});

test('langid drops are explained and annotated with the language lid.176 found', async () => {
  const drops = await query(db, "SELECT reason, json_extract_string(detail, '$.lang') AS lang, count(*) AS n FROM doc_events WHERE stage = 'langid' AND action = 'drop' GROUP BY ALL ORDER BY n DESC");
  assert.ok(drops.length > 0);
  for (const d of drops) assert.equal(d.reason, 'lang_not_allowed');
  // The quickstart drops Arabic and Russian UDHR articles: lid.176 must have recognised them.
  const langs = new Set(drops.map((d) => d.lang));
  assert.ok(langs.has('ar') && langs.has('ru'), `dropped languages: ${[...langs].join(', ')}`);
  const [en] = await query(db, "SELECT count(*) AS n FROM language_distribution WHERE lang = 'en'");
  assert.equal(en?.n, 1);
});

test('every token of every sample is traced to a document and its source', async () => {
  const [orphans] = await query(db, 'SELECT count(*) AS n FROM samples s LEFT JOIN documents d USING (doc_id) WHERE d.doc_id IS NULL');
  assert.equal(orphans?.n, 0);
  const [tokens] = await query(db, 'SELECT sum(sample_end - sample_start) AS n FROM samples');
  assert.equal(tokens?.n, summary.tokens);
});

test('bad records are reported with file and offset, counted in provenance, and the rest flows', async () => {
  const dir = await tempDir('broken');
  const pipeline = await writePipeline(dir, {
    name: 'broken',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'broken', '*'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'langid' },
      { stage: 'shard', seq_len: 64, samples_per_shard: 4 },
    ],
  });
  const out = join(dir, 'out');
  const result = await run('node', [CLI, 'run', pipeline, '--out', out, '--json']).catch((e: { stdout: string; code: number }) => e);
  assert.equal('code' in result ? result.code : 0, 0, 'without --strict a run with bad records succeeds');
  const s = JSON.parse(result.stdout) as RunSummary;
  assert.equal(s.bad_records, 3);
  assert.equal(s.documents, 3 + 3 + 8);
  assert.deepEqual(s.errors.map((e) => e.reason).sort(), ['bad_json', 'corrupt_gzip', 'invalid_utf8']);
  for (const e of s.errors) assert.ok(e.uri.startsWith(join(FIXTURES, 'broken')) && e.offset > 0);

  const catalog = join(s.release_dir, 'provenance.duckdb');
  const bad = await query(catalog, "SELECT d.source_uri, d.source_offset, e.reason, json_extract_string(e.detail, '$.message') AS message FROM documents d JOIN doc_events e USING (doc_id) WHERE d.status = 'bad' ORDER BY e.reason");
  assert.deepEqual(bad.map((b) => b.reason), ['bad_json', 'corrupt_gzip', 'invalid_utf8']);
  for (const b of bad) assert.ok(Number(b.source_offset) > 0 && String(b.message).length > 0);

  const strict = await run('node', [CLI, 'run', pipeline, '--out', out, '--strict']).catch((e: { code: number; stdout: string }) => e);
  assert.equal('code' in strict ? strict.code : 0, 3, '--strict exits non-zero when records were unreadable');
  assert.match(strict.stdout, /3 unreadable input records/);
  assert.match(strict.stdout, /invalid-utf8\.jsonl @ byte \d+: invalid_utf8/);
});

test('a bad config names the file and the path of each problem, and exits with status 2', async () => {
  const dir = await tempDir('badconfig');
  const pipeline = await writePipeline(dir, {
    name: 'Bad Name',
    stages: [{ stage: 'ingest', inputs: [{ uri: 'x', format: 'warcz' }] }, { stage: 'shard', seq_len: 'long' }],
  });
  const result = await run('node', [CLI, 'validate', pipeline]).catch((e: { code: number; stderr: string }) => e);
  assert.equal('code' in result ? result.code : 0, 2);
  assert.match(result.stderr, /pipeline\.yaml: invalid pipeline/);
  assert.match(result.stderr, /^name: lowercase letters/m);
  assert.match(result.stderr, /^stages\[0\]\.inputs\[0\]\.format: /m);
  assert.match(result.stderr, /^stages\[1\]\.seq_len: .*number/m);
});

test('an input pattern that matches nothing is a config error naming the pattern', async () => {
  const dir = await tempDir('nofiles');
  const pipeline = await writePipeline(dir, {
    name: 'nofiles',
    stages: [{ stage: 'ingest', inputs: [{ uri: 'missing/*.jsonl', format: 'jsonl' }] }, { stage: 'shard' }],
  });
  const result = await run('node', [CLI, 'run', pipeline, '--out', join(dir, 'out')]).catch((e: { code: number; stderr: string }) => e);
  assert.equal('code' in result ? result.code : 0, 2);
  assert.match(result.stderr, /stages\[0\]\.inputs\[0\]\.uri: no files match missing\/\*\.jsonl/);
});

test('a config error raised inside a task thread is reported as a config error, without a stack trace', async () => {
  const env = { ...process.env };
  delete env.CORPUSFLOW_PII_KEY;
  const out = await tempDir('threadconfig');
  const result = await run('node', [CLI, 'run', join(ROOT, 'pipelines', 'web-pii.yaml'), '--out', out], { env }).catch((e: { code: number; stderr: string }) => e);
  assert.equal('code' in result ? result.code : 0, 2);
  assert.match(result.stderr, /^corpusflow: pii\.pseudonym_key_env: environment variable CORPUSFLOW_PII_KEY is not set/m);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});
