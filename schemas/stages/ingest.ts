import { z } from 'zod';
import { PlainUri } from '../uri.js';
import { TaskQueue } from '../task-queue.js';
import { RetryPolicy } from '../retry-policy.js';

/**
 * `warc`: WARC 1.0/1.1 `response`, `resource` and `conversion` records (HTML is reduced to its main
 * text); `wet`: WARC `conversion` records only; `arc`: the Internet Archive's ARC format; `jsonl`
 * (plain, gzip or zstd); `text`: each file (plain or gzip) is one document; `parquet`: one row each.
 */
export const InputFormat = z.enum(['jsonl', 'wet', 'warc', 'arc', 'text', 'parquet']);
export type InputFormat = z.infer<typeof InputFormat>;

export const IngestInput = z.strictObject({
  /** A path, glob (`*`, `**`) or s3:// prefix. Relative paths resolve against the pipeline file's directory. */
  uri: PlainUri,
  format: InputFormat,
  /** SPDX id or free tag recorded for every document from this input, unless a licence rule matches. */
  license: z.string().nullable().default(null),
  text_field: z.string().default('text'),
  id_field: z.string().nullable().default(null),
  url_field: z.string().nullable().default('url'),
});
export type IngestInput = z.infer<typeof IngestInput>;

/** Overrides an input's licence for documents from a domain (and its subdomains) or URLs matching a regex. */
export const LicenseRule = z
  .strictObject({
    domain: z.string().min(1).optional(),
    url_pattern: z
      .string()
      .min(1)
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
    license: z.string().min(1),
  })
  .refine((r) => r.domain !== undefined || r.url_pattern !== undefined, 'a licence rule needs a domain or a url_pattern');
export type LicenseRule = z.infer<typeof LicenseRule>;

/** A file or S3 object of blocked domains (subdomains included) or URLs (and everything under them), one per line. */
export const Blocklist = z.strictObject({
  uri: PlainUri,
  kind: z.enum(['domain', 'url']),
});

export const IngestConfig = z.strictObject({
  stage: z.literal('ingest'),
  inputs: z.array(IngestInput).min(1),
  /**
   * Files larger than this are read by several tasks, each owning the records that start in its
   * slice: gzip members of `.gz` WARC/WET/ARC files, lines of `.jsonl`/`.ndjson`/`.json` files, row
   * groups of Parquet files. Other files are read whole. The documents are the same as one task would give.
   */
  task_bytes: z.number().int().min(1024).default(256 * 1024 * 1024),
  /** Records larger than this are reported and skipped rather than loaded (bytes). */
  max_record_bytes: z.number().int().positive().default(16 * 1024 * 1024),
  /**
   * What one gzip member or zstd stream of a JSONL file may inflate to (bytes); past it the member is
   * reported as oversized and skipped, so a decompression bomb (kilobytes that inflate to terabytes)
   * cannot exhaust a task's memory. WARC/WET/ARC members are capped by max_record_bytes instead.
   */
  max_decompressed_bytes: z.number().int().positive().max(2 ** 31).default(2 ** 31),
  /**
   * Parsing work one page's HTML extraction may take, in work units (one per element and text run,
   * plus the depth of open elements at each tag); a page over it is dropped as
   * `extraction_over_budget`, so a pathological page cannot stall a task. Counted, not timed, so the
   * same page is kept or dropped on every machine. Real pages take about 0.3 units per byte (a 73 KB
   * Wikipedia page 22,706), so the default admits any ordinary page up to `max_record_bytes`.
   */
  html_work_budget: z.number().int().positive().default(10_000_000),
  /**
   * Wall-clock backstop (ms) for one page's extraction, should the node budget not bound it: a page over
   * it is dropped as `extraction_timeout` with `wall_clock: true`, the one drop that depends on the machine.
   */
  html_time_budget_ms: z.number().int().positive().default(10_000),
  /** First matching rule wins; documents no rule matches keep their input's licence. */
  license_rules: z.array(LicenseRule).default([]),
  blocklists: z.array(Blocklist).default([]),
  /** Temporal task queue for the read tasks, e.g. corpusflow-io for workers near the data or with more network than cores. */
  task_queue: TaskQueue,
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type IngestConfig = z.infer<typeof IngestConfig>;
