import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { IngestConfig, type InputFormat } from '../schemas/stages/ingest.js';
import { gzipMembers } from '../stages/ingest/gzip-members.js';
import { badOf, docsOf, dropsOf, readAll } from './helpers/ingest.js';
import { FIXTURES } from './helpers/pipelines.js';

/** The real CC-MAIN-2014-35 WARC sample in the `warc` npm package's test fixtures (BSD-3-Clause). */
const CC_WARC = createRequire(import.meta.url).resolve('warc/test/fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc');
const WARC = join(FIXTURES, 'warc');

async function read(file: string, bytes: Buffer, format: InputFormat = 'warc', extra: Record<string, unknown> = {}) {
  return readAll(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format }], ...extra }), file, bytes);
}

/** Byte offsets of the records of a plain WARC whose WARC-Type is `type`. */
function recordStarts(bytes: Buffer, type?: string): number[] {
  const out: number[] = [];
  for (let at = bytes.indexOf('WARC/1.0\r\n'); at >= 0; at = bytes.indexOf('WARC/1.0\r\n', at + 1)) {
    const head = bytes.subarray(at, bytes.indexOf('\r\n\r\n', at)).toString('latin1');
    if (!type || head.includes(`WARC-Type: ${type}\r\n`)) out.push(at);
  }
  return out;
}

/** A plain WARC re-written with one gzip member per record, as Common Crawl publishes it. */
function perRecordGzip(bytes: Buffer): { gz: Buffer; memberStarts: number[] } {
  const starts = [...recordStarts(bytes), bytes.length];
  const members = starts.slice(0, -1).map((s, i) => gzipSync(bytes.subarray(s, starts[i + 1])));
  const memberStarts: number[] = [];
  let at = 0;
  for (const m of members) {
    memberStarts.push(at);
    at += m.length;
  }
  return { gz: Buffer.concat(members), memberStarts };
}

