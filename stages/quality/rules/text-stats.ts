import { z } from 'zod';
import type { QualityRule } from '../rule.js';
import { charLength } from '../text.js';

/**
 * Length and character-ratio rules. No single published pipeline fixes these, so every bound is
 * off (null) until the pipeline file sets it; common settings are listed in docs/quality.md.
 */
export const TextStatsConfig = z.strictObject({
  rule: z.literal('text_stats'),
  min_chars: z.number().int().nonnegative().nullable().default(null),
  max_chars: z.number().int().positive().nullable().default(null),
  min_words: z.number().int().nonnegative().nullable().default(null),
  max_words: z.number().int().positive().nullable().default(null),
  /** Share of characters that are digits. */
  max_digit_ratio: z.number().min(0).max(1).nullable().default(null),
  /** Share of letters that are upper case. */
  max_uppercase_ratio: z.number().min(0).max(1).nullable().default(null),
  /** Share of non-space characters that are neither letters nor digits. */
  max_symbol_ratio: z.number().min(0).max(1).nullable().default(null),
});
export type TextStatsConfig = z.infer<typeof TextStatsConfig>;

const DIGIT = /\p{Nd}/u;
const LETTER = /\p{L}/u;
const UPPER = /\p{Lu}/u;
const SPACE = /\s/u;

export const textStats: QualityRule<TextStatsConfig> = {
  name: 'text_stats',
  config: TextStatsConfig,

  signals(doc) {
    let digits = 0;
    let letters = 0;
    let upper = 0;
    let symbols = 0;
    let visible = 0;
    for (const ch of doc.text) {
      if (SPACE.test(ch)) continue;
      visible++;
      if (DIGIT.test(ch)) digits++;
      else if (LETTER.test(ch)) {
        letters++;
        if (UPPER.test(ch)) upper++;
      } else symbols++;
    }
    const chars = charLength(doc.text);
    return {
      signals: {
        chars,
        words: doc.words.length,
        digit_ratio: chars ? digits / chars : 0,
        uppercase_ratio: letters ? upper / letters : 0,
        symbol_ratio: visible ? symbols / visible : 0,
      },
    };
  },

  decide(s, c) {
    const v = (k: string) => s[k] ?? 0;
    if (c.min_chars !== null && v('chars') < c.min_chars) return 'min_chars';
    if (c.max_chars !== null && v('chars') > c.max_chars) return 'max_chars';
    if (c.min_words !== null && v('words') < c.min_words) return 'min_words';
    if (c.max_words !== null && v('words') > c.max_words) return 'max_words';
    if (c.max_digit_ratio !== null && v('digit_ratio') > c.max_digit_ratio) return 'max_digit_ratio';
    if (c.max_uppercase_ratio !== null && v('uppercase_ratio') > c.max_uppercase_ratio) return 'max_uppercase_ratio';
    if (c.max_symbol_ratio !== null && v('symbol_ratio') > c.max_symbol_ratio) return 'max_symbol_ratio';
    return null;
  },
};
