import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
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
  /** URLs found by following links and sitemaps (included in `urls`). */
  discovered: number;
  fetched: number;
  robots_disallowed: number;
  failed: number;
  retries: number;
  redirects_followed: number;
  /** The WARC files written, in order. */
  warc_files: string[];
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
  /** Pages queued for this host, against max_pages_per_host. */
  pages: number;
  sitemaps: string[];
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
  const warcinfo = Buffer.from(`software: corpusflow crawl\r\nformat: WARC File Format 1.1\r\nhttp-header-user-agent: ${cfg.user_agent}\r\nrobots: obey\r\n`);
  const writer = await WarcWriter.create(cfg.out, warcinfo, cfg.warc_max_bytes);
  const summary: CrawlSummary = { urls: 0, discovered: 0, fetched: 0, robots_disallowed: 0, failed: 0, retries: 0, redirects_followed: 0, warc_files: writer.files };
  const overall = new PQueue({ concurrency: cfg.concurrency });
  const hosts = new Map<string, Promise<Host>>();
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  const productToken = cfg.user_agent.split('/')[0] ?? cfg.user_agent;

  const hostOf = (url: URL) => {
    let host = hosts.get(url.origin);
    if (!host) {
      host = (async () => {
        const { rules: robots, sitemaps } = await fetchRobots(new URL('/robots.txt', url.origin), cfg, productToken);
        const delay = Math.max(cfg.per_host_delay_ms, (robots.crawlDelay ?? 0) * 1000);
        return { queue: new PQueue({ concurrency: cfg.per_host_concurrency }), robots, delay, lastSent: 0, gate: Promise.resolve(), pages: 0, sitemaps };
      })();
      hosts.set(url.origin, host);
    }
    return host;
  };

  const visit = async (url: URL, hops: number, depth: number) => {
    const host = await hostOf(url);
    if (!host.robots.allowed(`${url.pathname}${url.search}`)) {
      summary.robots_disallowed++;
      return;
    }
    if (host.pages >= cfg.max_pages_per_host) return;
    host.pages++;
    // A host's sitemaps are read once, with its first page; their URLs are one click from it.
    if (depth < cfg.max_depth && host.sitemaps.length > 0) {
      const maps = host.sitemaps.splice(0);
      for (const map of maps) {
        await spaced(host);
        for (const loc of await sitemapUrls(new URL(map), cfg)) discover(loc, url, 1);
      }
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
          enqueue(new URL(location, url).href, hops + 1, depth);
        }
        if (ex.status >= 200 && ex.status < 300 && depth < cfg.max_depth) for (const link of pageLinks(ex, url)) discover(link, url, depth + 1);
        return;
      }
    }));
  };

  /** A link from `from`: followed only on the same host (scheme and port may differ only as the URL says). */
  const discover = (raw: string, from: URL, depth: number) => {
    let url: URL;
    try {
      url = new URL(raw, from);
    } catch {
      return;
    }
    if (url.hostname !== from.hostname) return;
    url.hash = '';
    if (!seen.has(url.href)) summary.discovered++;
    enqueue(url.href, 0, depth);
  };

  const enqueue = (raw: string, hops: number, depth: number) => {
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
    pending.push(visit(url, hops, depth));
  };

  for (const seed of seeds) enqueue(seed, 0, 0);
  // Redirects and discovered links add to `pending` while we wait.
  for (let i = 0; i < pending.length; i++) await pending[i];
  await writer.close();
  return summary;
}

/** The body as the server meant it: content coding undone; null when it cannot be. */
function decodedBody(ex: Exchange): Buffer | null {
  const enc = ex.headers['content-encoding'];
  if (!enc) return ex.body;
  try {
    return enc.includes('br') ? brotliDecompressSync(ex.body) : enc.includes('deflate') ? inflateSync(ex.body) : gunzipSync(ex.body);
  } catch {
    return null;
  }
}

/** `<a href>` targets of an HTML page at `url`, absolute, unless the page or the link says `nofollow`. */
function pageLinks(ex: Exchange, url: URL): string[] {
  if (!/^\s*(text\/html|application\/xhtml\+xml)/i.test(String(ex.headers['content-type'] ?? ''))) return [];
  if (/\bnofollow\b/i.test(String(ex.headers['x-robots-tag'] ?? ''))) return [];
  const body = decodedBody(ex);
  if (!body) return [];
  const links: string[] = [];
  let nofollow = false;
  let base: string | null = null;
  const parser = new Parser({
    onopentag(name, attribs) {
      if (name === 'meta' && attribs.name?.toLowerCase() === 'robots' && /\bnofollow\b/i.test(attribs.content ?? '')) nofollow = true;
      else if (name === 'base' && attribs.href && base === null) base = attribs.href;
      else if (name === 'a' && attribs.href && !/\bnofollow\b/i.test(attribs.rel ?? '')) links.push(attribs.href);
    },
  });
  parser.end(body.toString('latin1'));
  if (nofollow) return [];
  const resolved: string[] = [];
  for (const link of links) {
    try {
      resolved.push(new URL(link, new URL(base ?? url.href, url)).href);
    } catch {
      // An href that is not a URL leads nowhere.
    }
  }
  return resolved;
}

/** `<loc>` URLs of a sitemap (sitemaps.org 0.9); nested sitemap indexes are not followed. */
async function sitemapUrls(url: URL, cfg: CrawlConfig): Promise<string[]> {
  let ex: Exchange;
  try {
    ex = await fetchRaw(url, cfg);
  } catch {
    return [];
  }
  if (ex.status < 200 || ex.status > 299) return [];
  let body = decodedBody(ex);
  if (body && body[0] === 0x1f && body[1] === 0x8b) {
    try {
      body = gunzipSync(body);
    } catch {
      return [];
    }
  }
  if (!body) return [];
  return [...body.toString('utf8').matchAll(/<loc>\s*([^<\s]+)\s*<\/loc>/gi)].map((m) => (m[1] as string).replace(/&amp;/g, '&'));
}

async function fetchRobots(url: URL, cfg: CrawlConfig, productToken: string): Promise<{ rules: RobotsRules; sitemaps: string[] }> {
  for (let hop = 0; hop <= 5; hop++) {
    let ex: Exchange;
    try {
      ex = await fetchRaw(url, cfg);
    } catch {
      return { rules: DISALLOW_ALL, sitemaps: [] };
    }
    if (ex.status >= 300 && ex.status < 400 && ex.headers.location) {
      url = new URL(ex.headers.location, url);
      continue;
    }
    if (ex.status >= 500) return { rules: DISALLOW_ALL, sitemaps: [] };
    if (ex.status >= 400) return { rules: ALLOW_ALL, sitemaps: [] };
    const body = decodedBody(ex);
    if (!body) return { rules: DISALLOW_ALL, sitemaps: [] };
    // RFC 9309: parse at least the first 500 KiB.
    const text = body.subarray(0, 512 * 1024).toString('utf8');
    // Sitemap lines stand outside the groups (RFC 9309 §2.3.5): they hold for every crawler.
    const sitemaps = [...text.matchAll(/^\s*sitemap\s*:\s*(\S+)/gim)].map((m) => m[1] as string);
    return { rules: parseRobots(text, productToken), sitemaps };
  }
  return { rules: ALLOW_ALL, sitemaps: [] };
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
