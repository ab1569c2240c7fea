import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { warcRecords } from '../stages/ingest/warc-records.js';
import { runLocal } from '../src/executors/local.js';
import { query } from './helpers/catalog.js';
import { badOf, docsOf, dropsOf, readAll } from './helpers/ingest.js';
import { FIXTURES, request, tempDir, writePipeline } from './helpers/pipelines.js';

const WARC = join(FIXTURES, 'warc');
const CC_WARC = createRequire(import.meta.url).resolve('warc/test/fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc');

/** The real whirlwind response (an.wikipedia.org, CC-MAIN-2024-22) as HTTP head and HTML body. */
async function whirlwindPage(): Promise<{ head: string; html: string }> {
  for (const item of warcRecords(gunzipSync(await readFile(join(WARC, 'whirlwind.warc.gz'))), 2 ** 30)) {
    if (item.kind === 'record' && item.record.headers.get('warc-type') === 'response') {
      const block = item.record.block.toString('utf8');
      const split = block.indexOf('\r\n\r\n');
      return { head: block.slice(0, split), html: block.slice(split + 4) };
    }
  }
  throw new Error('no response in whirlwind.warc.gz');
}

/** A WARC response record holding `head` + `html`, for url `url`. */
function responseRecord(id: string, url: string, head: string, html: string): Buffer {
  const block = Buffer.from(`${head}\r\n\r\n${html}`);
  return Buffer.concat([
    Buffer.from(`WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:${id}>\r\nWARC-Target-URI: ${url}\r\nWARC-Date: 2024-05-20T10:00:00Z\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: ${block.length}\r\n\r\n`),
    block,
    Buffer.from('\r\n\r\n'),
  ]);
}

const config = (extra: Record<string, unknown> = {}) => IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: 'x.warc', format: 'warc', license: 'CC-TOU' }], ...extra });

test('noai, noimageai and TDM reservations in headers or meta tags drop the page with the signal as reason', async () => {
  const { head, html } = await whirlwindPage();
  const withMeta = (tag: string) => html.replace('<head>', `<head>${tag}`);
  assert.notEqual(withMeta('x'), html);
  const cases: [string, string, string, string | null][] = [
    ['a', `${head}\r\nX-Robots-Tag: noai`, html, 'optout_noai'],
    ['b', `${head}\r\nX-Robots-Tag: otherbot: noindex, noimageai`, html, 'optout_noimageai'],
    ['c', `${head}\r\ntdm-reservation: 1`, html, 'optout_tdm_reservation'],
    ['d', head, withMeta('<meta name="robots" content="noindex, NoAI">'), 'optout_noai'],
    ['e', head, withMeta('<meta name="tdm-reservation" content="1">'), 'optout_tdm_reservation'],
    ['f', head, withMeta('<meta name="robots" content="noimageai">'), 'optout_noimageai'],
    // Not reserved, and unrelated robots directives: the page is kept.
    ['g', `${head}\r\ntdm-reservation: 0\r\nX-Robots-Tag: noarchive`, withMeta('<meta name="robots" content="noindex">'), null],
  ];
  const bytes = Buffer.concat(cases.map(([id, h, body]) => responseRecord(id, `https://an.wikipedia.org/wiki/Escopete?${id}`, h, body)));
  const items = await readAll(config(), 'x.warc', bytes);
  assert.deepEqual(badOf(items), []);
  const byUrl = new Map(items.map((i) => [i.kind === 'bad' ? '' : (i.doc.url ?? ''), i]));
  for (const [id, , , reason] of cases) {
    const item = byUrl.get(`https://an.wikipedia.org/wiki/Escopete?${id}`);
    if (reason === null) {
      assert.equal(item?.kind, 'doc', id);
      continue;
    }
    assert.equal(item?.kind, 'drop', id);
    if (item?.kind !== 'drop') continue;
    assert.equal(item.reason, reason, id);
    assert.equal(item.detail.where, 'abc'.includes(id) ? 'http' : 'meta', id);
    assert.equal(item.doc.text, '', 'a dropped page keeps no text');
  }
});

