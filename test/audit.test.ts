import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { PROVENANCE_TABLES } from '../schemas/provenance.js';
import type { RunSummary } from '../schemas/run.js';
import { DocumentTrace } from '../schemas/trace.js';
import { runLocal } from '../src/executors/local.js';
import { writeParquet } from '../src/parts/parquet.js';
import { buildCatalog } from '../src/provenance/catalog.js';
import { storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { QUICKSTART, ROOT, request, tempDir } from './helpers/pipelines.js';
import { cli } from './helpers/cli.js';

const WET_URL = 'http://0pointer.de/photos/?gallery=Australia&photo=496';

let summary: RunSummary;
let release: string;
let db: string;
let piiDoc: string;
let dupes: string[];

const traces = (stdout: string) => DocumentTrace.array().parse(JSON.parse(stdout));

/** The JSON member of a sample in a ustar shard. */
async function sampleJson(shard: string, key: string): Promise<{ docs: { id: string; range: [number, number] }[] }> {
  const tar = await readFile(join(release, 'shards', shard));
  for (let pos = 0; pos + 512 <= tar.length;) {
    const name = tar.toString('latin1', pos, pos + 100).replace(/\0.*$/s, '');
    const size = parseInt(tar.toString('latin1', pos + 124, pos + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (name === `${key}.json`) return JSON.parse(tar.toString('utf8', pos + 512, pos + 512 + size)) as { docs: { id: string; range: [number, number] }[] };
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${shard} has no ${key}.json`);
}

before(async () => {
  const out = await tempDir('audit');
  summary = await runLocal(await request(QUICKSTART, out, 'audit-test'));
  release = summary.release_dir;
  db = join(release, 'provenance.duckdb');
  // Rows as the pii and dedup stages write them, added to the run's fragments; the catalog is rebuilt from them.
  const kept = await query(db, "SELECT doc_id FROM doc_events WHERE stage = 'shard' ORDER BY doc_id LIMIT 3");
  [piiDoc] = kept.map((r) => String(r.doc_id)) as [string];
  dupes = kept.slice(1).map((r) => String(r.doc_id));
  const workDir = join(out, 'runs', 'audit-test');
  const pii = join(workDir, '09-pii', 'provenance', 'doc_events', 'map-00000.parquet');
  await writeParquet(storageFor(pii), pii, PROVENANCE_TABLES.doc_events, [{
    run_id: 'audit-test', stage: 'pii', stage_version: 1, phase: 'map', doc_id: piiDoc, action: 'modify', reason: null,
    detail: JSON.stringify({ pii: { counts: { EMAIL: 2, PHONE: 1 }, spans: [['EMAIL', 10, 27], ['EMAIL', 40, 55], ['PHONE', 60, 72]] } }),
  }]);
  const dedup = join(workDir, '09-dedup', 'provenance', 'dedup_clusters', 'signatures-00000.parquet');
  await writeParquet(storageFor(dedup), dedup, PROVENANCE_TABLES.dedup_clusters, dupes.map((doc_id, i) => ({
    method: 'minhash', cluster_id: 'c0001', doc_id, kept: i === 0, similarity: i === 0 ? 1 : 0.86,
  })));
  await buildCatalog(workDir, { executor: 'local', started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:01Z' });
});

test('trace --url follows a WET record from its file and byte offset through every stage to its shard and token range', async () => {
  const r = await cli(['trace', release, '--url', WET_URL, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [t, ...rest] = traces(r.stdout);
  assert.ok(t);
  assert.equal(rest.length, 0);
  assert.ok(t.source.uri.endsWith('fixtures/commoncrawl/CC-MAIN-20140820021334-00006.warc.wet.gz'));
  assert.equal(t.source.offset, 412);
  assert.equal(t.source.record_id, '<urn:uuid:293f96dd-4bea-42b2-b3fd-7bff8bf10dc9>');
  assert.equal(t.source.license, 'CC-TOU');
  assert.match(t.source.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.deepEqual(t.events.map((e) => `${e.stage}:${e.action}`), ['ingest:keep', 'langid:keep', 'shard:keep']);
  assert.deepEqual((t.events[1]?.detail as { lang: string }).lang, 'en');
  assert.equal(t.outcome.status, 'released');
  // The range the catalog gives is the range the shard's own sample JSON gives.
  for (const s of t.samples) {
    const sample = await sampleJson(s.shard, s.key);
    assert.deepEqual(sample.docs.find((d) => d.id === t.doc_id)?.range, [s.sample_start, s.sample_end]);
  }
  const text = await cli(['trace', release, '--url', WET_URL]);
  assert.match(text.stdout, /@ byte 412 \(wet\)/);
  assert.match(text.stdout, /langid\/map\s+v\d+\s+keep\s+\{"lang":"en"/);
  assert.match(text.stdout, /sample\s+quickstart-000000\.tar:000000000/);
});

test('trace --doc-id of a dropped document names the stage and the rule that dropped it', async () => {
  const [dropped] = await query(db, "SELECT doc_id FROM doc_events WHERE stage = 'langid' AND action = 'drop' ORDER BY doc_id LIMIT 1");
  const r = await cli(['trace', release, '--doc-id', String(dropped?.doc_id), '--json']);
  const [t] = traces(r.stdout);
  assert.deepEqual(t?.outcome, { status: 'dropped', stage: 'langid', reason: 'lang_not_allowed' });
  assert.deepEqual(t?.samples, []);
  assert.deepEqual(t?.events.map((e) => e.stage), ['ingest', 'langid'], 'nothing after the stage that dropped it');
});

test('trace --sample lists every document the sample holds, their ranges tiling the sample', async () => {
  const r = await cli(['trace', release, '--sample', 'quickstart-000001:20', '--json']);
  const ts = traces(r.stdout);
  assert.ok(ts.length > 1);
  const ranges = ts.map((t) => t.samples.find((s) => s.key === '000000020')).map((s) => [s?.sample_start, s?.sample_end]);
  assert.equal(ranges[0]?.[0], 0);
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]?.[0], ranges[i - 1]?.[1]);
  const sample = await sampleJson('quickstart-000001.tar', '000000020');
  assert.deepEqual(ts.map((t) => t.doc_id), sample.docs.map((d) => d.id));
});

test('trace shows PII counts by type and the dedup cluster that the pii and dedup stages record', async () => {
  const [t] = traces((await cli(['trace', release, '--doc-id', piiDoc, '--json'])).stdout);
  assert.deepEqual(t?.pii, { EMAIL: 2, PHONE: 1 });
  const [d] = traces((await cli(['trace', release, '--doc-id', dupes[1] ?? '', '--json'])).stdout);
  assert.deepEqual(d?.dedup, [{ method: 'minhash', cluster_id: 'c0001', kept: false, similarity: 0.86, cluster_size: 2 }]);
  const text = await cli(['trace', release, '--doc-id', piiDoc]);
  assert.match(text.stdout, /pii\s+EMAIL 2, PHONE 1/);
});

test('audit presets answer licences, the filter funnel, PII, languages and sources from the catalog', async () => {
  const json = async (preset: string) => JSON.parse((await cli(['audit', release, preset, '--json'])).stdout) as Record<string, unknown>[];
  const licenses = await json('licenses');
  assert.deepEqual(licenses.map((l) => l.license), ['MIT', 'CC-TOU']);
  assert.equal(licenses.reduce((n, l) => n + Number(l.tokens), 0), summary.tokens);
  assert.equal(licenses.reduce((n, l) => n + Number(l.documents_released), 0), summary.documents);
  const funnel = await json('filter-funnel');
  assert.deepEqual(funnel.map((f) => [f.stage, f.docs_in, f.kept, f.dropped]), summary.stages.map((s) => [s.name, s.docs_in, s.docs_out, s.docs_in - s.docs_out]));
  assert.deepEqual(await json('pii-summary'), [{ entity_type: 'EMAIL', documents: 1, mentions: 2 }, { entity_type: 'PHONE', documents: 1, mentions: 1 }]);
  const languages = await json('languages');
  assert.equal(languages.reduce((n, l) => n + Number(l.documents), 0), summary.stages[1]?.docs_out);
  assert.equal((await json('sources')).length, 14);
  const table = await cli(['audit', release, 'licenses']);
  assert.match(table.stdout, /^license\s+sources\s+documents_in\s+documents_released\s+tokens$/m);
  assert.match(table.stdout, /\(2 rows\)/);
});

test('audit binds --param values: a hostile value is compared as data, never run as SQL', async () => {
  const sql = 'SELECT count(*) AS n FROM documents WHERE url = $url';
  const hostile = await cli(['audit', release, sql, '--param', "url=x' OR '1'='1", '--json']);
  assert.equal(hostile.code, 0, hostile.stderr);
  assert.deepEqual(JSON.parse(hostile.stdout), [{ n: 0 }]);
  const real = await cli(['audit', release, sql, '--param', `url=${WET_URL}`, '--json']);
  assert.deepEqual(JSON.parse(real.stdout), [{ n: 1 }]);
  const missing = await cli(['audit', release, sql]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing parameter: \$url/);
});

test('free SQL can neither change the catalog nor read or write other files', async () => {
  for (const sql of ['CREATE TABLE notes (x INT)', 'DELETE FROM documents', "COPY documents TO '/tmp/cf-leak.csv'", "SELECT * FROM read_csv('/etc/passwd')", 'SELECT 1; DROP TABLE documents']) {
    const r = await cli(['audit', release, sql]);
    assert.equal(r.code, 2, `${sql} is refused`);
    assert.notEqual(r.stderr, '');
  }
  const [row] = await query(db, 'SELECT count(*) AS n FROM documents');
  assert.equal(row?.n, summary.stages[0]?.docs_in);
});

test('trace of a URL that is not in the release exits 1, and a folder without a catalog is named', async () => {
  const r = await cli(['trace', release, '--url', 'https://example.org/never-crawled']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no document matches/);
  const nowhere = await cli(['audit', join(release, 'no-such-version'), 'licenses']);
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /no provenance catalog at .*no-such-version\/provenance\.duckdb/);
});

test('every example query in docs/provenance.md runs on a release', async () => {
  const doc = await readFile(join(ROOT, 'docs', 'provenance.md'), 'utf8');
  const statements = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? '').split(/;[ \t]*(?:--[^\n]*)?(?:\n|$)/))
    .map((s) => s.trim())
    .filter(Boolean);
  assert.ok(statements.length >= 12);
  const results = [];
  for (const sql of statements) results.push(await query(db, sql));
  assert.ok((results[0]?.length ?? 0) > 0, 'the sample example finds the documents of a sample');
  assert.equal(results[1]?.length, 3, 'the URL example shows one event per stage');
});
