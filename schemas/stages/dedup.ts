import { z } from 'zod';
import { RetryPolicy } from '../retry-policy.js';

/** What decides which document of a duplicate cluster survives; the smallest document id breaks ties. */
export const SurvivorRule = z.enum(['newest_fetch', 'oldest_fetch', 'quality_score', 'source_rank']);
export type SurvivorRule = z.infer<typeof SurvivorRule>;

export const MinhashConfig = z
  .strictObject({
    /** Shingles of `ngram` words (or characters) of the normalised text. */
    unit: z.enum(['word', 'char']).default('word'),
    ngram: z.number().int().min(1).max(64).default(5),
    /**
     * 14 bands x 8 rows = 112 permutations: the S-curve 1-(1-s^8)^14 crosses 0.5 at s ~ 0.72 and
     * keeps 0.8-similar pairs with p ~ 0.92 (the datatrove default; Lee et al. 2022 use 20 x 450).
     */
    bands: z.number().int().min(1).max(1024).default(14),
    rows: z.number().int().min(1).max(64).default(8),
    seed: z.number().int().nonnegative().default(1),
    /**
     * The false-positive check: candidate pairs whose Jaccard is below this are not merged. null:
     * every band collision joins a cluster.
     */
    min_similarity: z.number().min(0).max(1).nullable().default(null),
    /**
     * How the check measures Jaccard: `signature` estimates it from the whole signature (free);
     * `shingles` computes it exactly over the two shingle sets (NeMo Curator's false-positive check),
     * which reads the text of every document in a candidate pair again.
     */
    similarity: z.enum(['signature', 'shingles']).default('signature'),
  });
export type MinhashConfig = z.infer<typeof MinhashConfig>;

export const DedupConfig = z.strictObject({
  stage: z.literal('dedup'),
  exact: z
    .strictObject({
      /** Same text after Unicode NFC, trimming and whitespace collapsing. */
      text: z.boolean().default(true),
      url: z.boolean().default(false),
    })
    .prefault({}),
  /** null turns near-dedup off. */
  minhash: MinhashConfig.nullable().prefault({}),
  /** Survivor choice, first rule first; the smallest document id breaks what the rules leave tied. */
  priority: z.array(SurvivorRule).default(['newest_fetch']),
  /** Source uri prefixes, best first, for the `source_rank` rule; unmatched sources rank last. */
  source_rank: z.array(z.string()).default([]),
  /** Tasks of the bucket phase; each takes every partitions-th band and clusters its own pairs. */
  bucket_tasks: z.number().int().min(1).max(4096).default(4),
  /**
   * Records (32 bytes each) a bucket task sorts in memory before spilling a sorted run to local
   * disk; 2^21 records = 64 MB. Runs are merged with 128 KB read buffers each.
   */
  bucket_sort_records: z.number().int().min(1024).default(1 << 21),
  /**
   * Store the keys and signatures of the documents this stage keeps in `<release>/dedup-index/`, so
   * a later crawl can be deduplicated against this release (`against`).
   */
  write_index: z.boolean().default(false),
  /**
   * Releases (folders holding a `dedup-index/`, relative to the pipeline file, or s3://) whose
   * documents count as already seen: a document in a cluster with one of them is dropped as
   * `release_duplicate`, naming the release and the stored document id. Their index must have been
   * built with the same exact and MinHash settings.
   */
  against: z.array(z.string().min(1)).default([]),
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type DedupConfig = z.infer<typeof DedupConfig>;
