import { z } from 'zod';

/**
 * The part of a Hugging Face `tokenizer.json` that a byte-level BPE tokenizer needs (GPT-2,
 * Llama 3, Qwen, DeepSeek …). Other fields pass through unread; unsupported models and
 * pre-tokenizers are refused by name when the tokenizer is built.
 */
const SplitPattern = z.union([z.strictObject({ Regex: z.string() }), z.strictObject({ String: z.string() })]);

const PreTokenizer: z.ZodType<PreTokenizer> = z.lazy(() =>
  z.union([
    z.looseObject({ type: z.literal('ByteLevel'), add_prefix_space: z.boolean().default(false), use_regex: z.boolean().default(true) }),
    z.looseObject({ type: z.literal('Split'), pattern: SplitPattern, behavior: z.string(), invert: z.boolean().default(false) }),
    z.looseObject({ type: z.literal('Sequence'), pretokenizers: z.array(PreTokenizer) }),
    z.looseObject({ type: z.string() }),
  ]),
);
export type PreTokenizer =
  | { type: 'ByteLevel'; add_prefix_space: boolean; use_regex: boolean }
  | { type: 'Split'; pattern: { Regex: string } | { String: string }; behavior: string; invert: boolean }
  | { type: 'Sequence'; pretokenizers: PreTokenizer[] }
  | { type: string };

export const TokenizerJson = z.looseObject({
  added_tokens: z.array(z.looseObject({ id: z.number().int().nonnegative(), content: z.string(), special: z.boolean() })).default([]),
  normalizer: z.looseObject({ type: z.string() }).nullable().default(null),
  pre_tokenizer: PreTokenizer.nullable().default(null),
  model: z.looseObject({
    type: z.string(),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])).default([]),
    ignore_merges: z.boolean().default(false),
    byte_fallback: z.boolean().default(false),
    dropout: z.number().nullable().default(null),
  }),
});
export type TokenizerJson = z.infer<typeof TokenizerJson>;
