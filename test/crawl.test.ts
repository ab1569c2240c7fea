import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CrawlConfig } from '../schemas/crawl.js';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { crawl, type CrawlSummary } from '../src/crawl/crawler.js';
import { parseRobots } from '../src/crawl/robots.js';
import { warcRecords } from '../stages/ingest/warc-records.js';
import { docsOf, dropsOf, readAll } from './helpers/ingest.js';
import { ROOT, tempDir } from './helpers/pipelines.js';

const python = process.env.CORPUSFLOW_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
const PARA = '<p>The committee met on Tuesday and agreed that the bridge would be repaired before the winter, as the engineers had advised in their report.</p>';
const page = (title: string) => `<!doctype html><html><head><title>${title}</title></head><body><nav><a href="/">Home</a></nav><h1>${title}</h1>${PARA}</body></html>`;
const ROBOTS = 'User-agent: *\nDisallow: /\n\nUser-agent: corpusflow\nUser-agent: otherbot\nDisallow: /private\nAllow: /private/ok$\n';

/** Requests the server saw, and the most requests it had in flight per host. */
const seen: { path: string; host: string }[] = [];
const inFlight = new Map<string, number>();
const maxInFlight = new Map<string, number>();
let flakyCalls = 0;
let server: http.Server;
let port: number;
let warc: string;
let summary: CrawlSummary;

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  const host = req.headers.host ?? '';
  if (url === '/robots.txt') {
    res.end(ROBOTS);
    return;
  }
  seen.push({ path: url, host });
  inFlight.set(host, (inFlight.get(host) ?? 0) + 1);
  maxInFlight.set(host, Math.max(maxInFlight.get(host) ?? 0, inFlight.get(host) ?? 0));
  const done = () => inFlight.set(host, (inFlight.get(host) ?? 1) - 1);
  // Each response takes a moment, so concurrent requests would overlap if the crawler allowed them.
  setTimeout(() => {
    done();
    if (url === '/a' || url.startsWith('/a?') || url === '/private/ok') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': 'gzip' });
      res.end(gzipSync(page(`Page ${url}`)));
    } else if (url === '/chunked') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.write('<html><body><h1>Chunked</h1>');
      res.write(PARA);
      res.end('</body></html>');
    } else if (url === '/flaky') {
      flakyCalls++;
      if (flakyCalls === 1) {
        res.writeHead(503, { 'Retry-After': '0' });
        res.end('busy');
      } else {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(page('Flaky'));
      }
    } else if (url === '/redirect') {
      res.writeHead(301, { Location: '/a?from=redirect' });
      res.end();
    } else if (url === '/noai') {
      res.writeHead(200, { 'Content-Type': 'text/html', 'X-Robots-Tag': 'noai' });
      res.end(page('No AI'));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  }, 15);
}

before(async () => {
  server = http.createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const dir = await tempDir('crawl');
  warc = join(dir, 'crawl.warc.gz');
  const paths = ['/a', '/chunked', '/flaky', '/redirect', '/noai', '/private/x', '/private/ok', '/missing', '/a#fragment'];
  // Two origins on one server: 127.0.0.1 and localhost are separate hosts to the crawler.
  const seeds = ['127.0.0.1', 'localhost'].flatMap((h) => paths.map((p) => `http://${h}:${port}${p}`));
  await writeFile(join(dir, 'urls.txt'), seeds.join('\n'));
  summary = await crawl(seeds, CrawlConfig.parse({ out: warc, user_agent: 'corpusflow-test/1.0', per_host_concurrency: 2, per_host_delay_ms: 100, retry_base_ms: 10 }));
});

after(() => new Promise<void>((r) => server.close(() => r())));

test('robots.txt is respected: the group for our product token, longest match, Allow on a tie', () => {
  assert.ok(!seen.some((s) => s.path === '/private/x'), 'a disallowed path is never requested');
  assert.ok(seen.some((s) => s.path === '/private/ok'));
  assert.equal(summary.robots_disallowed, 2);
  const rules = parseRobots(ROBOTS, 'corpusflow');
  assert.equal(rules.allowed('/private/ok'), true);
  assert.equal(rules.allowed('/private/ok2'), false);
  assert.equal(parseRobots(ROBOTS, 'somebot').allowed('/a'), false, 'others fall under * and are disallowed');
});

