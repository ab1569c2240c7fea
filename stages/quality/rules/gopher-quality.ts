import { z } from 'zod';
import type { QualityRule } from '../rule.js';
import { charLength, countOf, PUNCTUATION_SET, splitLines } from '../text.js';

/** Thresholds of Gopher's quality filter (Rae et al. 2021, "Scaling Language Models", appendix A1.1), as datatrove's GopherQualityFilter; null turns one off. */
export const GopherQualityConfig = z.strictObject({
  rule: z.literal('gopher_quality'),
  /** Gopher: 50 to 100,000 words, words being tokens with at least one non-punctuation character. */
  min_words: z.number().int().nonnegative().nullable().default(50),
  max_words: z.number().int().positive().nullable().default(100_000),
  /** Gopher: mean word length between 3 and 10 characters. */
  min_mean_word_length: z.number().nonnegative().nullable().default(3),
  max_mean_word_length: z.number().positive().nullable().default(10),
  /** Gopher: at most 0.1 "#" per word, and at most 0.1 ellipses per word. */
  max_symbol_word_ratio: z.number().nonnegative().nullable().default(0.1),
  /** Gopher: at most 90% of lines starting with a bullet ("•" or "-" in datatrove). */
  max_bullet_lines_ratio: z.number().min(0).max(1).nullable().default(0.9),
  /** Gopher: at most 30% of lines ending with an ellipsis. */
  max_ellipsis_lines_ratio: z.number().min(0).max(1).nullable().default(0.3),
  /** Gopher: at least 80% of words contain an alphabetic character. */
  min_alpha_words_ratio: z.number().min(0).max(1).nullable().default(0.8),
  /** Gopher: at least 2 of the stop words. */
  min_stop_words: z.number().int().nonnegative().nullable().default(2),
  /** Gopher's English stop words. */
  stop_words: z.array(z.string()).default(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']),
});
export type GopherQualityConfig = z.infer<typeof GopherQualityConfig>;

const LETTER = /\p{L}/u;

function isSymbol(word: string): boolean {
  for (const ch of word) if (!PUNCTUATION_SET.has(ch)) return false;
  return true;
}

const startsWithBullet = (line: string) => /^\s*[•-]/.test(line);
const endsWithEllipsis = (line: string) => /(\.\.\.|…)\s*$/.test(line);

export const gopherQuality: QualityRule<GopherQualityConfig> = {
  name: 'gopher_quality',
  config: GopherQualityConfig,

  signals(doc, config) {
    const { words, text } = doc;
    let words_kept = 0;
    let chars = 0;
    let alpha = 0;
    const stop = new Set<string>();
    const stopWords = new Set(config.stop_words);
    for (const w of words) {
      if (!isSymbol(w)) {
        words_kept++;
        chars += charLength(w);
      }
      if (LETTER.test(w)) alpha++;
      if (stopWords.has(w)) stop.add(w);
    }
    const lines = splitLines(text);
    const n = words.length;
    return {
      signals: {
        word_count: words_kept,
        // NaN when no word survives, like numpy's mean of nothing: no mean-length threshold then fires.
        mean_word_length: words_kept ? chars / words_kept : NaN,
        hash_word_ratio: n ? countOf(text, '#') / n : 0,
        ellipsis_word_ratio: n ? (countOf(text, '...') + countOf(text, '…')) / n : 0,
        bullet_lines_ratio: lines.length ? lines.filter(startsWithBullet).length / lines.length : 0,
        ellipsis_lines_ratio: lines.length ? lines.filter(endsWithEllipsis).length / lines.length : 0,
        alpha_words_ratio: n ? alpha / n : 0,
        stop_words: stop.size,
      },
    };
  },

  decide(s, c) {
    const v = (k: string) => s[k] ?? NaN;
    // The order is datatrove's, so the first failing check names the same reason.
    if (c.min_words && v('word_count') < c.min_words) return 'min_words';
    if (c.max_words && v('word_count') > c.max_words) return 'max_words';
    if (c.min_mean_word_length && v('mean_word_length') < c.min_mean_word_length) return 'min_mean_word_length';
    if (c.max_mean_word_length && v('mean_word_length') > c.max_mean_word_length) return 'max_mean_word_length';
    if (c.max_symbol_word_ratio && v('hash_word_ratio') > c.max_symbol_word_ratio) return 'max_hash_word_ratio';
    if (c.max_symbol_word_ratio && v('ellipsis_word_ratio') > c.max_symbol_word_ratio) return 'max_ellipsis_word_ratio';
    if (c.max_bullet_lines_ratio && v('bullet_lines_ratio') > c.max_bullet_lines_ratio) return 'max_bullet_lines_ratio';
    if (c.max_ellipsis_lines_ratio && v('ellipsis_lines_ratio') > c.max_ellipsis_lines_ratio) return 'max_ellipsis_lines_ratio';
    if (c.min_alpha_words_ratio && v('alpha_words_ratio') < c.min_alpha_words_ratio) return 'min_alpha_words_ratio';
    if (c.min_stop_words && v('stop_words') < c.min_stop_words) return 'min_stop_words';
    return null;
  },
};