test('real Common Crawl WARC responses become documents with url, record id, date, offset, content type and HTTP status', async () => {
  const bytes = await readFile(CC_WARC);
  const items = await read(CC_WARC, bytes);
  assert.deepEqual(badOf(items), []);
  const docs = items.flatMap((i) => (i.kind === 'doc' ? [i] : []));
  const responses = recordStarts(bytes, 'response');
  assert.equal(docs.length, 4); // 4 responses; request, metadata and warcinfo records hold no document
  assert.deepEqual(docs.map((d) => d.doc.source.offset), responses);
  const photo = docs[1];
  assert.equal(photo?.doc.url, 'http://0pointer.de/photos/?gallery=Australia&photo=496');
  assert.equal(photo?.doc.source.fetch_date, '2014-08-21T05:52:58Z');
  assert.match(photo?.doc.source.record_id ?? '', /^<urn:uuid:[0-9a-f-]{36}>$/);
  assert.deepEqual(photo?.record, { content_type: 'text/html', http_status: 200 });
  assert.match(photo?.doc.text ?? '', /This image has been viewed 2550 times\./);
  assert.doesNotMatch(photo?.doc.text ?? '', /<|function\(|\{/, 'no markup or script survives');
  // The first response has an empty body, which the framework drops as empty_text.
  assert.equal(docs[0]?.doc.text, '');
  // The 0x20.be page says Content-Encoding: gzip over an already decoded body (as 2014 exports did).
  assert.match(docs[3]?.doc.text ?? '', /Pages that link to/);
  assert.equal(docs[3]?.doc.meta.warc_truncated, 'length');
});

test('the same WARC read gzipped per record gives the same documents, each at its gzip member offset', async () => {
  const plain = await readFile(CC_WARC);
  const { gz, memberStarts } = perRecordGzip(plain);
  const a = docsOf(await read(CC_WARC, plain));
  const b = docsOf(await read('copy.warc.gz', gz));
  assert.deepEqual(b.map((d) => [d.source.record_id, d.text, d.url]), a.map((d) => [d.source.record_id, d.text, d.url]));
  for (const d of b) assert.ok(memberStarts.includes(d.source.offset));
});

test('a whole WARC compressed as one gzip member is read record by record', async () => {
  const bytes = await readFile(join(WARC, 'warcio-example-bad.warc.gz.bad'));
  assert.equal([...gzipMembers(bytes)].length, 1);
  const items = await read('x.warc.gz', bytes);
  assert.deepEqual(badOf(items), []);
  assert.deepEqual(docsOf(items).map((d) => d.url), ['http://example.com?example=1']);
  assert.deepEqual(dropsOf(items).map((d) => [d.reason, d.detail]), [['http_status', { status: 302 }]]);
  assert.notEqual(docsOf(items)[0]?.id, dropsOf(items)[0]?.doc.id);
});

test('the whirlwind Common Crawl capture (CC-MAIN-2024-22) keeps the article and drops the navigation', async () => {
  const items = await read('whirlwind.warc.gz', await readFile(join(WARC, 'whirlwind.warc.gz')));
  const [doc] = docsOf(items);
  assert.equal(doc?.url, 'https://an.wikipedia.org/wiki/Escopete');
  assert.equal(doc?.meta.charset, 'utf-8');
  assert.equal(doc?.meta.title, 'Escopete - Biquipedia, a enciclopedia libre');
  assert.match(doc?.text ?? '', /^Escopete\n/);
  assert.match(doc?.text ?? '', /Escopete ye un municipio d'a provincia de Guadalachara/);
  assert.match(doc?.text ?? '', /\nHistoria\n/, 'headings followed by text are kept');
  assert.doesNotMatch(doc?.text ?? '', /editar|modificar o codigo|Pachina prencipal|Cambeos recients/);
});

test('resource records, chunked HTTP bodies and gzip content encoding are decoded', async () => {
  const resource = docsOf(await read('r.warc.gz', await readFile(join(WARC, 'warcio-example-resource.warc.gz'))));
  assert.deepEqual(resource.map((d) => d.url), ['http://example.com/']);
  assert.match(resource[0]?.text ?? '', /^Example Domain\nThis domain is established/);
  const chunked = docsOf(await read('c.warc', await readFile(join(WARC, 'warcio-example-iana.org-chunked.warc'))));
  assert.match(chunked[0]?.text ?? '', /Coordination of the global IP and AS number spaces/);
  assert.doesNotMatch(chunked[0]?.text ?? '', /^[0-9a-f]+\r?$/m, 'no chunk-size lines');
  const encoded = docsOf(await read('e.warc.gz', await readFile(join(WARC, 'warcio-example.warc.gz'))));
  assert.match(encoded[0]?.text ?? '', /This domain is established to be used for illustrative examples/);
});

test('ARC files, plain and gzip, give the same document with the ARC date as fetch date', async () => {
  for (const name of ['warcio-example.arc', 'warcio-example.arc.gz']) {
    const items = await read(name, await readFile(join(WARC, name)), 'arc');
    assert.deepEqual(badOf(items), []);
    const [doc, ...rest] = items;
    assert.equal(rest.length, 0, 'the filedesc header is not a document');
    assert.equal(doc?.kind, 'doc');
    if (doc?.kind !== 'doc') return;
    assert.equal(doc.doc.url, 'http://example.com/');
    assert.equal(doc.doc.source.fetch_date, '2014-02-16T05:02:21Z');
    assert.deepEqual(doc.record, { content_type: 'text/html', http_status: 200 });
    assert.match(doc.doc.text, /^Example Domain\n/);
  }
});

test('a WARC file cut inside a record reports it as truncated with its offset, and the records before it flow', async () => {
  const bytes = await readFile(CC_WARC);
  const responses = recordStarts(bytes, 'response');
  const cutAt = (responses[2] as number) + 5000;
  const items = await read(CC_WARC, bytes.subarray(0, cutAt));
  assert.equal(docsOf(items).length, 2);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['truncated_record', responses[2]]]);
  assert.match(badOf(items)[0]?.message ?? '', /runs \d+ bytes past the end of the file/);
});

test('a wrong Content-Length is reported with the record offset, and the next records still flow', async () => {
  const bytes = await readFile(CC_WARC);
  const responses = recordStarts(bytes, 'response');
  const second = responses[1] as number;
  const header = bytes.subarray(second, bytes.indexOf('\r\n\r\n', second)).toString('latin1');
  const length = Number(/Content-Length: (\d+)/.exec(header)?.[1]);
  for (const wrong of [length - 100, length + 300]) {
    const patched = Buffer.from(bytes.toString('latin1').replace(header, header.replace(`Content-Length: ${length}`, `Content-Length: ${wrong}`)), 'latin1');
    const items = await read(CC_WARC, patched);
    assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['malformed_record', second]], `Content-Length ${wrong}`);
    assert.match(badOf(items)[0]?.message ?? '', /Content-Length \d+ is wrong/);
    assert.equal(docsOf(items).length, 3, 'the other three responses come through');
  }
  // warcio's own broken sample: the block is 6 bytes shorter than its Content-Length says.
  const trunc = await read('t.warc', await readFile(join(WARC, 'warcio-example-trunc.warc')));
  assert.deepEqual(badOf(trunc).map((b) => b.reason), ['malformed_record']);
  assert.equal(badOf(trunc)[0]?.record_id, '<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>');
});