test('per-host concurrency and spacing are never exceeded, and a 503 is retried', async () => {
  for (const [host, n] of maxInFlight) assert.ok(n <= 2, `${host} had ${n} requests in flight`);
  // Spacing is read from the WARC's request records (WARC-Date, in milliseconds, is when each request
  // was sent): arrival times at the server would add the machine's scheduling jitter.
  const sent = new Map<string, number[]>();
  for (const item of warcRecords(gunzipSync(await readFile(warc)), 2 ** 30)) {
    if (item.kind !== 'record' || item.record.headers.get('warc-type') !== 'request') continue;
    const host = new URL(item.record.headers.get('warc-target-uri') ?? '').host;
    sent.set(host, [...(sent.get(host) ?? []), Date.parse(item.record.headers.get('warc-date') ?? '')]);
  }
  assert.equal(sent.size, 2);
  for (const [host, times] of sent) {
    const starts = times.sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) {
      const gap = (starts[i] as number) - (starts[i - 1] as number);
      assert.ok(gap >= 100, `${host}: requests ${i - 1} and ${i} were sent ${gap} ms apart`);
    }
  }
  assert.ok(summary.retries >= 1);
  assert.equal(seen.filter((s) => s.path === '/flaky').length, 3, '127.0.0.1 got a 503 then a 200; localhost a 200');
  assert.equal(summary.failed, 0);
});

test('the crawl WARC is read by ingest: pages become documents, redirects and opt-outs are dropped with reasons', async () => {
  const bytes = await readFile(warc);
  const items = await readAll(IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: warc, format: 'warc' }] }), warc, bytes);
  const docs = docsOf(items);
  const urls = docs.map((d) => new URL(d.url ?? '').pathname + new URL(d.url ?? '').search).sort();
  assert.deepEqual(urls, ['/a', '/a', '/a?from=redirect', '/a?from=redirect', '/chunked', '/chunked', '/flaky', '/flaky', '/missing', '/missing', '/private/ok', '/private/ok'].filter((u) => u !== '/missing'));
  assert.match(docs.find((d) => d.url?.endsWith('/chunked'))?.text ?? '', /^Chunked\nThe committee met/);
  assert.match(docs.find((d) => d.url?.endsWith('/a'))?.text ?? '', /^Page \/a\nThe committee met/);
  const reasons = dropsOf(items).map((d) => `${new URL(d.doc.url ?? '').pathname} ${d.reason}`).sort();
  assert.deepEqual(reasons, ['/missing http_status', '/missing http_status', '/noai optout_noai', '/noai optout_noai', '/redirect http_status', '/redirect http_status']);
});

test('Python warcio reads the WARC the crawler wrote, and its digests check', async () => {
  const { stdout } = await promisify(execFile)(python, [join(ROOT, 'test', 'python', 'read_warc.py'), warc]);
  const records = JSON.parse(stdout) as { type: string; uri: string | null; status: number | null; payload_bytes: number; payload_head: string }[];
  assert.equal(records[0]?.type, 'warcinfo');
  const responses = records.filter((r) => r.type === 'response');
  assert.equal(records.filter((r) => r.type === 'request').length, responses.length);
  assert.equal(responses.length, summary.fetched);
  const a = responses.find((r) => r.uri === `http://127.0.0.1:${port}/a`);
  assert.equal(a?.status, 200);
  // warcio undoes the gzip content encoding: the payload is the page.
  assert.match(a?.payload_head ?? '', /^<!doctype html>/);
  assert.match(responses.find((r) => r.uri?.endsWith('/chunked'))?.payload_head ?? '', /^<html><body><h1>Chunked/);
  const check = await promisify(execFile)(python, ['-m', 'warcio.cli', 'check', '-v', warc]).catch((e: { stdout: string; code: number }) => e);
  assert.ok(!('code' in check) || check.code === 0, `warcio check failed: ${check.stdout}`);
  assert.doesNotMatch(check.stdout, /digest fail/i);
});
