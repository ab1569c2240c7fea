import assert from 'node:assert/strict';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RunPlan } from '../schemas/run.js';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { ingest } from '../stages/ingest/index.js';
import { targets } from '../fuzz/targets.js';
import { gzipMembers } from '../stages/ingest/gzip-members.js';
import { htmlToText, NestingTooDeep } from '../stages/ingest/html-text.js';
import { runLocal } from '../src/executors/local.js';
import { loadPipeline } from '../src/pipeline.js';
import { readTar, TarError } from '../src/release/tar-read.js';
import { npyBytes } from '../src/release/npy.js';
import { TarWriter } from '../src/release/tar.js';
import { checkSamples, verifyRelease } from '../src/release/verify.js';
import type { SourceItem } from '../src/stage.js';
import { storageFor } from '../src/storage/index.js';
import { query } from './helpers/catalog.js';
import { badOf, docsOf, readAll } from './helpers/ingest.js';
import { FIXTURES, tempDir, writePipeline } from './helpers/pipelines.js';

const HOSTILE = join(FIXTURES, 'hostile');
const hostile = (name: string) => readFile(join(HOSTILE, name));
const jsonl = (extra: Record<string, unknown> = {}) => IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: 'x', format: 'jsonl', id_field: 'id' }], ...extra });

/** What each line became: its record id for a document, its reason for a bad record. */
const outcomes = (items: SourceItem[]) => items.map((i) => (i.kind === 'bad' ? i.reason : i.doc.source.record_id));

test('a gzip bomb member in JSONL is skipped as oversized at max_decompressed_bytes, and the members around it flow', async () => {
  const items = await readAll(jsonl({ max_decompressed_bytes: 2 ** 20 }), 'bomb.jsonl.gz', await hostile('gzip-bomb.jsonl.gz'));
  assert.deepEqual(outcomes(items), ['before', 'oversized_record', 'after']);
  assert.match(badOf(items)[0]?.message ?? '', /inflates to more than 1048576 bytes \(max_decompressed_bytes\)/);
});

test('a zstd bomb of 1 GiB in 32 KB is stopped at max_decompressed_bytes without holding the output', async () => {
  const before = process.memoryUsage().rss;
  const items = await readAll(jsonl({ max_decompressed_bytes: 8 * 2 ** 20 }), 'bomb.jsonl.zst', await hostile('zstd-bomb.jsonl.zst'));
  assert.deepEqual(outcomes(items), ['oversized_record']);
  assert.match(badOf(items)[0]?.message ?? '', /zstd stream inflates to more than 8388608 bytes/);
  // Decoding it whole would need 1 GiB; the cap keeps the growth to a small multiple of 8 MiB.
  assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20, `resident set grew by ${(process.memoryUsage().rss - before) / 2 ** 20} MiB`);
});

test('a zstd frame header asking for a 1 GiB window is refused before the window is allocated', async () => {
  // Window descriptor 0xA0: 2^(10+20) bytes; then one RLE block of five `a`s.
  const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa0, 0x2b, 0x00, 0x00, 0x61]);
  const before = process.memoryUsage().rss;
  const items = await readAll(jsonl(), 'window.jsonl.zst', frame);
  assert.deepEqual(outcomes(items), ['oversized_record']);
  assert.match(badOf(items)[0]?.message ?? '', /asks for a 1073741824-byte window, over the 134217728 bytes/);
  assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20);
});

test('gzip magic bytes repeated every third byte cost at most 100 inflate attempts, reported once, the member before them read', () => {
  const junk = Buffer.alloc(3 * 200_000);
  for (let i = 0; i < junk.length; i += 3) junk.set([0x1f, 0x8b, 0x08], i);
  const first = gzipSync('{"id":"first","text":"x"}\n');
  const members = [...gzipMembers(Buffer.concat([first, junk, gzipSync('{"id":"never","text":"y"}\n')]))];
  assert.deepEqual(members.map((m) => [m.offset, m.error]), [
    [0, null],
    [first.length, 'truncated or invalid gzip member header'],
    [first.length + 3 * 101, 'more than 100 false gzip member headers or 67108864 bytes inflated from them: the rest of the file is skipped'],
  ]);
});

