import { isAbsolute, resolve } from 'node:path';
import type { IngestConfig } from '../../schemas/stages/ingest.js';
import type { Storage } from '../../src/storage/types.js';

/** What ingest decides from a URL alone: blocked (and why), and the licence it carries. */
export interface UrlPolicy {
  blocked(url: string | null): { reason: 'blocklisted_domain' | 'blocklisted_url'; detail: { entry: string } } | null;
  license(url: string | null, fallback: string | null): string | null;
}

export interface ParsedUrl {
  host: string;
  /** `host/path?query` without scheme, `www.`, port or fragment: the form URL blocklists are written in. */
  key: string;
}

export function parseUrl(url: string | null): ParsedUrl | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    const host = u.hostname.toLowerCase().replace(/^www\./, '').replace(/\.$/, '');
    return { host, key: `${host}${u.pathname}${u.search}` };
  } catch {
    return null;
  }
}

/** The domain itself or any parent domain listed in `set`. */
function domainIn(host: string, set: Set<string>): string | null {
  for (let h = host; h; ) {
    if (set.has(h)) return h;
    const dot = h.indexOf('.');
    if (dot < 0) return null;
    h = h.slice(dot + 1);
  }
  return null;
}

/** Blocklist lines: one entry each, `#` starts a comment; URL entries lose their scheme and `www.`. */
export function parseBlocklist(text: string, kind: 'domain' | 'url'): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim().toLowerCase();
    if (!line) continue;
    out.add(kind === 'domain' ? line.replace(/^\*?\./, '').replace(/^www\./, '') : line.replace(/^[a-z]+:\/\//, '').replace(/^www\./, '').replace(/#.*/, ''));
  }
  return out;
}

/** URL entries match the URL itself or anything under it (`example.com/private` blocks `example.com/private/x`). */
function urlIn(key: string, set: Set<string>): string | null {
  if (set.has(key)) return key;
  for (let cut = key.lastIndexOf('/'); cut > 0; cut = key.lastIndexOf('/', cut - 1)) {
    const prefix = key.slice(0, cut);
    if (set.has(prefix) || set.has(`${prefix}/`)) return set.has(prefix) ? prefix : `${prefix}/`;
  }
  return null;
}

export function urlPolicy(config: Pick<IngestConfig, 'license_rules'>, domains: Set<string>, urls: Set<string>): UrlPolicy {
  const rules = config.license_rules.map((r) => ({
    license: r.license,
    pattern: r.url_pattern ? new RegExp(r.url_pattern) : null,
    domains: r.domain ? new Set([r.domain.toLowerCase().replace(/^www\./, '')]) : null,
  }));
  return {
    blocked(url) {
      if (domains.size === 0 && urls.size === 0) return null;
      const parsed = parseUrl(url);
      if (!parsed) return null;
      const domain = domains.size > 0 ? domainIn(parsed.host, domains) : null;
      if (domain) return { reason: 'blocklisted_domain', detail: { entry: domain } };
      const entry = urls.size > 0 ? urlIn(parsed.key, urls) : null;
      return entry ? { reason: 'blocklisted_url', detail: { entry } } : null;
    },
    license(url, fallback) {
      if (rules.length === 0 || !url) return fallback;
      const parsed = parseUrl(url);
      for (const r of rules) {
        if (r.domains && !(parsed && domainIn(parsed.host, r.domains))) continue;
        if (r.pattern && !r.pattern.test(url)) continue;
        return r.license;
      }
      return fallback;
    },
  };
}

const loaded = new Map<string, Promise<{ domains: Set<string>; urls: Set<string> }>>();

/**
 * The stage's URL policy with its blocklists read from disk or S3. The lists are cached per thread
 * by location: a task thread reads a multi-megabyte list once, not once per input file.
 */
export async function loadUrlPolicy(config: IngestConfig, baseDir: string, storage: (uri: string) => Storage): Promise<UrlPolicy> {
  const lists = config.blocklists.map((l) => ({ kind: l.kind, uri: l.uri.startsWith('s3://') || isAbsolute(l.uri) ? l.uri : resolve(baseDir, l.uri) }));
  const key = JSON.stringify(lists);
  let sets = loaded.get(key);
  if (!sets) {
    sets = (async () => {
      const domains = new Set<string>();
      const urls = new Set<string>();
      for (const list of lists) {
        for (const e of parseBlocklist((await storage(list.uri).read(list.uri)).toString('utf8'), list.kind)) (list.kind === 'domain' ? domains : urls).add(e);
      }
      return { domains, urls };
    })();
    // A failed read is not cached, so a retried task reads the list again.
    sets.catch(() => loaded.delete(key));
    loaded.set(key, sets);
  }
  const { domains, urls } = await sets;
  return urlPolicy(config, domains, urls);
}
