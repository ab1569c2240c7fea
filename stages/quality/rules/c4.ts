import { z } from 'zod';
import type { QualityRule, RemovedLines } from '../rule.js';
import { charLength, PY_WHITESPACE, pyStrip, splitLines } from '../text.js';
import { countSentences } from '../words.js';

/**
 * C4's cleaning (Raffel et al. 2020, section 2.2, and the reference implementation in TensorFlow
 * Datasets' c4_utils.py), as datatrove's C4QualityFilter with its defaults. Lines are removed
 * (a `modify`); lorem ipsum, a curly bracket or too few sentences drop the page.
 */
export const C4Config = z.strictObject({
  rule: z.literal('c4'),
  /** Wikipedia-style citation marks ([1], [edit], [citation needed]) are cut from lines first. */
  remove_citations: z.boolean().default(true),
  /** C4: keep only lines ending in terminal punctuation (. ? ! " '), not an ellipsis. */
  filter_no_terminal_punct: z.boolean().default(true),
  /** C4: keep only lines with at least 3 words. */
  min_words_per_line: z.number().int().nonnegative().default(3),
  /** c4_utils: drop lines holding a word over 1000 characters. */
  max_word_length: z.number().int().positive().nullable().default(1000),
  /** C4: drop pages with fewer than 5 sentences (counted on the kept lines). */
  min_sentences: z.number().int().nonnegative().nullable().default(5),
  /** C4: drop pages containing "lorem ipsum". */
  filter_lorem_ipsum: z.boolean().default(true),
  /** C4: remove lines mentioning "javascript". */
  filter_javascript: z.boolean().default(true),
  /** C4: drop pages containing a curly bracket (code). */
  filter_curly_bracket: z.boolean().default(true),
  /** c4_utils: remove lines about terms of use, privacy or cookie policies. */
  filter_policy: z.boolean().default(true),
});
export type C4Config = z.infer<typeof C4Config>;

const CITATION = /\[\d*]|\[edit]|\[citation needed]/g;
const END_PUNCTUATION = ['.', '?', '!', '"', "'"];
const POLICY_SUBSTRINGS = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];
const SPACES = new RegExp(`[${PY_WHITESPACE}]+`);

export const c4: QualityRule<C4Config> = {
  name: 'c4',
  config: C4Config,

  signals(doc, c) {
    const lines = splitLines(doc.text);
    const removed: RemovedLines = {};
    const remove = (why: string) => {
      removed[why] = (removed[why] ?? 0) + 1;
    };
    const kept: string[] = [];
    let sentences = 0;
    let loremLine = -1;
    let curlyLine = -1;
    lines.forEach((raw, i) => {
      let line = pyStrip(raw);
      const words = line.split(SPACES).filter((w) => w !== '');
      if (c.max_word_length !== null && words.some((w) => charLength(w) > (c.max_word_length ?? Infinity))) return remove('too_long_word');
      if (c.remove_citations) line = line.replace(CITATION, '');
      if (c.filter_no_terminal_punct && (!END_PUNCTUATION.some((p) => line.endsWith(p)) || line.endsWith('...'))) return remove('no_terminal_punct');
      if (words.length < c.min_words_per_line) return remove('too_few_words');
      const lower = line.toLowerCase();
      if (c.filter_lorem_ipsum && loremLine < 0 && lower.includes('lorem ipsum')) loremLine = i;
      if (c.filter_javascript && lower.includes('javascript')) return remove('javascript');
      if (c.filter_curly_bracket && curlyLine < 0 && line.includes('{')) curlyLine = i;
      if (c.filter_policy && POLICY_SUBSTRINGS.some((p) => lower.includes(p))) return remove('policy');
      if (c.min_sentences !== null) sentences += countSentences(line);
      kept.push(line);
    });
    const text = pyStrip(kept.join('\n'));
    const removedLines = Object.values(removed).reduce((a, b) => a + b, 0);
    return {
      signals: { lines: lines.length, lines_removed: removedLines, sentences, lorem_ipsum_line: loremLine, curly_bracket_line: curlyLine },
      ...(text !== doc.text ? { cleaned: { text, removed } } : {}),
    };
  },

  decide(s, c) {
    const lorem = s.lorem_ipsum_line ?? -1;
    const curly = s.curly_bracket_line ?? -1;
    // datatrove stops at the first line that condemns the page; on one line, lorem ipsum is checked first.
    if (lorem >= 0 && (curly < 0 || lorem <= curly)) return 'lorem_ipsum';
    if (curly >= 0) return 'curly_bracket';
    if (c.min_sentences !== null && (s.sentences ?? 0) < c.min_sentences) return 'min_sentences';
    return null;
  },
};
