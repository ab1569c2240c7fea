import { z } from 'zod';

const Count = z.number().int().nonnegative();
/** Documents per log2 bucket: `bin` k holds lengths in [2^k, 2^(k+1)). */
const Histogram = z.array(z.object({ bin: z.number().int(), documents: Count }));
const Summary = z.object({ min: z.number(), median: z.number(), mean: z.number(), max: z.number() }).nullable();

/**
 * Everything the release data card says, read from provenance.duckdb and nothing else. It holds no
 * run id or clock time, so the same inputs and config give the same card.
 */
export const DataCard = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string(),
  code_version: z.string(),
  pipeline_hash: z.string(),
  sources: z.array(z.object({
    uri: z.string(), format: z.string().nullable(), license: z.string().nullable(), sha256: z.string(), bytes: Count,
    records: Count, bad_records: Count, released: Count,
  })),
  licenses: z.array(z.object({ license: z.string().nullable(), sources: Count, documents_in: Count, documents_released: Count, tokens: Count })),
  collection: z.object({
    first_fetch: z.string().nullable(), last_fetch: z.string().nullable(), domains: Count,
    top_domains: z.array(z.object({ domain: z.string(), documents: Count })),
    unreadable: z.array(z.object({ reason: z.string(), records: Count })),
  }),
  steps: z.array(z.object({
    index: z.number().int(), stage: z.string(), version: z.number().int(), config_hash: z.string(), config: z.record(z.string(), z.unknown()),
    docs_in: Count, docs_out: Count, modified: Count,
    drops: z.array(z.object({ rule: z.string(), reason: z.string(), documents: Count })),
  })),
  languages: z.array(z.object({ lang: z.string(), documents: Count, tokens: Count })),
  lengths: z.object({ bytes: Histogram, tokens: Histogram, bytes_summary: Summary, tokens_summary: Summary }),
  dedup: z.array(z.object({ method: z.string(), clusters: Count, documents: Count, removed: Count })),
  pii: z.object({
    stage: z.boolean(),
    documents: Count,
    by_type: z.array(z.object({ entity_type: z.string(), documents: Count, mentions: Count })),
  }),
  /** Synthetic documents (synth pairs); model_generated: those a model wrote, not a template. */
  synthetic: z.object({ documents: Count, tokens: Count, model_generated: Count }),
  tokens: z.object({
    tokenizer: z.string().nullable(), seq_len: z.number().int().nullable(),
    documents: Count, samples: Count, tokens: Count, shards: Count, bytes: Count,
  }),
  erasures: z.array(z.object({ reason: z.string().nullable(), documents: Count })),
  /** Per quota group of the shard stage (empty without quotas): documents kept, dropped and repeated by the quota, and tokens released. */
  quotas: z.array(z.object({ lang: z.string(), documents: Count, dropped: Count, repeated: Count, tokens: Count })),
});
export type DataCard = z.infer<typeof DataCard>;
