import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RunPlan } from '../schemas/run.js';
import { IngestConfig, type InputFormat } from '../schemas/stages/ingest.js';
import { ingest } from '../stages/ingest/index.js';
import { writeParquet } from '../src/parts/parquet.js';
import { storageFor } from '../src/storage/index.js';
import { badOf, docsOf, readAll } from './helpers/ingest.js';
import { FIXTURES, tempDir } from './helpers/pipelines.js';

const config = (format: InputFormat, extra: Record<string, unknown> = {}) =>
  IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: 'x', format, id_field: 'id', license: 'MIT', ...extra }] });

test('zstd JSONL gives the same documents as the same lines gzipped', async () => {
  const zst = await readAll(config('jsonl'), 'udhr-en.jsonl.zst', await readFile(join(FIXTURES, 'formats', 'udhr-en.jsonl.zst')));
  const gz = await readAll(config('jsonl'), 'udhr-en.jsonl.gz', await readFile(join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz')));
  assert.equal(docsOf(zst).length, 31);
  assert.deepEqual(docsOf(zst).map((d) => [d.source.record_id, d.text]), docsOf(gz).map((d) => [d.source.record_id, d.text]));
  assert.equal(docsOf(zst)[3]?.source.offset, 0);
});

test('a corrupt zstd stream is reported, not thrown', async () => {
  const bytes = Buffer.from(await readFile(join(FIXTURES, 'formats', 'udhr-en.jsonl.zst')));
  bytes.fill(0xee, 20, 400);
  const items = await readAll(config('jsonl'), 'x.jsonl.zst', bytes);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['corrupt_zstd', 0]]);
});

test('a plain text file is one document, UTF-8 or windows-1252, plain or gzip', async () => {
  const text = 'Chapter One\n\nIt was a bright cold day in April, and the clocks were striking thirteen.\n';
  const utf8 = docsOf(await readAll(config('text'), 'book.txt', Buffer.from(`\ufeff${text}café`)));
  assert.equal(utf8.length, 1);
  assert.equal(utf8[0]?.text, `${text}café`);
  const latin = docsOf(await readAll(config('text'), 'old.txt', Buffer.from(`${text}caf\xe9`, 'latin1')));
  assert.equal(latin[0]?.text, `${text}café`);
  assert.equal(latin[0]?.meta.charset, 'windows-1252');
  const gz = docsOf(await readAll(config('text'), 'book.txt.gz', gzipSync(text)));
  assert.equal(gz[0]?.text, text.trim());
  const big = Buffer.alloc(2048, 0x61);
  assert.equal(docsOf(await readAll(config('text'), 'big.txt', big)).length, 1);
  assert.deepEqual(badOf(await readAll(IngestConfig.parse({ ...config('text'), max_record_bytes: 1024 }), 'big.txt', big)).map((b) => b.reason), ['oversized_record']);
});

test('zstd and gzip JSONL files are never split; files named .jsonl are', async () => {
  const dir = await tempDir('formats-split');
  const plain = join(dir, 'a.jsonl');
  const zst = join(dir, 'a.jsonl.zst');
  await writeFile(plain, Buffer.alloc(5000, 0x0a));
  await writeFile(zst, Buffer.alloc(5000, 0x0a));
  const plan = { base_dir: dir } as RunPlan;
  const list = (uri: string) => ingest.listInputs(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri, format: 'jsonl' }], task_bytes: 1024 }), { plan, storage: storageFor });
  assert.equal((await list(plain)).length, 5);
  assert.equal((await list(zst)).length, 1);
});

test('Parquet rows become documents with the configured text, id and url columns; a null text is reported by row', async () => {
  const dir = await tempDir('parquet');
  const file = join(dir, 'udhr.parquet');
  const lines = gunzipSync(await readFile(join(FIXTURES, 'quickstart', 'udhr-fr.jsonl.gz'))).toString('utf8').trim().split('\n');
  const rows = lines.map((l, i) => {
    const o = JSON.parse(l) as { id: string; text: string };
    return { doc_id: o.id, body: i === 2 ? null : o.text, link: `https://www.ohchr.org/fr/udhr#${i}` };
  });
  await writeParquet(storageFor(file), file, { doc_id: 'VARCHAR', body: 'VARCHAR', link: 'VARCHAR' }, rows);
  const cfg = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'parquet', text_field: 'body', id_field: 'doc_id', url_field: 'link', license: 'MIT' }] });
  const items = await readAll(cfg, file, await readFile(file));
  assert.equal(docsOf(items).length, lines.length - 1);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset, b.record_id]), [['missing_text', 2, rows[2]?.doc_id]]);
  const first = docsOf(items)[0];
  assert.equal(first?.text, rows[0]?.body);
  assert.equal(first?.url, 'https://www.ohchr.org/fr/udhr#0');
  assert.equal(first?.source.record_id, rows[0]?.doc_id);
  const wrong = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'parquet', text_field: 'content' }] });
  assert.match(badOf(await readAll(wrong, file, await readFile(file)))[0]?.message ?? '', /no column "content"/);
});