test('records without the blank lines between them are all read', async () => {
  const bytes = await readFile(CC_WARC);
  const squeezed = Buffer.from(bytes.toString('latin1').replace(/\r\n\r\nWARC\/1\.0\r\n/g, 'WARC/1.0\r\n'), 'latin1');
  assert.ok(squeezed.length < bytes.length);
  const items = await read(CC_WARC, squeezed);
  assert.deepEqual(badOf(items), []);
  assert.deepEqual(docsOf(items).map((d) => d.text), docsOf(await read(CC_WARC, bytes)).map((d) => d.text));
});

test('a corrupt gzip member is reported at its offset, and every other record still flows', async () => {
  const { gz, memberStarts } = perRecordGzip(await readFile(CC_WARC));
  const responses = recordStarts(await readFile(CC_WARC), 'response');
  const all = recordStarts(await readFile(CC_WARC));
  const victim = memberStarts[all.indexOf(responses[2] as number)] as number;
  const broken = Buffer.from(gz);
  broken.fill(0xa5, victim + 40, victim + 200);
  const items = await read('x.warc.gz', broken);
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['corrupt_gzip', victim]]);
  assert.equal(docsOf(items).length, 3);
  // Bytes that are no gzip at all between members are skipped the same way.
  const withGarbage = Buffer.concat([gz.subarray(0, victim), Buffer.from('\u0000garbage from a bad copy\u0000'), gz.subarray(victim)]);
  const items2 = await read('y.warc.gz', withGarbage);
  assert.deepEqual(badOf(items2).map((b) => [b.reason, b.offset]), [['corrupt_gzip', victim]]);
  assert.equal(docsOf(items2).length, 4);
});

