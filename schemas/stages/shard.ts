import { z } from 'zod';

export const TokenizerName = z.enum(['cl100k_base', 'o200k_base', 'r50k_base']);
export type TokenizerName = z.infer<typeof TokenizerName>;

export const ShardConfig = z.strictObject({
  stage: z.literal('shard'),
  tokenizer: TokenizerName.default('cl100k_base'),
  /** Tokens per packed sample; documents are concatenated with EOS between them. */
  seq_len: z.number().int().min(8).max(1 << 20).default(2048),
  /** Samples per tar; every shard but the last holds exactly this many. */
  samples_per_shard: z.number().int().positive().default(1024),
});
export type ShardConfig = z.infer<typeof ShardConfig>;
