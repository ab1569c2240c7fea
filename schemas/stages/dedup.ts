import { z } from 'zod';

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
     * Drop candidate pairs whose Jaccard estimated from the whole signature is below this, before
     * clustering (the false-positive check). null: every band collision joins a cluster.
     */
    min_similarity: z.number().min(0).max(1).nullable().default(null),
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
  /** Tasks of the bucket phase; each takes every partitions-th band. */
  bucket_tasks: z.number().int().min(1).max(4096).default(4),
});
export type DedupConfig = z.infer<typeof DedupConfig>;