test('every input the fuzzer found a defect with replays without one, and the false-header stalls stop at the budget', async () => {
  const dir = join(HOSTILE, 'fuzz');
  let replayed = 0;
  for (const name of await readdir(dir)) {
    const target = await targets[name]?.();
    assert.ok(target, `fixtures/hostile/fuzz/${name} names a fuzz target`);
    for (const file of await readdir(join(dir, name))) {
      await target.run(await readFile(join(dir, name, file)));
      replayed++;
    }
  }
  assert.ok(replayed >= 4);
  // The slow ones were slow by trying every false header: the budget now stops them.
  for (const file of (await readdir(join(dir, 'compressed'))).filter((f) => f.startsWith('false-headers'))) {
    const members = [...gzipMembers(await readFile(join(dir, 'compressed', file)), { maxBytes: 256 * 1024 })];
    assert.match(members.at(-1)?.error ?? '', /more than 100 false gzip member headers/, file);
  }
});

test('the decompression cap is validated with a message naming the setting', () => {
  const r = IngestConfig.safeParse({ stage: 'ingest', inputs: [{ uri: 'x', format: 'jsonl' }], max_decompressed_bytes: 2 ** 40 });
  assert.equal(r.success, false);
  assert.deepEqual(r.error?.issues[0]?.path, ['max_decompressed_bytes']);
});

test('NUL bytes, overlong and out-of-range UTF-8 each become a bad record with a reason; the lines around them flow', async () => {
  const items = await readAll(jsonl(), 'bytes.jsonl', await hostile('bytes.jsonl'));
  assert.deepEqual(outcomes(items), [
    'plain', 'nul-escaped', 'bad_json', 'invalid_utf8', 'invalid_utf8', 'invalid_utf8', 'invalid_utf8', 'invalid_utf8', 'proto', 'last',
  ]);
  assert.equal(docsOf(items)[1]?.text, 'a\u0000b NUL bytes escaped in JSON are text');
  // The overlong `/` (C0 AF) is named at its lead byte, the place a reviewer looks.
  assert.match(badOf(items)[1]?.message ?? '', /invalid UTF-8 at byte 31 of the line/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'a __proto__ key never reaches Object.prototype');
});

test('Unicode normalisation traps pass through ingest byte for byte: no document grows, merges or loses characters', async () => {
  const raw = (await hostile('unicode-traps.jsonl')).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string });
  const docs = docsOf(await readAll(jsonl(), 'traps.jsonl', await hostile('unicode-traps.jsonl')));
  assert.deepEqual(docs.map((d) => [d.source.record_id, d.text]), raw.map((r) => [r.id, r.text]));
  const nfkc = docs.find((d) => d.source.record_id === 'nfkc-expansion');
  assert.equal(nfkc?.text.length, 1000);
  assert.notEqual(docs[0]?.text, docs[1]?.text, 'NFC and NFD spellings stay distinct documents at ingest');
});

test('HTML nested past 1024 open elements, closed or not, is dropped as html_too_deep at once, and the next record flows', async () => {
  for (const name of ['nested.html.gz', 'unclosed.html.gz']) {
    const html = gunzipSync(await hostile(name)).toString('utf8');
    assert.throws(() => htmlToText(html, { maxWork: Infinity, backstopMs: 60_000 }), NestingTooDeep);
    const record = (id: string, body: string) => {
      const http = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      return `WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:${id}>\r\nWARC-Target-URI: http://example.org/${id}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: ${Buffer.byteLength(http)}\r\n\r\n${http}\r\n\r\n`;
    };
    const warc = Buffer.from(record('deep', html) + record('next', '<html><body><p>An ordinary page after the deep one, with a sentence of text.</p></body></html>'));
    const items = await readAll(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: 'x', format: 'warc' }] }), 'deep.warc', warc);
    assert.deepEqual(items.map((i) => (i.kind === 'drop' ? i.reason : i.kind)), ['html_too_deep', 'doc'], name);
  }
});

