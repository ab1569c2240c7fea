import { z } from 'zod';
import type { QualityRule, Signals } from '../rule.js';
import { dupNGramChars, topNGramChars, wordHashes } from '../ngrams.js';
import { charLength, duplicates, pyStrip } from '../text.js';

const NGramThreshold = z.tuple([z.number().int().min(1), z.number().min(0).max(1)]);

/** Thresholds of Gopher's repetition filter (Rae et al. 2021, table A1), as datatrove's GopherRepetitionFilter; null turns one off. */
export const GopherRepetitionConfig = z.strictObject({
  rule: z.literal('gopher_repetition'),
  /** Table A1: duplicate line fraction 0.30, duplicate paragraph fraction 0.30. */
  max_dup_line_ratio: z.number().min(0).max(1).nullable().default(0.3),
  max_dup_para_ratio: z.number().min(0).max(1).nullable().default(0.3),
  /** Table A1: characters in duplicate lines 0.20, in duplicate paragraphs 0.20. */
  max_dup_line_char_ratio: z.number().min(0).max(1).nullable().default(0.2),
  max_dup_para_char_ratio: z.number().min(0).max(1).nullable().default(0.2),
  /** Table A1: characters in the most frequent 2-, 3-, 4-gram at most 0.20, 0.18, 0.16. */
  top_ngrams: z.array(NGramThreshold).default([[2, 0.2], [3, 0.18], [4, 0.16]]),
  /** Table A1: characters in duplicated 5- to 10-grams at most 0.15 down to 0.10. */
  dup_ngrams: z.array(NGramThreshold).default([[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]]),
});
export type GopherRepetitionConfig = z.infer<typeof GopherRepetitionConfig>;

export const gopherRepetition: QualityRule<GopherRepetitionConfig> = {
  name: 'gopher_repetition',
  config: GopherRepetitionConfig,

  signals(doc, config) {
    const { text } = doc;
    const length = charLength(text);
    if (length === 0) return { signals: { length: 0 } };
    const paragraphs = pyStrip(text).split(/\n{2,}/);
    const para = duplicates(paragraphs);
    const lines = text.split(/\n+/);
    const line = duplicates(lines);
    const signals: Signals = {
      length,
      dup_para_ratio: para.count / paragraphs.length,
      dup_para_char_ratio: para.chars / length,
      dup_line_ratio: line.count / lines.length,
      dup_line_char_ratio: line.chars / length,
    };
    const words = wordHashes(doc.words);
    for (const [n] of config.top_ngrams) {
      const chars = topNGramChars(words, n);
      if (chars !== null) signals[`top_${n}gram_char_ratio`] = chars / length;
    }
    for (const [n] of config.dup_ngrams) signals[`dup_${n}gram_char_ratio`] = dupNGramChars(words, n) / length;
    return { signals };
  },

  decide(s, c) {
    if (!s.length) return 'empty';
    const over = (key: string, max: number | null) => max !== null && max > 0 && (s[key] ?? 0) > max;
    // datatrove's order: paragraphs, then lines, then n-grams.
    if (over('dup_para_ratio', c.max_dup_para_ratio)) return 'max_dup_para_ratio';
    if (over('dup_para_char_ratio', c.max_dup_para_char_ratio)) return 'max_dup_para_char_ratio';
    if (over('dup_line_ratio', c.max_dup_line_ratio)) return 'max_dup_line_ratio';
    if (over('dup_line_char_ratio', c.max_dup_line_char_ratio)) return 'max_dup_line_char_ratio';
    for (const [n, max] of c.top_ngrams) if (over(`top_${n}gram_char_ratio`, max)) return `top_${n}gram_char_ratio`;
    for (const [n, max] of c.dup_ngrams) if (over(`dup_${n}gram_char_ratio`, max)) return `dup_${n}gram_char_ratio`;
    return null;
  },
};
