import { z } from 'zod';
import { RetryPolicy } from '../retry-policy.js';

/** tiktoken encodings whose vocabularies ship inside the gpt-tokenizer package. */
export const TokenizerName = z.enum(['cl100k_base', 'o200k_base', 'r50k_base']);
export type TokenizerName = z.infer<typeof TokenizerName>;

/** A Hugging Face byte-level BPE `tokenizer.json` (GPT-2, Llama 3 …). */
export const HfTokenizer = z.strictObject({
  /** A file path, or `npm:<package>/<path inside it>` for a file shipped in an installed package. */
  tokenizer_json: z.string().min(1),
  /** A display name for the manifest; defaults to the file name's directory. */
  name: z.string().min(1).optional(),
  /** The added token that ends a document (tokenizer.json does not say which one it is). */
  eos_token: z.string().min(1),
  /** The added token that starts a document; needed only when `bos` is set. */
  bos_token: z.string().min(1).optional(),
});
export type HfTokenizer = z.infer<typeof HfTokenizer>;

export const TokenizerSpec = z.union([TokenizerName, HfTokenizer]);
export type TokenizerSpec = z.infer<typeof TokenizerSpec>;

export const ShardConfig = z
  .strictObject({
    stage: z.literal('shard'),
    tokenizer: TokenizerSpec.default('cl100k_base'),
    /** Prepend the BOS token to every document (Llama-style training); tiktoken encodings have none. */
    bos: z.boolean().default(false),
    /** Append the EOS token to every document, the separator packed samples rely on. */
    eos: z.boolean().default(true),
    /** `packed`: documents concatenated and cut into fixed-length samples; `documents`: one sample per document. */
    layout: z.enum(['packed', 'documents']).default('packed'),
    /**
     * Per-source or per-language weights: a document takes the weight of the first rule that
     * matches (source is a glob on its input uri), 1 if none. 2 packs every document twice, 0.5
     * keeps half (chosen by a hash of the id seeded with the pipeline seed), 0 leaves them out.
     */
    mix: z
      .array(
        z
          .strictObject({ source: z.string().min(1).optional(), lang: z.string().min(1).optional(), weight: z.number().min(0).max(100) })
          .refine((r) => r.source !== undefined || r.lang !== undefined, { message: 'a mix rule needs source or lang' }),
      )
      .default([]),
    /**
     * Shuffle documents across the whole corpus before packing, seeded with the pipeline seed:
     * each document goes to one of `buckets` buckets by hash, each bucket is shuffled in memory.
     * Memory holds one bucket (the corpus's tokens / buckets) plus a 64 MB spill buffer.
     */
    shuffle: z.strictObject({ buckets: z.number().int().min(1).max(65536).default(64) }).optional(),
    /** Tokens per packed sample; documents are concatenated with EOS between them. */
    seq_len: z.number().int().min(8).max(1 << 20).default(2048),
    /** `seq_len+1` writes open_lm's windows: the extra token is the last input's target. */
    sample_tokens: z.enum(['seq_len', 'seq_len+1']).default('seq_len'),
    /** Write `<key>.loss_mask.npy` (uint16 as the synth stage writes it, 0 where a new document starts inside the sample). */
    loss_mask: z.boolean().default(false),
    /** Samples per tar; every shard but the last holds exactly this many. */
    samples_per_shard: z.number().int().positive().default(1024),
    /**
     * A size target for shards instead: the first shard takes as many samples as fit in this many
     * bytes and every later shard the same count, so counts stay equal. Overrides samples_per_shard.
     */
    shard_bytes: z.number().int().min(4096).optional(),
    /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
    retry: RetryPolicy,
  })
  .refine((c) => !c.bos || typeof c.tokenizer === 'object' && c.tokenizer.bos_token !== undefined, {
    message: 'bos needs a tokenizer with a bos_token (tiktoken encodings have no BOS token)',
    path: ['bos'],
  });
export type ShardConfig = z.infer<typeof ShardConfig>;