test('tar members with ../, an absolute name, a symlink, a hard link or an impossible size are refused with the reason', async () => {
  const expected: Record<string, RegExp> = {
    'tar-dotdot.tar': /"\.\.\/\.\.\/etc\/cron\.d\/owned" escapes the extraction folder/,
    'tar-dotdot-prefix.tar': /"shards\/\.\.\/\.\.\/\.\.\/owned" escapes the extraction folder/,
    'tar-absolute.tar': /"\/etc\/passwd" escapes the extraction folder/,
    'tar-symlink.tar': /is not a regular file \(type "2"\)/,
    'tar-hardlink.tar': /is not a regular file \(type "1"\)/,
    'tar-size-overflow.tar': /runs past the end of the archive/,
  };
  const tars = (await readdir(HOSTILE)).filter((f) => f.endsWith('.tar')).sort();
  assert.deepEqual(tars, Object.keys(expected).sort());
  for (const name of tars) {
    const bytes = await hostile(name);
    assert.throws(() => readTar(bytes), (e: unknown) => e instanceof TarError && (expected[name] as RegExp).test(e.message), name);
  }
});

test('a Parquet file that DuckDB cannot read is one malformed_record, not a failed task', async () => {
  const dir = await tempDir('bad-parquet');
  const file = join(dir, 'bad.parquet');
  await writeFile(file, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 0xee), Buffer.from([8, 0, 0, 0]), Buffer.from('PAR1')]));
  const items = await readAll(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'parquet' }] }), file, await readFile(file));
  assert.deepEqual(outcomes(items), ['malformed_record']);
  assert.match(badOf(items)[0]?.message ?? '', /^Parquet file cannot be read \(/);
});

test('a shard whose sample .npy or JSON does not parse is a verify problem naming the sample, not an exception', () => {
  const w = new TarWriter();
  w.add('000000000.json', Buffer.from('{"tokens": 2'));
  w.add('000000000.tokens.npy', npyBytes(new Uint16Array([1, 2])));
  w.add('000000001.json', Buffer.from('{"tokens": 1}'));
  w.add('000000001.tokens.npy', Buffer.from('\x93NUMPY\x01\x00\xff\xff', 'latin1'));
  const problems: string[] = [];
  checkSamples('x.tar', w.finish(), problems);
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /^x\.tar: sample 000000000 does not parse/);
  assert.match(problems[1] ?? '', /^x\.tar: sample 000000001 does not parse \(\.npy header runs past the end of the file\)/);
});

test('a 1 GiB line is reported once as oversized, each task reading at most its slice plus one record cap', async () => {
  const dir = await tempDir('huge-line');
  const file = join(dir, 'huge.jsonl');
  const GiB = 2 ** 30;
  // A sparse file: the gigabyte of the line costs no disk and no time to write.
  const fh = await open(file, 'w');
  await fh.write(Buffer.from('{"id":"huge","text":"'), 0, undefined, 0);
  await fh.write(Buffer.from('"}\n{"id":"after","text":"The line after a gigabyte still becomes a document."}\n'), 0, undefined, GiB);
  await fh.close();
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'jsonl', id_field: 'id' }], task_bytes: 128 * 2 ** 20, max_record_bytes: 2 ** 20 });
  const plan = { base_dir: dir } as RunPlan;
  const tasks = await ingest.listInputs(config, { plan, storage: storageFor });
  assert.equal(tasks.length, 9);
  const items: SourceItem[] = [];
  for (const task of tasks) {
    const range = task.range as NonNullable<typeof task.range>;
    assert.ok(range.read_end - range.read_start <= config.task_bytes + config.max_record_bytes + 2 ** 20 + 1);
    const bytes = await storageFor(file).readRange(file, range.read_start, range.read_end);
    for await (const item of ingest.read(task, bytes, config, { plan, storage: storageFor })) items.push(item);
  }
  assert.deepEqual(outcomes(items), ['oversized_record', 'after']);
  assert.equal(badOf(items)[0]?.offset, 0);
});

