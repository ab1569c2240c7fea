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

/** A language as the langid stage writes it in `meta.lang` (lid.176 codes: en, de, zh …), or `*` for every language not named. */
const QUOTA_LANG = /^(\*|[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*)$/;

/**
 * Language-balancing quotas: target shares of the output's tokens per language, token caps, or both.
 * Met at the document level by seeded down- and upsampling after `mix`; see docs/shards.md.
 */
export const ShardQuotas = z
  .strictObject({
    /**
     * Share of the output's tokens per language. They sum to 1; `*` takes every language not named
     * (and documents without one); a language that is not named, with no `*`, is left out.
     */
    shares: z.record(z.string(), z.number().min(0).max(1)).optional(),
    /** At most this many tokens of a language (with `shares`: the output shrinks so every share still holds). */
    max_tokens: z.record(z.string(), z.number().int().positive()).optional(),
    /** At most this many tokens in the output; needs `shares`. */
    total_tokens: z.number().int().positive().optional(),
    /**
     * How many times a language's documents may be repeated to meet its share. 1 (default) only
     * downsamples; UniMax (Chung et al., ICLR 2023) found 1–4 epochs of a scarce language still help
     * and more overfit.
     */
    max_repeats: z.number().int().min(1).max(100).default(1),
  })
  .superRefine((q, ctx) => {
    // Checked here rather than as record keys: zod reports a bad key without the message.
    for (const field of ['shares', 'max_tokens'] as const) {
      for (const lang of Object.keys(q[field] ?? {})) {
        if (!QUOTA_LANG.test(lang)) ctx.addIssue({ code: 'custom', path: [field, lang], message: 'a language code as langid writes it (en, de, zh, pt_BR), or "*" for every other language' });
      }
    }
    if (!q.shares && !q.max_tokens) ctx.addIssue({ code: 'custom', message: 'quotas need shares, max_tokens or both', path: [] });
    if (q.total_tokens !== undefined && !q.shares) ctx.addIssue({ code: 'custom', message: 'total_tokens needs shares: it sets the output size the shares divide', path: ['total_tokens'] });
    if (q.shares) {
      const sum = Object.values(q.shares).reduce((n, s) => n + s, 0);
      // Shares are decimals a person typed: 0.1 + 0.2 is not 0.3 in binary.
      if (Math.abs(sum - 1) > 1e-6) {
        const hint = sum > 1 ? 'lower some shares' : '*' in q.shares ? 'raise some shares' : 'give the rest to "*" (every other language) or raise some shares';
        ctx.addIssue({ code: 'custom', path: ['shares'], message: `shares sum to ${Number(sum.toFixed(6))}; they divide the output's tokens and must sum to 1: ${hint}` });
      }
      if (!Object.values(q.shares).some((s) => s > 0)) ctx.addIssue({ code: 'custom', path: ['shares'], message: 'at least one share must be above 0' });
      for (const lang of Object.keys(q.max_tokens ?? {})) {
        if (!(lang in q.shares)) ctx.addIssue({ code: 'custom', path: ['max_tokens', lang], message: `${lang} has a cap but no share: name it in shares too (or use "*")` });
      }
    }
  });
export type ShardQuotas = z.infer<typeof ShardQuotas>;

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
    /** Language-balancing quotas, applied to what `mix` keeps. */
    quotas: ShardQuotas.optional(),
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
  .refine((c) => !c.quotas || !c.mix.some((r) => r.lang !== undefined), {
    message: 'quotas and mix rules with lang both set how much of a language is kept: use quotas.shares (or max_tokens) instead of lang weights',
    path: ['quotas'],
  })
  .refine((c) => !c.bos || typeof c.tokenizer === 'object' && c.tokenizer.bos_token !== undefined, {
    message: 'bos needs a tokenizer with a bos_token (tiktoken encodings have no BOS token)',
    path: ['bos'],
  });
export type ShardConfig = z.infer<typeof ShardConfig>;
