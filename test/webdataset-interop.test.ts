import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ReleaseManifest } from '../schemas/release.js';
import { runLocal } from '../src/executors/local.js';
import { QUICKSTART, ROOT, request, tempDir } from './helpers/pipelines.js';

const python = process.env.CORPUSFLOW_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');

interface Report {
  shards: { name: string; samples: number; tokens: number; dtypes: string[] }[];
  eos: number;
  json_token_mismatches: number;
  docs_in_json: number;
}

test('Python webdataset reads every shard and counts the same samples and tokens as the manifest', async () => {
  const summary = await runLocal(await request(QUICKSTART, await tempDir('wds'), 'wds-run'));
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(summary.release_dir, 'manifest.json'), 'utf8')));
  const { stdout } = await promisify(execFile)(python, [join(ROOT, 'test', 'python', 'read_webdataset.py'), summary.release_dir, String(manifest.tokenizer.eos_id)]);
  const report = JSON.parse(stdout) as Report;
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
