import http from 'node:http';
import https from 'node:https';
import PQueue from 'p-queue';
import type { CrawlConfig } from '../../schemas/crawl.js';
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, type RobotsRules } from './robots.js';
import { sha1Digest, WarcWriter } from './warc-writer.js';

/** One HTTP exchange as it went over the wire: the request we sent and the response bytes we got. */
interface Exchange {
  /** When the request was sent: the WARC-Date of both records. */
  started: Date;
  request: Buffer;
  status: number;
  /** The response head as received, with Transfer-Encoding renamed (the body is stored de-chunked). */
  head: Buffer;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
  ip: string | null;
}

export interface CrawlSummary {
  urls: number;
  fetched: number;
  robots_disallowed: number;
  failed: number;
  retries: number;
  redirects_followed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Host {
  queue: PQueue;
  robots: RobotsRules;
  /** Least time between request starts (ms). */
  delay: number;
  /** When the last request to this host was sent, and the chain that orders the next sends. */
  lastSent: number;
  gate: Promise<unknown>;
}

/**
 * Wait for this host's next request slot and return the send time. p-queue's interval counts starts
 * per fixed window, which lets two starts fall either side of a window edge; chaining the sends of a
 * host and timing each from the previous actual send keeps every pair at least `delay` apart.
 */
function spaced(host: Host): Promise<Date> {
  const slot = host.gate.then(async () => {
    // Timers measure from the event loop's cached clock and can fire early: check the wall clock again.
    for (let wait = host.lastSent + host.delay - Date.now(); wait > 0; wait = host.lastSent + host.delay - Date.now()) await sleep(wait);
    host.lastSent = Date.now();
    return new Date(host.lastSent);
  });
  host.gate = slot;
  return slot;
}

/** GET a URL and keep the raw response (not decompressed: the WARC stores what the server sent). */
function fetchRaw(url: URL, cfg: CrawlConfig, started = new Date()): Promise<Exchange> {
  const headers: Record<string, string> = {
    Host: url.host,
    'User-Agent': cfg.user_agent,
    Accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5',
    'Accept-Encoding': 'gzip, deflate, br',
    Connection: 'close',
  };
  const path = `${url.pathname}${url.search}`;
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: 'GET', headers, agent: false, timeout: cfg.timeout_ms }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      res.on('data', (c: Buffer) => {
        if (truncated) return;
        if (size + c.length > cfg.max_body_bytes) {
          chunks.push(c.subarray(0, cfg.max_body_bytes - size));
          size = cfg.max_body_bytes;
          truncated = true;
          res.destroy();
          finish();
          return;
        }
        chunks.push(c);
        size += c.length;
      });
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        const lines = [`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i] as string;
          // Node removes the chunk framing; Common Crawl renames the header the same way.
          lines.push(`${/^transfer-encoding$/i.test(name) ? `X-Crawler-${name}` : name}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({
          started, request, status: res.statusCode ?? 0, head: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), headers: res.headers,
          body: Buffer.concat(chunks), truncated, ip: res.socket?.remoteAddress ?? null,
        });
      };
      res.on('end', finish);
      res.on('error', (err) => (truncated ? finish() : reject(err)));
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${cfg.timeout_ms} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Backoff before retry `attempt` (0-based): Retry-After when the server gives seconds, else exponential. */
function backoffMs(cfg: CrawlConfig, attempt: number, retryAfter: string | undefined): number {
  const seconds = Number(retryAfter);
  if (retryAfter && Number.isFinite(seconds)) return Math.min(60_000, seconds * 1000);
  return cfg.retry_base_ms * 2 ** attempt;
}

/**
 * A polite crawler: robots.txt per host (RFC 9309: a 4xx robots.txt allows everything, a 5xx or
 * unreachable one disallows everything), at most `per_host_concurrency` requests in flight and one
 * request start per `per_host_delay_ms` (or the robots Crawl-delay) per host, `concurrency` overall,
 * retries with exponential backoff on network errors, 429 and 5xx. Writes one request and one response
 * record per fetch to a gzip WARC that `ingest` (format `warc`) and warcio read.
 */