test('a bad charset label or undecodable bytes still give a document, decoded by the fallback and annotated', async () => {
  const record = (id: string, contentType: string, body: Buffer) => {
    const http = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`), body]);
    return Buffer.concat([
      Buffer.from(`WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:${id}>\r\nWARC-Target-URI: http://example.org/${id}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: ${http.length}\r\n\r\n`),
      http,
      Buffer.from('\r\n\r\n'),
    ]);
  };
  const para = (bytes: Buffer) => Buffer.concat([Buffer.from('<html><body><p>'), bytes, Buffer.from(' - a sentence long enough to count as a paragraph of prose.</p></body></html>')]);
  // Привет in windows-1251, declared only in a meta tag.
  const cp1251 = Buffer.concat([Buffer.from('<html><head><meta charset="windows-1251"></head><body><p>'), Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]), Buffer.from(', this is a page of ordinary text in Russian and English.</p></body></html>')]);
  const bytes = Buffer.concat([
    record('a', 'text/html; charset=x-no-such-charset', para(Buffer.from('caf\xe9', 'latin1'))),
    record('b', 'text/html; charset=utf-8', para(Buffer.from([0x41, 0xff, 0xfe, 0x42]))),
    record('c', 'text/html', cp1251),
  ]);
  const items = await read('charsets.warc', bytes);
  assert.deepEqual(badOf(items), []);
  const [a, b, c] = docsOf(items);
  assert.match(a?.text ?? '', /^café - a sentence/);
  assert.deepEqual([a?.meta.charset, a?.meta.charset_source, a?.meta.charset_unknown_label], ['windows-1252', 'fallback', 'x-no-such-charset']);
  assert.match(b?.text ?? '', /^A\uFFFD\uFFFDB/);
  assert.match(c?.text ?? '', /^Привет, this is a page/);
  assert.deepEqual([c?.meta.charset, c?.meta.charset_source], ['windows-1251', 'meta']);
});

test('a record over max_record_bytes is reported without being loaded, plain or gzipped, and the next records flow', async () => {
  const plain = await readFile(CC_WARC);
  const responses = recordStarts(plain, 'response');
  // The Thailand photo page is the one record over 100 KB in the sample.
  const items = await read(CC_WARC, plain, 'warc', { max_record_bytes: 100_000 });
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['oversized_record', responses[2]]]);
  assert.equal(docsOf(items).length, 3);
  const { gz, memberStarts } = perRecordGzip(plain);
  const gzItems = await read('x.warc.gz', gz, 'warc', { max_record_bytes: 100_000 });
  const victim = memberStarts[recordStarts(plain).indexOf(responses[2] as number)];
  assert.deepEqual(badOf(gzItems).map((b) => [b.reason, b.offset]), [['oversized_record', victim]]);
  assert.equal(docsOf(gzItems).length, 3);
});

test('a single 1 GB record in a gzip member is skipped with bounded memory, and the record after it flows', async () => {
  // The member is built by streaming: the 1 GB block never exists in memory, here or in the reader.
  const GB = 1024 ** 3;
  const head = `WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:huge>\r\nWARC-Target-URI: http://example.org/huge\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: ${GB}\r\n\r\n`;
  const gzip = createGzip({ level: 1 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  gzip.write(head);
  const mb = Buffer.alloc(1024 * 1024, 0x61);
  for (let i = 0; i < 1024; i++) if (!gzip.write(mb)) await new Promise((r) => gzip.once('drain', r));
  gzip.end('\r\n\r\n');
  await done;
  const huge = Buffer.concat(chunks);
  const whirlwind = await readFile(join(WARC, 'whirlwind.warc.gz'));
  const bytes = Buffer.concat([huge, whirlwind]);
  const rssBefore = process.memoryUsage().rss;
  const items = await read('huge.warc.gz', bytes);
  const grew = process.memoryUsage().rss - rssBefore;
  assert.deepEqual(badOf(items).map((b) => [b.reason, b.offset]), [['oversized_record', 0]]);
  assert.deepEqual(docsOf(items).map((d) => d.url), ['https://an.wikipedia.org/wiki/Escopete']);
  assert.equal(docsOf(items)[0]?.source.offset, huge.length + [...gzipMembers(whirlwind)][2]!.offset);
  assert.ok(grew < 256 * 1024 * 1024, `reading grew the process by ${Math.round(grew / 2 ** 20)} MB`);
});

test('WET input still reads only conversion records, the same as the WARC reader does for them', async () => {
  const file = join(FIXTURES, 'commoncrawl', 'CC-MAIN-20140820021334-00006.warc.wet.gz');
  const bytes = await readFile(file);
  const wet = docsOf(await read(file, bytes, 'wet'));
  const warc = docsOf(await read(file, bytes, 'warc'));
  assert.equal(wet.length, 3);
  assert.deepEqual(warc, wet);
  assert.ok(gunzipSync(bytes).includes('WARC-Type: conversion'));
});
