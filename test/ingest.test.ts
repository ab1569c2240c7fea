import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { gzipMembers } from '../stages/ingest/gzip-members.js';
import type { SourceItem } from '../src/stage.js';
import { readAll } from './helpers/ingest.js';
import { FIXTURES } from './helpers/pipelines.js';

async function read(file: string, bytes: Buffer, format: 'jsonl' | 'wet'): Promise<SourceItem[]> {
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format, id_field: 'id' }] });
  return readAll(config, file, bytes);
}
const docs = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'doc' ? [i.doc] : []));
const bad = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'bad' ? [i] : []));

test('a corrupt JSONL line is reported with its byte offset, and the lines after it still flow', async () => {
  const file = join(FIXTURES, 'broken', 'corrupt-line.jsonl');
  const bytes = await readFile(file);
  const items = await read(file, bytes, 'jsonl');
  assert.deepEqual(docs(items).map((d) => d.source.record_id), ['good-0', 'good-1', 'good-2']);
  const [err] = bad(items);
  assert.equal(bad(items).length, 1);
  assert.equal(err?.reason, 'bad_json');
  assert.equal(err?.offset, bytes.indexOf('{"id": "bad"'));
  assert.match(err?.message ?? '', /JSON|string/i);
});

test('invalid UTF-8 is reported with the line offset and the bad byte, and the other lines flow', async () => {
  const file = join(FIXTURES, 'broken', 'invalid-utf8.jsonl');
  const bytes = await readFile(file);
  const items = await read(file, bytes, 'jsonl');
  assert.deepEqual(docs(items).map((d) => d.source.record_id), ['good-0', 'good-1', 'good-2']);
  const [err] = bad(items);
  assert.equal(err?.reason, 'invalid_utf8');
  const lineStart = bytes.indexOf('{"id":"bad"');
  assert.equal(err?.offset, lineStart);
  assert.equal(err?.message, `invalid UTF-8 at byte ${bytes.indexOf(0xc3) - lineStart} of the line`);
});

test('a truncated gzip member is recorded with file and offset, and later records still flow', async () => {
  const file = join(FIXTURES, 'broken', 'truncated-member.jsonl.gz');
  const bytes = await readFile(file);
  const members = [...gzipMembers(bytes)];
  assert.equal(members.length, 3);
  assert.deepEqual(members.map((m) => m.error === null), [true, false, true]);
  const items = await read(file, bytes, 'jsonl');
  const ids = docs(items).map((d) => d.source.record_id);
  // Members 0 and 2 are whole; member 1 still yields the complete lines it holds before the cut.
  assert.deepEqual(ids, ['good-0', 'good-10', 'good-20', 'good-1', 'good-11', 'good-2', 'good-12', 'good-22']);
  const [err] = bad(items);
  assert.equal(err?.reason, 'corrupt_gzip');
  assert.equal(err?.offset, members[1]?.offset);
  assert.match(err?.message ?? '', /truncated|CRC/);
  // Every record from a gzip member carries that member's offset: where a reader can seek to.
  assert.equal(docs(items)[5]?.source.offset, members[2]?.offset);
});

test('garbage between gzip members is skipped and reported, and the next member is found', async () => {
  const a = gzipSync('{"id":"a","text":"first"}\n');
  const b = gzipSync('{"id":"b","text":"second"}\n');
  const bytes = Buffer.concat([a, Buffer.from('not gzip at all'), b]);
  const items = await read('mem.jsonl.gz', bytes, 'jsonl');
  assert.deepEqual(docs(items).map((d) => d.text), ['first', 'second']);
  assert.deepEqual(bad(items).map((e) => [e.reason, e.offset]), [['corrupt_gzip', a.length]]);
});

test('real Common Crawl WET records become documents with URL, date, record id and member offset', async () => {
  const file = join(FIXTURES, 'commoncrawl', 'CC-MAIN-20140820021334-00006.warc.wet.gz');
  const bytes = await readFile(file);
  const items = await read(file, bytes, 'wet');
  assert.equal(bad(items).length, 0);
  const found = docs(items);
  assert.equal(found.length, 3); // the warcinfo record is not a document
  const first = found[0];
  assert.equal(first?.url, 'http://0pointer.de/photos/?gallery=Australia&photo=496');
  assert.equal(first?.source.record_id, '<urn:uuid:293f96dd-4bea-42b2-b3fd-7bff8bf10dc9>');
  assert.equal(first?.source.fetch_date, '2014-08-21T05:52:58Z');
  assert.match(first?.text ?? '', /^Photos\n/);
  const offsets = [...gzipMembers(bytes)].map((m) => m.offset);
  assert.deepEqual(found.map((d) => d.source.offset), offsets.slice(1));
  // Ids come from WARC-Record-ID, so they do not depend on where the file sits.
  const again = await read('/elsewhere/copy.wet.gz', bytes, 'wet');
  assert.deepEqual(docs(again).map((d) => d.id), found.map((d) => d.id));
});

test('a WET record whose Content-Length runs past its member is reported as truncated', async () => {
  const record = (id: string, body: string, length = Buffer.byteLength(body)) =>
    `WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Record-ID: <urn:uuid:${id}>\r\nWARC-Target-URI: http://example.com/${id}\r\nContent-Length: ${length}\r\n\r\n${body}\r\n\r\n`;
  const bytes = Buffer.concat([gzipSync(record('a', 'alpha text')), gzipSync(record('b', 'short', 500)), gzipSync(record('c', 'gamma text'))]);
  const items = await read('x.wet.gz', bytes, 'wet');
  assert.deepEqual(docs(items).map((d) => d.text), ['alpha text', 'gamma text']);
  assert.deepEqual(bad(items).map((e) => e.reason), ['truncated_record']);
  assert.equal(bad(items)[0]?.record_id, '<urn:uuid:b>');
});
