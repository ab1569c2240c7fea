import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { CrawlConfig } from '../schemas/crawl.js';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { crawl } from '../src/crawl/crawler.js';
import { rotatedName } from '../src/crawl/warc-writer.js';
import { warcRecords } from '../stages/ingest/warc-records.js';
import { docsOf, readAll } from './helpers/ingest.js';
import { tempDir } from './helpers/pipelines.js';

const PARA = '<p>The committee met on Tuesday and agreed that the bridge would be repaired before the winter, as the engineers had advised in their report.</p>';
const page = (title: string, links: string) => `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${PARA}${links}</body></html>`;

/** A small site on loopback: `/` links one click to /a, /a to /b, /b to /c; robots.txt names a sitemap. */
const PAGES: Record<string, string> = {
  '/': page('Home', '<a href="/a">A</a> <a href="/secret/x">Secret</a> <a href="/skip" rel="nofollow">Skip</a> <a href="OTHER/elsewhere">Other host</a> <a href="/a#top">A again</a> <a href="mailto:x@example.org">Mail</a>'),
  '/a': page('A', '<a href="b">B, relative</a>'),
  '/b': page('B', '<a href="/c">C</a>'),
  '/c': page('C', ''),
  '/from-sitemap': page('From the sitemap', '<a href="/d">D</a>'),
  '/d': page('D', ''),
  '/quiet': '<!doctype html><html><head><meta name="robots" content="noindex, nofollow"></head><body><a href="/hidden">Hidden</a></body></html>',
  '/skip': page('Skip', ''),
  '/secret/x': page('Secret', ''),
  '/hidden': page('Hidden', ''),
};

const requested: string[] = [];
let server: http.Server;
let origin: string;
let otherOrigin: string;

before(async () => {
  server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') {
      res.end(`User-agent: *\nDisallow: /secret\n\nSitemap: ${origin}/sitemap.xml\n`);
      return;
    }
    requested.push(`${req.headers.host === new URL(origin).host ? '' : 'other:'}${path}`);
    if (path === '/sitemap.xml') {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>${origin}/from-sitemap</loc></url><url><loc>${otherOrigin}/not-ours</loc></url></urlset>`);
      return;
    }
    const body = PAGES[path];
    if (!body) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body.replace('OTHER', otherOrigin));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  // Another host name for the same loopback server: a link to it leaves the site.
  otherOrigin = `http://localhost:${port}`;
});

after(() => server.close());

const options = (out: string, extra: Record<string, unknown> = {}) => CrawlConfig.parse({ out, per_host_delay_ms: 0, retry_base_ms: 1, ...extra });

test('without max_depth only the listed URLs are fetched', async () => {
  requested.length = 0;
  const summary = await crawl([`${origin}/`], options(join(await tempDir('crawl-depth0'), 'out.warc.gz')));
  assert.deepEqual(requested, ['/']);
  assert.equal(summary.discovered, 0);
});

test('links are followed on the same host up to max_depth, through robots.txt, nofollow and the sitemap robots.txt names', async () => {
  requested.length = 0;
  const out = join(await tempDir('crawl-depth2'), 'out.warc.gz');
  const summary = await crawl([`${origin}/`, `${origin}/quiet`], options(out, { max_depth: 2 }));
  // /c is three clicks away; /secret is disallowed; /skip is rel=nofollow; /quiet's robots meta says nofollow;
  // links to another host name and the sitemap's other-host entry are left alone.
  assert.deepEqual(requested.sort(), ['/', '/a', '/b', '/d', '/from-sitemap', '/quiet', '/sitemap.xml']);
  assert.equal(summary.robots_disallowed, 1);
  assert.equal(summary.fetched, 6);
  const docs = docsOf(await readAll(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: out, format: 'warc' }] }), out, await readFile(out)));
  assert.deepEqual(docs.filter((d) => d.text !== '').map((d) => d.meta.title).sort(), ['A', 'B', 'D', 'From the sitemap', 'Home']);
});

test('a crawl rotates its WARC by size: every file starts with warcinfo, names itself, and ingest reads them all', async () => {
  const out = join(await tempDir('crawl-rotate'), 'site.warc.gz');
  const summary = await crawl([`${origin}/`], options(out, { max_depth: 3, warc_max_bytes: 2500 }));
  assert.equal(summary.fetched, 6);
  assert.ok(summary.warc_files.length >= 3, `${summary.warc_files.length} files`);
  assert.deepEqual(summary.warc_files.slice(0, 3), [out, rotatedName(out, 1), rotatedName(out, 2)]);
  assert.match(rotatedName(out, 1), /site-00001\.warc\.gz$/);
  const titles: string[] = [];
  for (const file of summary.warc_files) {
    const bytes = await readFile(file);
    const records = [...warcRecords(gunzipSync(bytes), 2 ** 24)].flatMap((r) => (r.kind === 'record' ? [r.record] : []));
    assert.equal(records[0]?.headers.get('warc-type'), 'warcinfo');
    assert.match(records[0]?.block.toString() ?? '', /software: corpusflow crawl/);
    assert.equal(records[0]?.headers.get('warc-filename'), file.split('/').at(-1));
    assert.ok(bytes.length <= 2500 || records.length === 2, `${file} is ${bytes.length} bytes with ${records.length} records`);
    const docs = docsOf(await readAll(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format: 'warc' }] }), file, bytes));
    titles.push(...docs.map((d) => String(d.meta.title)));
  }
  assert.deepEqual(titles.sort(), ['A', 'B', 'C', 'D', 'From the sitemap', 'Home']);
});
