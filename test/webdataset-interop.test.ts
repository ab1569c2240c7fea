import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ReleaseManifest } from '../schemas/release.js';
import { runLocal } from '../src/executors/local.js';
import { forgetRelease } from '../src/release/forget.js';
import { QUICKSTART, ROOT, request, tempDir } from './helpers/pipelines.js';

const python = process.env.CORPUSFLOW_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
const readWithWebdataset = async (release: string, eos: number) =>
  JSON.parse((await promisify(execFile)(python, [join(ROOT, 'test', 'python', 'read_webdataset.py'), release, String(eos)])).stdout) as Report;

interface Report {
  shards: { name: string; samples: number; tokens: number; dtypes: string[] }[];
  eos: number;
  json_token_mismatches: number;
  docs_in_json: number;
}

test('Python webdataset reads every shard and counts the same samples and tokens as the manifest', async () => {
  const summary = await runLocal(await request(QUICKSTART, await tempDir('wds'), 'wds-run'));
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(summary.release_dir, 'manifest.json'), 'utf8')));
  const report = await readWithWebdataset(summary.release_dir, manifest.tokenizer.eos_id);
  assert.deepEqual(
    report.shards.map(({ name, samples, tokens }) => ({ name, samples, tokens })),
    manifest.shards.map(({ name, samples, tokens }) => ({ name, samples, tokens })),
  );
  for (const s of report.shards) assert.deepEqual(s.dtypes, [manifest.tokenizer.dtype]);
  // One EOS closes every document, and each sample's .json accounts for every token in its .npy.
  assert.equal(report.eos, manifest.totals.documents);
  assert.equal(report.json_token_mismatches, 0);
  assert.ok(report.docs_in_json >= manifest.totals.documents);
});

test('Python webdataset reads every sample of a forgotten version, its carried shards from the version that holds them', async () => {
  const summary = await runLocal(await request(QUICKSTART, await tempDir('wds-forget'), 'wds-forget'));
  const forgotten = await forgetRelease(summary.release_dir, { url: 'http://0pointer.de/photos/?gallery=Australia&photo=496' }, { reason: 'test' });
  assert.ok(forgotten.carried.length > 0);
  const v2 = ReleaseManifest.parse(JSON.parse(await readFile(join(forgotten.release_dir, 'manifest.json'), 'utf8')));
  const report = await readWithWebdataset(forgotten.release_dir, v2.tokenizer.eos_id);
  assert.deepEqual(
    report.shards.map(({ name, samples, tokens }) => ({ name, samples, tokens })),
    v2.shards.map(({ name, samples, tokens }) => ({ name, samples, tokens })),
  );
  assert.equal(report.eos, v2.totals.documents);
  assert.equal(report.json_token_mismatches, 0);
});
