import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { zstdFrames } from '../stages/ingest/zstd-frames.js';
import { badOf, docsOf, readAll } from './helpers/ingest.js';
import { FIXTURES } from './helpers/pipelines.js';

const config = (extra: Record<string, unknown> = {}) => IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: 'x', format: 'jsonl', id_field: 'id' }], ...extra });
/** The 31 UDHR lines compressed as three zstd frames (10, 10 and 11 lines), as `zstd` appends them. */
const FRAMES = join(FIXTURES, 'formats', 'udhr-en.frames.jsonl.zst');

test('each line of a multi-frame zstd JSONL file carries its frame offset, and the documents match the gzip file', async () => {
  const bytes = await readFile(FRAMES);
  const walk = zstdFrames(bytes);
  assert.equal(walk.error, null);
  assert.deepEqual(walk.frames.map((f) => f.start), [0, 1717, 3083]);
  assert.equal(walk.frames.at(-1)?.end, bytes.length);
  const zst = docsOf(await readAll(config(), 'udhr.jsonl.zst', bytes));
  const gz = docsOf(await readAll(config(), 'udhr.jsonl.gz', await readFile(join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'))));
  assert.deepEqual(zst.map((d) => [d.source.record_id, d.text]), gz.map((d) => [d.source.record_id, d.text]));
  assert.deepEqual(zst.map((d) => d.source.offset), [...Array(10).fill(0), ...Array(10).fill(1717), ...Array(11).fill(3083)]);
});

test('a corrupt zstd frame is reported at its offset, and the lines of the other frames flow', async () => {
  const bytes = Buffer.from(await readFile(FRAMES));
  bytes.fill(0xee, 1717 + 40, 1717 + 400);
  const items = await readAll(config(), 'x.jsonl.zst', bytes);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['corrupt_zstd', 1717]]);
  assert.deepEqual(docsOf(items).map((d) => d.source.offset), [...Array(10).fill(0), ...Array(11).fill(3083)]);
});

test('bytes after the last zstd frame are reported where they start, after every frame before them flowed', async () => {
  const bytes = Buffer.concat([await readFile(FRAMES), Buffer.from('not a frame')]);
  const items = await readAll(config(), 'x.jsonl.zst', bytes);
  assert.equal(docsOf(items).length, 31);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset, b.message]), [['corrupt_zstd', bytes.length - 11, 'bytes that are not a zstd frame']]);
});

test('a line longer than max_record_bytes is reported with its place and skipped as it streams, and the lines around it flow', async () => {
  const lines = (from: number) => Array.from({ length: 3 }, (_, i) => JSON.stringify({ id: `n${from + i}`, text: `line ${from + i}` })).join('\n');
  const long = JSON.stringify({ id: 'long', text: 'x'.repeat(5000) });
  const bytes = gzipSync(`${lines(0)}\n${long}\n${lines(3)}\n`);
  const items = await readAll(config({ max_record_bytes: 1000 }), 'x.jsonl.gz', bytes);
  assert.deepEqual(docsOf(items).map((d) => d.source.record_id), ['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
  const start = Buffer.byteLength(`${lines(0)}\n`);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset, b.message]), [
    ['oversized_record', 0, `line of ${long.length} bytes at byte ${start} of the stream exceeds max_record_bytes 1000`],
  ]);
});

test('a JSONL file gzipped as one member with a 512 MB line is read in bounded memory, and the lines after it flow', async () => {
  // Built by streaming: the long line never exists in memory, here or in the reader.
  const gzip = createGzip({ level: 1 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  gzip.write('{"id":"before","text":"first"}\n{"id":"huge","text":"');
  const mb = Buffer.alloc(1024 * 1024, 0x61);
  for (let i = 0; i < 512; i++) if (!gzip.write(mb)) await new Promise((r) => gzip.once('drain', r));
  gzip.end('"}\n{"id":"after","text":"last"}\n');
  await done;
  const bytes = Buffer.concat(chunks);
  const rssBefore = process.memoryUsage().rss;
  const items = await readAll(config(), 'huge.jsonl.gz', bytes);
  const grew = process.memoryUsage().rss - rssBefore;
  assert.deepEqual(docsOf(items).map((d) => d.source.record_id), ['before', 'after']);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['oversized_record', 0]]);
  assert.ok(grew < 128 * 1024 * 1024, `reading grew the process by ${Math.round(grew / 2 ** 20)} MB`);
});

test('a gzip text file that inflates past max_record_bytes is reported without being inflated in full', async () => {
  const chapter = 'It was a bright cold day in April, and the clocks were striking thirteen.\n'.repeat(2000);
  const bytes = Buffer.concat([gzipSync(chapter), gzipSync(chapter), gzipSync(chapter)]);
  const textConfig = (max: number) => IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: 'x', format: 'text' }], max_record_bytes: max });
  const over = await readAll(textConfig(2 * chapter.length), 'book.txt.gz', bytes);
  assert.deepEqual(badOf(over).map((b) => [b.reason, b.offset]), [['oversized_record', 0]]);
  assert.deepEqual(docsOf(over), []);
  const whole = docsOf(await readAll(textConfig(3 * chapter.length), 'book.txt.gz', bytes));
  assert.equal(whole[0]?.text, chapter.repeat(3).trim());
});