test('a task over CORPUSFLOW_TASK_MEMORY_MB fails with a message naming the setting instead of taking the process down', async () => {
  const dir = await tempDir('task-memory');
  const line = `${JSON.stringify({ text: 'word '.repeat(400) })}\n`;
  await writeFile(join(dir, 'big.jsonl'), line.repeat(100_000));
  const pipeline = await writePipeline(dir, { name: 'memory', stages: [{ stage: 'ingest', inputs: [{ uri: join(dir, 'big.jsonl'), format: 'jsonl' }] }, { stage: 'shard' }] });
  const { spec, baseDir } = await loadPipeline(pipeline);
  process.env.CORPUSFLOW_TASK_MEMORY_MB = '96';
  try {
    await assert.rejects(
      runLocal({ run_id: 'memory', pipeline: spec, base_dir: baseDir, out: join(dir, 'out') }, { threads: 1 }),
      (e: unknown) => e instanceof Error && e.name === 'TaskMemoryExceeded' && /heap is capped at 96 MB \(CORPUSFLOW_TASK_MEMORY_MB\)/.test(e.message),
    );
  } finally {
    delete process.env.CORPUSFLOW_TASK_MEMORY_MB;
  }
});

test('a pipeline over hostile files finishes, records every bad record in provenance by reason, and verify refuses a traversal shard', async () => {
  const dir = await tempDir('hostile-run');
  const pipeline = await writePipeline(dir, {
    name: 'hostile',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(HOSTILE, '*.jsonl*'), format: 'jsonl', id_field: 'id' }], max_decompressed_bytes: 8 * 2 ** 20 },
      { stage: 'shard', tokenizer: 'cl100k_base', seq_len: 64, samples_per_shard: 4 },
    ],
  });
  const { spec, baseDir } = await loadPipeline(pipeline);
  const summary = await runLocal({ run_id: 'hostile-test', pipeline: spec, base_dir: baseDir, out: join(dir, 'out') }, { threads: 1 });
  const db = join(summary.release_dir, 'provenance.duckdb');
  const reasons = await query(db, "SELECT reason, count(*) AS n FROM doc_events WHERE stage = 'ingest' AND action = 'drop' GROUP BY reason ORDER BY reason");
  assert.deepEqual(reasons, [{ reason: 'bad_json', n: 1 }, { reason: 'invalid_utf8', n: 5 }, { reason: 'oversized_record', n: 2 }]);
  const limits = await query(db, "SELECT stage, limit_hit, documents FROM (SELECT stage, reason AS limit_hit, count(*) AS documents FROM doc_events WHERE action = 'drop' AND reason IN ('oversized_record', 'extraction_timeout', 'html_too_deep') GROUP BY ALL)");
  assert.deepEqual(limits, [{ stage: 'ingest', limit_hit: 'oversized_record', documents: 2 }]);
  const [bad] = await query(db, "SELECT count(*) AS n FROM documents WHERE status = 'bad'");
  assert.equal(bad?.n, 8);
  const released = await query(db, "SELECT count(DISTINCT doc_id) AS n FROM samples");
  assert.equal(released[0]?.n, 14, 'every readable line, the Unicode traps included, is released');

  const [shard] = (await readdir(join(summary.release_dir, 'shards'))).sort();
  await writeFile(join(summary.release_dir, 'shards', shard as string), await hostile('tar-dotdot.tar'));
  const report = await verifyRelease(summary.release_dir);
  assert.ok(report.problems.some((p) => /escapes the extraction folder/.test(p)), report.problems.join('\n'));
});