export async function crawl(seeds: string[], cfg: CrawlConfig): Promise<CrawlSummary> {
  const writer = await WarcWriter.create(cfg.out);
  const summary: CrawlSummary = { urls: 0, fetched: 0, robots_disallowed: 0, failed: 0, retries: 0, redirects_followed: 0 };
  await writer.write({
    type: 'warcinfo', date: new Date(), contentType: 'application/warc-fields',
    block: Buffer.from(`software: corpusflow crawl\r\nformat: WARC File Format 1.1\r\nhttp-header-user-agent: ${cfg.user_agent}\r\nrobots: obey\r\n`),
  });
  const overall = new PQueue({ concurrency: cfg.concurrency });
  const hosts = new Map<string, Promise<Host>>();
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  const productToken = cfg.user_agent.split('/')[0] ?? cfg.user_agent;

  const hostOf = (url: URL) => {
    let host = hosts.get(url.origin);
    if (!host) {
      host = (async () => {
        const robots = await fetchRobots(new URL('/robots.txt', url.origin), cfg, productToken);
        const delay = Math.max(cfg.per_host_delay_ms, (robots.crawlDelay ?? 0) * 1000);
        return { queue: new PQueue({ concurrency: cfg.per_host_concurrency }), robots, delay, lastSent: 0, gate: Promise.resolve() };
      })();
      hosts.set(url.origin, host);
    }
    return host;
  };

  const visit = async (url: URL, hops: number) => {
    const host = await hostOf(url);
    if (!host.robots.allowed(`${url.pathname}${url.search}`)) {
      summary.robots_disallowed++;
      return;
    }
    await host.queue.add(() => overall.add(async () => {
      for (let attempt = 0; ; attempt++) {
        const sendAt = await spaced(host);
        let ex: Exchange;
        try {
          ex = await fetchRaw(url, cfg, sendAt);
        } catch {
          if (attempt < cfg.retries) {
            summary.retries++;
            await sleep(backoffMs(cfg, attempt, undefined));
            continue;
          }
          summary.failed++;
          return;
        }
        if ((ex.status === 429 || ex.status >= 500) && attempt < cfg.retries) {
          summary.retries++;
          await sleep(backoffMs(cfg, attempt, ex.headers['retry-after']));
          continue;
        }
        await record(writer, url, ex);
        summary.fetched++;
        const location = ex.headers.location;
        if (ex.status >= 300 && ex.status < 400 && location && hops < cfg.max_redirects) {
          summary.redirects_followed++;
          enqueue(new URL(location, url).href, hops + 1);
        }
        return;
      }
    }));
  };

  const enqueue = (raw: string, hops: number) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      summary.failed++;
      return;
    }
    url.hash = '';
    if (!/^https?:$/.test(url.protocol) || seen.has(url.href)) return;
    seen.add(url.href);
    summary.urls++;
    pending.push(visit(url, hops));
  };

  for (const seed of seeds) enqueue(seed, 0);
  // Redirects add to `pending` while we wait.
  for (let i = 0; i < pending.length; i++) await pending[i];
  await writer.close();
  return summary;
}

async function fetchRobots(url: URL, cfg: CrawlConfig, productToken: string): Promise<RobotsRules> {
  for (let hop = 0; hop <= 5; hop++) {
    let ex: Exchange;
    try {
      ex = await fetchRaw(url, cfg);
    } catch {
      return DISALLOW_ALL;
    }
    if (ex.status >= 300 && ex.status < 400 && ex.headers.location) {
      url = new URL(ex.headers.location, url);
      continue;
    }
    if (ex.status >= 500) return DISALLOW_ALL;
    if (ex.status >= 400) return ALLOW_ALL;
    let body = ex.body;
    const enc = ex.headers['content-encoding'];
    if (enc) {
      const zlib = await import('node:zlib');
      try {
        body = enc.includes('br') ? zlib.brotliDecompressSync(body) : enc.includes('deflate') ? zlib.inflateSync(body) : zlib.gunzipSync(body);
      } catch {
        return DISALLOW_ALL;
      }
    }
    // RFC 9309: parse at least the first 500 KiB.
    return parseRobots(body.subarray(0, 512 * 1024).toString('utf8'), productToken);
  }
  return ALLOW_ALL;
}

async function record(writer: WarcWriter, url: URL, ex: Exchange): Promise<void> {
  const date = ex.started;
  const requestId = await writer.write({ type: 'request', targetUri: url.href, date, contentType: 'application/http; msgtype=request', block: ex.request });
  await writer.write({
    type: 'response', targetUri: url.href, date, contentType: 'application/http; msgtype=response',
    block: Buffer.concat([ex.head, ex.body]),
    fields: [
      ['WARC-Concurrent-To', requestId],
      ...(ex.ip ? ([['WARC-IP-Address', ex.ip]] as [string, string][]) : []),
      ['WARC-Payload-Digest', sha1Digest(ex.body)],
      ...(ex.truncated ? ([['WARC-Truncated', 'length']] as [string, string][]) : []),
    ],
  });
}
