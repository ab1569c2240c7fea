import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { decode } from 'gpt-tokenizer/encoding/cl100k_base';
import { ReleaseManifest } from '../schemas/release.js';
import { DatasetManifest, RunPlan } from '../schemas/run.js';
import type { RunSummary } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { readDocuments } from '../src/parts/documents.js';
import { forgetRelease } from '../src/release/forget.js';
import { datasetUri, stageDir } from '../src/run/paths.js';
import { storageFor } from '../src/storage/index.js';
import { QUICKSTART, ROOT, request, tempDir } from './helpers/pipelines.js';

// The venv with torch, which wids imports (requirements-wids.txt).
const python = process.env.CORPUSFLOW_WIDS_PYTHON ?? join(ROOT, '.venv-wids', 'bin', 'python');
const WET_URL = 'http://0pointer.de/photos/?gallery=Australia&photo=496';

interface WidsReport {
  len: number;
  samples: { shard: string; key: string; sample: number; dtype: string }[];
  docs: Record<string, [number, number[]][]>;
}

/** Every sample of a release as `wids.ShardListDataset` returns it, read by index in a scrambled order. */
async function readWithWids(release: string): Promise<WidsReport> {
  const { stdout } = await promisify(execFile)(python, [join(ROOT, 'test', 'python', 'read_wids.py'), release, await tempDir('wids-cache')], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as WidsReport;
}

const manifestOf = async (dir: string) => ReleaseManifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));

let summary: RunSummary;
/** The text of every document that reached the shard stage (the langid stage's output). */
const texts = new Map<string, string>();

before(async () => {
  summary = await runLocal(await request(QUICKSTART, await tempDir('wids'), 'wids-run'));
  const plan = RunPlan.parse(JSON.parse(await readFile(join(summary.release_dir, '..', '..', '..', 'runs', 'wids-run', 'plan.json'), 'utf8')));
  const langid = DatasetManifest.parse(JSON.parse(await readFile(datasetUri(stageDir(plan, 1)), 'utf8')));
  for (const part of langid.parts) for (const d of await readDocuments(storageFor(part.uri), part.uri)) texts.set(d.id, d.text);
});

/** Rebuild each document from its pieces and detokenize it; returns the ids seen. */
function assertExactText(report: WidsReport, eos: number): Set<string> {
  for (const [id, pieces] of Object.entries(report.docs)) {
    let next = 0;
    const tokens: number[] = [];
    for (const [start, piece] of pieces) {
      assert.equal(start, next, `${id}: pieces follow each other`);
      tokens.push(...piece);
      next += piece.length;
    }
    assert.equal(tokens.pop(), eos, `${id} ends with EOS`);
    assert.equal(decode(tokens), texts.get(id), id);
  }
  return new Set(Object.keys(report.docs));
}

test('Python wids reads every sample of a release by its index through index.wids.json, and the tokens detokenize to the exact source text', async () => {
  const manifest = await manifestOf(summary.release_dir);
  const report = await readWithWids(summary.release_dir);
  assert.equal(report.len, manifest.totals.samples);
  const spp = manifest.packing.samples_per_shard;
  for (const [i, s] of report.samples.entries()) {
    // Sample i is in shard i // samples_per_shard, at key i: what a loader resuming at index i relies on.
    assert.equal(s.sample, i);
    assert.equal(s.key, String(i).padStart(9, '0'));
    assert.equal(basename(s.shard), manifest.shards[Math.floor(i / spp)]?.name);
    assert.equal(s.dtype, manifest.tokenizer.dtype);
  }
  const seen = assertExactText(report, manifest.tokenizer.eos_id);
  assert.equal(seen.size, manifest.totals.documents);
  assert.equal(seen.size, texts.size);
});

test('Python wids reads a forgotten version through its index: carried shards from the version holding them, and no erased tokens', async () => {
  const forgotten = await forgetRelease(summary.release_dir, { url: WET_URL }, { reason: 'test' });
  assert.ok(forgotten.carried.length > 0 && forgotten.rewritten.length > 0);
  const v2 = await manifestOf(forgotten.release_dir);
  const report = await readWithWids(forgotten.release_dir);
  assert.equal(report.len, v2.totals.samples);
  for (const [i, s] of report.samples.entries()) {
    const shard = v2.shards[Math.floor(i / v2.packing.samples_per_shard)];
    assert.equal(basename(s.shard), shard?.name);
    assert.match(s.shard, shard?.from ? /\/v1\/shards\/[^/]+$/ : /\/v2\/shards\/[^/]+$/, `sample ${i} is read from ${s.shard}`);
  }
  const seen = assertExactText(report, v2.tokenizer.eos_id);
  for (const id of forgotten.doc_ids) assert.ok(!seen.has(id), `${id} was erased`);
  assert.equal(seen.size, v2.totals.documents);
});
