import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { decode } from 'gpt-tokenizer/encoding/cl100k_base';
import { ReleaseManifest } from '../schemas/release.js';
import { DatasetManifest, RunPlan } from '../schemas/run.js';
import type { RunSummary } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { readDocuments } from '../src/parts/documents.js';
import { readNpy } from '../src/release/npy.js';
import { readSamples } from '../src/release/reader.js';
import { shardUri } from '../src/release/shard-location.js';
import { readTar, TarError } from '../src/release/tar-read.js';
import { TarWriter } from '../src/release/tar.js';
import { samplesOf } from '../src/release/verify.js';
import { datasetUri, stageDir } from '../src/run/paths.js';
import { storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { QUICKSTART, ROOT, request, tempDir } from './helpers/pipelines.js';
import { cli } from './helpers/cli.js';

const python = process.env.CORPUSFLOW_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
const exec = promisify(execFile);
const WET_URL = 'http://0pointer.de/photos/?gallery=Australia&photo=496';

let a: RunSummary;
let b: RunSummary;
/** v2 of release-a, written by the forget --url test, and the shards that forget rewrote. */
let forgotten: { v2: string; rewritten: Set<string> } | undefined;

const manifestOf = async (dir: string) => ReleaseManifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));

/** Every sample of a release: shard, key, its tokens and the documents its .json names. */
async function samples(dir: string): Promise<{ shard: string; key: string; tokens: number[]; docs: { id: string; range: [number, number] }[] }[]> {
  const out = [];
  for (const s of (await manifestOf(dir)).shards) {
    for (const [key, files] of samplesOf(readTar(await readFile(shardUri(dir, s))))) {
      const meta = JSON.parse((files.get('json') ?? Buffer.from('{}')).toString('utf8')) as { docs: { id: string; range: [number, number] }[] };
      out.push({ shard: s.name, key, tokens: [...readNpy(files.get('tokens.npy') ?? Buffer.alloc(0))], docs: meta.docs });
    }
  }
  return out;
}

before(async () => {
  a = await runLocal(await request(QUICKSTART, await tempDir('release-a'), 'release-a'));
  b = await runLocal(await request(QUICKSTART, await tempDir('release-b'), 'release-b'));
});

test('a rerun gives a byte-identical release: manifest, index and every shard', async () => {
  for (const file of ['manifest.json', 'index.wids.json']) {
    assert.deepEqual(await readFile(join(b.release_dir, file)), await readFile(join(a.release_dir, file)), file);
  }
  const shards = await readdir(join(a.release_dir, 'shards'));
  assert.ok(shards.length > 1);
  assert.deepEqual(await readdir(join(b.release_dir, 'shards')), shards);
  for (const s of shards) assert.deepEqual(await readFile(join(b.release_dir, 'shards', s)), await readFile(join(a.release_dir, 'shards', s)), s);
});

test('the manifest names the tokenizer with the vocabulary hash tiktoken pins for cl100k_base', async () => {
  const { tokenizer } = await manifestOf(a.release_dir);
  assert.equal(tokenizer.name, 'cl100k_base');
  assert.equal(tokenizer.vocab_size, 100277);
  // tiktoken_ext/openai_public.py: expected_hash of cl100k_base.tiktoken.
  assert.equal(tokenizer.vocab_sha256, '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7');
});