test('licence rules override the input licence by domain or URL pattern, first match winning', async () => {
  const bytes = Buffer.concat([await readFile(join(WARC, 'whirlwind.warc.gz')), await readFile(join(WARC, 'warcio-example.warc.gz'))]);
  const rules = [
    { domain: 'wikipedia.org', license: 'CC-BY-SA-4.0' },
    { url_pattern: '^http://example\\.com/', license: 'public-domain' },
    { domain: 'an.wikipedia.org', license: 'never-reached' },
  ];
  const docs = docsOf(await readAll(config({ license_rules: rules }), 'x.warc.gz', bytes));
  assert.deepEqual(docs.map((d) => [d.url, d.source.license]), [
    ['https://an.wikipedia.org/wiki/Escopete', 'CC-BY-SA-4.0'],
    ['http://example.com/', 'public-domain'],
  ]);
  const iana = docsOf(await readAll(config({ license_rules: rules }), 'c.warc', await readFile(join(WARC, 'warcio-example-iana.org-chunked.warc'))));
  assert.deepEqual(iana.map((d) => d.source.license), ['CC-TOU']);
  assert.throws(() => config({ license_rules: [{ license: 'MIT' }] }), /needs a domain or a url_pattern/);
  assert.throws(() => config({ license_rules: [{ url_pattern: '(', license: 'MIT' }] }), /license_rules[\s\S]*not a valid regular expression/);
});

test('domain and URL blocklists read from files drop matching documents with the entry that matched', async () => {
  const dir = await tempDir('blocklist');
  await writeFile(join(dir, 'domains.txt'), '# adult and spam domains\nwikipedia.org\n\nexample.net\n');
  await writeFile(join(dir, 'urls.txt'), 'http://www.iana.org/\nhttps://0pointer.de/photos/  # a whole section\n');
  const bytes = Buffer.concat([await readFile(join(WARC, 'whirlwind.warc.gz')), await readFile(join(WARC, 'warcio-example.warc.gz'))]);
  const blocklists = [{ uri: 'domains.txt', kind: 'domain' }, { uri: join(dir, 'urls.txt'), kind: 'url' }];
  const items = await readAll(config({ blocklists }), 'x.warc.gz', bytes, dir);
  assert.deepEqual(dropsOf(items).map((d) => [d.doc.url, d.reason, d.detail]), [['https://an.wikipedia.org/wiki/Escopete', 'blocklisted_domain', { entry: 'wikipedia.org' }]]);
  assert.deepEqual(docsOf(items).map((d) => d.url), ['http://example.com/']);
  const iana = await readAll(config({ blocklists }), 'c.warc', await readFile(join(WARC, 'warcio-example-iana.org-chunked.warc')), dir);
  assert.deepEqual(dropsOf(iana).map((d) => [d.reason, d.detail]), [['blocklisted_url', { entry: 'iana.org/' }]]);
  const cc = await readAll(config({ blocklists }), 'cc.warc', await readFile(CC_WARC), dir);
  assert.deepEqual(dropsOf(cc).map((d) => [d.doc.url, d.detail]), [
    ['http://0pointer.de/photos/?gallery=Australia&photo=496', { entry: '0pointer.de/photos/' }],
    ['http://0pointer.de/photos/?gallery=Thailand%202011-01&photo=726&show_thumbs=yes&exif_style=', { entry: '0pointer.de/photos/' }],
  ]);
});

test('blocklists and licence rules apply to JSONL documents by their url field too', async () => {
  const dir = await tempDir('jsonl-policy');
  await writeFile(join(dir, 'domains.txt'), 'spam.example\n');
  const lines = [
    { id: '1', text: 'kept text', url: 'https://blog.example.org/a' },
    { id: '2', text: 'spam text', url: 'https://www.shop.spam.example/b' },
  ].map((o) => JSON.stringify(o)).join('\n');
  const cfg = IngestConfig.parse({
    stage: 'ingest',
    inputs: [{ uri: 'x.jsonl', format: 'jsonl', id_field: 'id', license: 'unknown' }],
    license_rules: [{ domain: 'example.org', license: 'CC-BY-4.0' }],
    blocklists: [{ uri: 'domains.txt', kind: 'domain' }],
  });
  const items = await readAll(cfg, 'x.jsonl', Buffer.from(lines), dir);
  assert.deepEqual(docsOf(items).map((d) => [d.source.record_id, d.source.license]), [['1', 'CC-BY-4.0']]);
  assert.deepEqual(dropsOf(items).map((d) => [d.doc.source.record_id, d.reason, d.doc.text]), [['2', 'blocklisted_domain', '']]);
});

