import { z } from 'zod';

/** `corpusflow crawl` options, validated once at the CLI boundary. */
export const CrawlConfig = z.strictObject({
  /** The WARC file to write (gzip, one member per record). */
  out: z.string().min(1),
  /** Sent as User-Agent, and matched against robots.txt groups by its product token (before the first `/`). */
  user_agent: z.string().min(1).default('corpusflow/0.1 (+https://github.com/corpusflow)'),
  /** Requests in flight across all hosts. */
  concurrency: z.number().int().positive().default(16),
  /** Requests in flight to one host. */
  per_host_concurrency: z.number().int().positive().default(1),
  /** Least time between two requests to one host (ms); a larger robots.txt Crawl-delay wins. */
  per_host_delay_ms: z.number().int().nonnegative().default(1000),
  /** Retries after a network error, 429 or 5xx, with exponential backoff from retry_base_ms. */
  retries: z.number().int().nonnegative().default(3),
  retry_base_ms: z.number().int().positive().default(500),
  timeout_ms: z.number().int().positive().default(30_000),
  /** Bodies beyond this are cut and the record marked `WARC-Truncated: length`. */
  max_body_bytes: z.number().int().positive().default(16 * 1024 * 1024),
  /** Redirect targets are fetched (each a record of its own) up to this many hops. */
  max_redirects: z.number().int().nonnegative().default(5),
  /**
   * Links followed from the listed URLs, this many clicks deep: 0 fetches only the list. Discovered
   * pages are on the same host as the page that links to them, pass robots.txt, and come from `<a href>`
   * (not `rel=nofollow`, not on a page whose robots meta says `nofollow`) and from the sitemaps robots.txt
   * names (as depth 1).
   */
  max_depth: z.number().int().nonnegative().default(0),
  /** Pages fetched at most per host, seeds included, so a link trap cannot run on without end. */
  max_pages_per_host: z.number().int().positive().default(10_000),
  /**
   * A WARC file is closed and the next one opened (`name-00001.warc.gz`, …) before it would pass this
   * size; each starts with its own warcinfo record. 1 GB is what Common Crawl and Heritrix write.
   */
  warc_max_bytes: z.number().int().positive().default(1_000_000_000),
});
export type CrawlConfig = z.infer<typeof CrawlConfig>;