test('verify passes on a fresh release and catches a flipped byte in a shard, naming it', async () => {
  const ok = await cli(['verify', b.release_dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: 5 shards, 71 samples/);
  const shard = join(b.release_dir, 'shards', 'quickstart-000002.tar');
  const bytes = await readFile(shard);
  bytes[700] = (bytes[700] as number) ^ 0x01;
  await writeFile(shard, bytes);
  const bad = await cli(['verify', b.release_dir, '--json']);
  assert.equal(bad.code, 1);
  const report = JSON.parse(bad.stdout) as { problems: string[] };
  assert.ok(report.problems.length > 0);
  assert.ok(report.problems.every((p) => p.startsWith('quickstart-000002.tar: ')), report.problems.join('\n'));
  assert.ok(report.problems.some((p) => p.includes('sha256')));
});

test('the tar reader refuses names that climb out of the folder, absolute names and symlinks', () => {
  const tarWith = (name: string, type = '0'): Buffer => {
    const t = new TarWriter();
    t.add(name, Buffer.from('x'));
    const tar = t.finish();
    tar.write(type, 156, 'ascii');
    tar.write('        ', 148, 'ascii');
    let sum = 0;
    for (const byte of tar.subarray(0, 512)) sum += byte;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    return tar;
  };
  assert.deepEqual(readTar(tarWith('000000000.json')).map((m) => m.name), ['000000000.json']);
  assert.throws(() => readTar(tarWith('../000000000.json')), TarError);
  assert.throws(() => readTar(tarWith('/etc/000000000.json')), TarError);
  assert.throws(() => readTar(tarWith('000000000.json', '2')), /not a regular file/);
  const corrupt = tarWith('000000000.json');
  corrupt[10] = 0x41;
  assert.throws(() => readTar(corrupt), /checksum/);
});

test('tokens that Python webdataset decodes detokenize to the exact text of every source document', async () => {
  const { stdout } = await exec(python, [join(ROOT, 'test', 'python', 'dump_webdataset_tokens.py'), a.release_dir], { maxBuffer: 64 << 20 });
  const report = JSON.parse(stdout) as { samples_per_shard: number[]; docs: Record<string, [number, number[]][]> };
  const manifest = await manifestOf(a.release_dir);
  // Equal shards: every shard but the last holds samples_per_shard samples.
  assert.deepEqual(report.samples_per_shard.slice(0, -1), report.samples_per_shard.slice(0, -1).map(() => manifest.packing.samples_per_shard));
  const plan = RunPlan.parse(JSON.parse(await readFile(join(a.release_dir, '..', '..', '..', 'runs', 'release-a', 'plan.json'), 'utf8')));
  const langid = DatasetManifest.parse(JSON.parse(await readFile(datasetUri(stageDir(plan, 1)), 'utf8')));
  const texts = new Map<string, string>();
  for (const part of langid.parts) for (const d of await readDocuments(storageFor(part.uri), part.uri)) texts.set(d.id, d.text);
  assert.equal(Object.keys(report.docs).length, texts.size);
  for (const [id, pieces] of Object.entries(report.docs)) {
    let next = 0;
    const tokens: number[] = [];
    for (const [start, piece] of pieces) {
      assert.equal(start, next, `${id}: pieces follow each other`);
      tokens.push(...piece);
      next += piece.length;
    }
    assert.equal(tokens.pop(), manifest.tokenizer.eos_id, `${id} ends with EOS`);
    assert.equal(decode(tokens), texts.get(id), id);
  }
});

test('forget --url writes v2 without the document: only its shards are rewritten, the rest are carried from v1 by reference', async () => {
  const v1 = a.release_dir;
  const v1Manifest = await readFile(join(v1, 'manifest.json'));
  const [doc] = await query(join(v1, 'provenance.duckdb'), `SELECT doc_id FROM documents WHERE url = '${WET_URL}'`);
  const erased = String(doc?.doc_id);
  const holding = new Set((await query(join(v1, 'provenance.duckdb'), `SELECT DISTINCT shard FROM samples WHERE doc_id = '${erased}'`)).map((r) => String(r.shard)));
  assert.ok(holding.size > 0);

  const r = await cli(['forget', v1, '--url', WET_URL, '--reason', 'GDPR art. 17 request', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { release_dir: string; version: number; doc_ids: string[]; rewritten: string[]; carried: string[] };
  assert.equal(result.version, 2);
  assert.deepEqual(result.doc_ids, [erased]);
  assert.deepEqual(new Set(result.rewritten), holding);
  const v2 = result.release_dir;
  assert.equal(v2, join(v1, '..', 'v2'));

  const [m1, m2] = [await manifestOf(v1), await manifestOf(v2)];
  assert.equal(m2.parent_version, 1);
  assert.deepEqual(await readFile(join(v1, 'manifest.json')), v1Manifest, 'v1 is never changed');
  assert.ok(result.carried.length > 0, 'the quickstart release has shards the document is not in');
  assert.deepEqual((await readdir(join(v2, 'shards'))).sort(), [...holding].sort(), 'v2/shards holds only the rewritten shards');
  for (const s of m2.shards) {
    const old = m1.shards.find((x) => x.name === s.name);
    assert.equal(s.samples, old?.samples, 'every shard keeps its sample count');
    if (holding.has(s.name)) {
      assert.notEqual(s.sha256, old?.sha256);
      assert.equal(s.from, undefined);
    } else {
      assert.deepEqual(s, { ...old, from: 'v1' }, `${s.name} is carried from v1 with its name, sha256, bytes, samples and tokens`);
    }
  }
  const index = JSON.parse(await readFile(join(v2, 'index.wids.json'), 'utf8')) as { shardlist: { url: string }[] };
  assert.deepEqual(index.shardlist.map((e) => e.url), m2.shards.map((s) => (s.from ? `../v1/shards/${s.name}` : `shards/${s.name}`)));
  const verified = await cli(['verify', v2]);
  assert.equal(verified.code, 0, verified.stdout);
  forgotten = { v2, rewritten: holding };

  // Each v2 sample is its v1 sample with the erased document's tokens cut out, and nothing else changed.
  const before = await samples(v1);
  const after = await samples(v2);
  assert.equal(after.length, before.length);
  let removed = 0;
  for (const [i, s] of after.entries()) {
    const old = before[i];
    assert.ok(old && old.key === s.key && old.shard === s.shard);
    assert.ok(!s.docs.some((d) => d.id === erased));
    const kept = old.docs.filter((d) => d.id !== erased).flatMap((d) => old.tokens.slice(d.range[0], d.range[1]));
    assert.deepEqual(s.tokens, kept);
    removed += old.tokens.length - kept.length;
  }
  assert.equal(m1.totals.tokens - m2.totals.tokens, removed);
  assert.equal(m2.totals.documents, m1.totals.documents - 1);

  const db = join(v2, 'provenance.duckdb');
  assert.deepEqual((await query(db, 'SELECT doc_id, reason, release_version FROM erasures')), [{ doc_id: erased, reason: 'GDPR art. 17 request', release_version: 2 }]);
  assert.deepEqual(await query(db, `SELECT count(*) AS n FROM samples WHERE doc_id = '${erased}'`), [{ n: 0 }]);
  assert.match(await readFile(join(v2, 'DATACARD.md'), 'utf8'), /GDPR art\. 17 request \| 1 \|/);

  const diff = await cli(['diff', v1, v2, '--json']);
  const d = JSON.parse(diff.stdout) as { docs: { added: string[]; removed: string[] }; tokens: { delta: number }; config: unknown[]; shards: { changed: string[] } };
  assert.deepEqual(d.docs, { ...d.docs, added: [], removed: [erased] });
  assert.equal(d.tokens.delta, -removed);
  assert.deepEqual(d.config, []);
  assert.deepEqual(new Set(d.shards.changed), holding);

  const none = await cli(['forget', v2, '--url', WET_URL]);
  assert.equal(none.code, 1, 'an erased URL matches nothing in the next version');
});

test('Python webdataset reads every sample of v2 through index.wids.json, carried shards from v1', async () => {
  assert.ok(forgotten, 'the forget --url test wrote v2');
  const { stdout } = await exec(python, [join(ROOT, 'test', 'python', 'read_wids_index.py'), forgotten.v2], { maxBuffer: 64 << 20 });
  const report = JSON.parse(stdout) as { shards: { url: string; path: string; nsamples: number; samples: number; tokens: number }[] };
  const m2 = await manifestOf(forgotten.v2);
  assert.equal(report.shards.length, m2.shards.length);
  for (const [i, s] of m2.shards.entries()) {
    const got = report.shards[i];
    assert.equal(got?.path, shardUri(forgotten.v2, s), `${s.name} resolves to the file that holds it`);
    assert.deepEqual([got?.samples, got?.tokens], [s.samples, s.tokens], s.name);
  }
  assert.equal(report.shards.reduce((n, s) => n + s.samples, 0), m2.totals.samples);
});

test('verify of v2 fails naming the shard when a carried shard in v1 is changed or missing', async () => {
  assert.ok(forgotten, 'the forget --url test wrote v2');
  // A copy of the whole release name folder, so the other tests keep an intact v1.
  const root = join(await tempDir('release-carried'), 'quickstart');
  await cp(join(forgotten.v2, '..'), root, { recursive: true });
  const v2 = join(root, 'v2');
  const carried = (await manifestOf(v2)).shards.find((s) => s.from === 'v1');
  assert.ok(carried);
  const file = join(root, 'v1', 'shards', carried.name);
  const bytes = await readFile(file);
  const at = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
  await writeFile(file, bytes);
  const changed = await cli(['verify', v2]);
  assert.equal(changed.code, 1);
  assert.match(changed.stdout, new RegExp(`${carried.name.replace('.', '\\.')} \\(in v1\\): sha256 [0-9a-f]{64}, manifest says ${carried.sha256}`));
  await rm(file);
  const missing = await cli(['verify', v2]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, new RegExp(`${carried.name.replace('.', '\\.')}: missing from v1, the version it is carried from`));
});

test('a second forget writes v3 whose untouched shards point straight at the version that wrote them', async () => {
  assert.ok(forgotten, 'the forget --url test wrote v2');
  const root = join(await tempDir('release-chain'), 'quickstart');
  await cp(join(forgotten.v2, '..'), root, { recursive: true });
  const v2 = join(root, 'v2');
  const m2 = await manifestOf(v2);
  // A document in a shard v1 still holds, so v3 rewrites a carried shard and carries the rewritten one.
  const [row] = await query(join(v2, 'provenance.duckdb'), `SELECT doc_id FROM samples WHERE shard NOT IN (${[...forgotten.rewritten].map((s) => `'${s}'`).join(', ')}) ORDER BY shard, key LIMIT 1`);
  const victim = String(row?.doc_id);
  const r = await cli(['forget', v2, '--doc-id', victim, '--reason', 'second request', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { release_dir: string; version: number; rewritten: string[] };
  assert.equal(result.version, 3);
  const v3 = result.release_dir;
  const m3 = await manifestOf(v3);
  const byV3 = new Set(result.rewritten);
  assert.ok(byV3.size > 0 && [...byV3].every((n) => !forgotten?.rewritten.has(n)));
  for (const s of m3.shards) {
    const expected: string | undefined = byV3.has(s.name) ? undefined : forgotten.rewritten.has(s.name) ? 'v2' : 'v1';
    assert.equal(s.from, expected, s.name);
    if (!byV3.has(s.name)) assert.equal(s.sha256, m2.shards.find((x) => x.name === s.name)?.sha256);
  }
  assert.deepEqual((await readdir(join(v3, 'shards'))).sort(), [...byV3].sort());
  const verified = await cli(['verify', v3]);
  assert.equal(verified.code, 0, verified.stdout);
  let n = 0;
  for await (const sample of readSamples(v3)) {
    assert.ok(!sample.meta.docs.some((d) => d.id === victim));
    n++;
  }
  assert.equal(n, m3.totals.samples);
});

test('a manifest may carry a shard only from an earlier version folder of the same release', async () => {
  const m = await manifestOf(a.release_dir);
  const [first] = m.shards;
  assert.ok(first);
  const withFrom = (from: string, version = 2) => ReleaseManifest.safeParse({ ...m, version, shards: [{ ...first, from }, ...m.shards.slice(1)] });
  assert.ok(withFrom('v1').success);
  for (const bad of ['v2', 'v3', '../v1', 'v1/../..', 'v0', 'v01', '/tmp/v1', 's3://other/v1']) {
    const parsed = withFrom(bad);
    assert.equal(parsed.success, false, bad);
  }
  const forward = withFrom('v3');
  assert.match(JSON.stringify(forward.error?.issues), /carried from v3, which is not earlier than v2/);
});

test('diff names every config difference between two releases of different pipelines', async () => {
  const out = await tempDir('release-c');
  const { loadPipeline } = await import('../src/pipeline.js');
  const { spec, baseDir } = await loadPipeline(QUICKSTART);
  const shardStage = spec.stages.at(-1);
  assert.ok(shardStage?.stage === 'shard');
  const c = await runLocal({ run_id: 'release-c', pipeline: { ...spec, stages: [...spec.stages.slice(0, -1), { ...shardStage, seq_len: 256 }] }, base_dir: baseDir, out });
  const diff = await cli(['diff', a.release_dir, c.release_dir]);
  assert.equal(diff.code, 0, diff.stderr);
  assert.match(diff.stdout, /pipeline\.stages\.2\.seq_len: 512 -> 256/);
  assert.match(diff.stdout, /packing\.seq_len: 512 -> 256/);
  assert.match(diff.stdout, /documents {2}\+0 -0 \(314 in both\)/);
});

test('the TypeScript reader streams every sample in order and resumes at a sample index in a later shard', async () => {
  const all = [];
  for await (const s of readSamples(a.release_dir)) all.push(s);
  const manifest = await manifestOf(a.release_dir);
  assert.equal(all.length, manifest.totals.samples);
  assert.deepEqual(all.map((s) => s.index), all.map((_, i) => i));
  assert.equal(all.reduce((n, s) => n + s.tokens.length, 0), manifest.totals.tokens);
  const resumed = [];
  for await (const s of readSamples(a.release_dir, { start: 37 })) resumed.push(s);
  assert.equal(resumed.length, all.length - 37);
  const { stdout } = await exec(python, [join(ROOT, 'test', 'python', 'resume_webdataset.py'), a.release_dir, '37']);
  assert.deepEqual(JSON.parse(stdout), resumed.map((s) => s.key), 'Python webdataset resumes at the same sample');
  assert.deepEqual({ key: resumed[0]?.key, shard: resumed[0]?.shard, tokens: [...(resumed[0]?.tokens ?? [])] }, { key: all[37]?.key, shard: all[37]?.shard, tokens: [...(all[37]?.tokens ?? [])] });
});