test('a page over the HTML work budget is dropped as extraction_over_budget, the same on any machine, and the next page flows', async () => {
  const { head, html } = await whirlwindPage();
  // Towers of 1,000 nested <div>s (under the 1,024 depth cap): htmlparser2's open-element stack makes
  // each tag cost its depth, so 40 towers take ~20 million work units; an ordinary page takes thousands.
  const pathological = `<html><body>${`${'<div>'.repeat(1_000)}<span>x</span>${'</div>'.repeat(1_000)}`.repeat(40)}</body></html>`;
  const bytes = Buffer.concat([responseRecord('slow', 'http://example.org/slow', head, pathological), responseRecord('ok', 'http://example.org/ok', head, html)]);
  const items = await readAll(config({ max_record_bytes: 64 * 2 ** 20 }), 'x.warc', bytes);
  assert.deepEqual(dropsOf(items).map((d) => [d.doc.url, d.reason]), [['http://example.org/slow', 'extraction_over_budget']]);
  assert.match(String(dropsOf(items)[0]?.detail.message), /^HTML parsing took more than 10000000 work units \(\d+ by character \d+ of \d+\)$/);
  assert.equal(items.filter((i) => i.kind !== 'drop').length, 1);
});

test('the wall-clock backstop still stops a page, and its drop says it depends on the machine', async () => {
  const { head } = await whirlwindPage();
  const flat = `<html><body>${'<p>x</p>'.repeat(1_000_000)}</body></html>`;
  const items = await readAll(config({ html_time_budget_ms: 1, html_work_budget: 1e9, max_record_bytes: 64 * 2 ** 20 }), 'x.warc', responseRecord('slow', 'http://example.org/slow', head, flat));
  assert.deepEqual(dropsOf(items).map((d) => [d.doc.url, d.reason, d.detail.wall_clock]), [['http://example.org/slow', 'extraction_timeout', true]]);
});

test('a WARC pipeline records content type, HTTP status and drop reasons in provenance', async () => {
  const dir = await tempDir('warc-run');
  await writeFile(join(dir, 'domains.txt'), 'example.com\n');
  const pipeline = await writePipeline(dir, {
    name: 'warcrun',
    stages: [
      {
        stage: 'ingest',
        inputs: [{ uri: join(WARC, '*.warc*'), format: 'warc', license: 'CC-TOU' }],
        license_rules: [{ domain: 'wikipedia.org', license: 'CC-BY-SA-4.0' }],
        blocklists: [{ uri: 'domains.txt', kind: 'domain' }],
      },
      { stage: 'shard', seq_len: 64, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(pipeline, join(dir, 'out'), 'warc-run'));
  const db = join(summary.release_dir, 'provenance.duckdb');
  const rows = await query(db, `SELECT d.url, d.domain, d.content_type, d.http_status, d.license, d.status, e.action, e.reason
    FROM documents d JOIN doc_events e USING (doc_id) WHERE e.stage = 'ingest' ORDER BY d.source_uri, d.source_offset, d.url`);
  const wiki = rows.find((r) => r.url === 'https://an.wikipedia.org/wiki/Escopete');
  assert.deepEqual(wiki, { url: 'https://an.wikipedia.org/wiki/Escopete', domain: 'an.wikipedia.org', content_type: 'text/html', http_status: 200, license: 'CC-BY-SA-4.0', status: 'ok', action: 'keep', reason: null });
  assert.ok(rows.some((r) => r.reason === 'http_status' && r.http_status === 302));
  assert.ok(rows.some((r) => r.reason === 'blocklisted_domain' && r.domain === 'example.com'));
  assert.ok(!rows.some((r) => r.domain === 'example.com' && r.action === 'keep'));
  const bad = await query(db, `SELECT source_uri, source_offset, e.reason FROM documents d JOIN doc_events e USING (doc_id) WHERE d.status = 'bad'`);
  assert.deepEqual(bad.map((b) => [String(b.source_uri).split('/').at(-1), b.reason]), [['warcio-example-trunc.warc', 'malformed_record']]);
});
