import { z } from 'zod';
import type { QualityRule, RuleOutput } from '../rule.js';
import { charLength, duplicates, pyStrip, TERMINAL_PUNCTUATION } from '../text.js';

/** FineWeb's own filters (Penedo et al. 2024, section 3.5), as datatrove's FineWebQualityFilter with its defaults. */
export const FineWebConfig = z.strictObject({
  rule: z.literal('fineweb'),
  /** FineWeb: at least 12% of lines end in terminal punctuation. */
  min_line_punct_ratio: z.number().min(0).max(1).default(0.12),
  /** Do not apply the punctuation rule to pages where no line ends in punctuation. */
  line_punct_exclude_zero: z.boolean().default(false),
  /** Characters that count as ending a line; default: Unicode sentence terminals. */
  stop_chars: z.array(z.string().min(1)).nullable().default(null),
  /** FineWeb: at most 67% of lines of 30 characters or fewer. */
  max_short_line_ratio: z.number().min(0).max(1).default(0.67),
  short_line_length: z.number().int().positive().default(30),
  /** FineWeb: at most 1% of characters in duplicated lines. */
  max_dup_line_char_ratio: z.number().min(0).max(1).default(0.01),
  /** FineWeb: at most 0.3 newlines per word (lists). */
  max_newline_word_ratio: z.number().nonnegative().default(0.3),
});
export type FineWebConfig = z.infer<typeof FineWebConfig>;

function lastCodePoint(s: string): string {
  const c = s.codePointAt(s.length - 1);
  if (c !== undefined && c >= 0xdc00 && c <= 0xdfff && s.length >= 2) return String.fromCodePoint(s.codePointAt(s.length - 2) ?? c);
  return s.slice(-1);
}

export const fineweb: QualityRule<FineWebConfig> = {
  name: 'fineweb',
  config: FineWebConfig,

  signals(doc, c): RuleOutput {
    const lines = doc.text.split('\n').filter((l) => pyStrip(l) !== '');
    if (lines.length === 0) return { signals: { lines: 0 } };
    const stops = c.stop_chars ?? TERMINAL_PUNCTUATION;
    const single = new Set(stops.filter((s) => charLength(s) === 1));
    const longer = stops.filter((s) => charLength(s) > 1);
    const endsInPunct = (l: string) => single.has(lastCodePoint(l)) || longer.some((s) => l.endsWith(s));
    const words = doc.words.length;
    return {
      signals: {
        lines: lines.length,
        line_punct_ratio: lines.filter(endsInPunct).length / lines.length,
        short_line_ratio: lines.filter((l) => charLength(l) <= c.short_line_length).length / lines.length,
        dup_line_char_ratio: duplicates(lines).chars / charLength(doc.text.replaceAll('\n', '')),
        newline_word_ratio: words ? (doc.text.split('\n').length - 1) / words : Infinity,
      },
    };
  },

  decide(s, c) {
    if (!s.lines) return 'empty';
    const punct = s.line_punct_ratio ?? 0;
    if (punct < c.min_line_punct_ratio && !(punct === 0 && c.line_punct_exclude_zero)) return 'min_line_punct_ratio';
    if ((s.short_line_ratio ?? 0) > c.max_short_line_ratio) return 'max_short_line_ratio';
    if ((s.dup_line_char_ratio ?? 0) > c.max_dup_line_char_ratio) return 'max_dup_line_char_ratio';
    if ((s.newline_word_ratio ?? 0) > c.max_newline_word_ratio) return 'max_newline_word_ratio';
    return null;
  },
};
