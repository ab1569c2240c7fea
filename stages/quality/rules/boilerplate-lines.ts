import { z } from 'zod';
import type { QualityRule, RemovedLines, RuleOutput } from '../rule.js';
import { PY_WHITESPACE, pyStrip, splitLines } from '../text.js';

/**
 * Line-wise removal of web boilerplate in the manner of RefinedWeb's line-wise corrections
 * (Penedo et al. 2023, appendix G.2): short lines that are calls to action or site chrome
 * ("click here", "read more", "accept cookies"), social-media counters ("12 likes"), and lines of
 * numbers alone are removed (a `modify`); a page that loses more than 5% of its words is dropped.
 */
export const BoilerplateLinesConfig = z.strictObject({
  rule: z.literal('boilerplate_lines'),
  /** Lower-case phrases that mark a short line as boilerplate. */
  phrases: z.array(z.string().min(1)).default([
    'click here', 'read more', 'cookie policy', 'accept cookies', 'we use cookies', 'privacy policy', 'terms of use', 'terms and conditions',
    'all rights reserved', 'sign up for our newsletter', 'subscribe to our newsletter', 'skip to content', 'skip to main content',
    'share on facebook', 'share on twitter', 'log in', 'sign in', 'back to top',
  ]),
  /** Only lines this short are judged by phrase: a long paragraph mentioning "click here" is content. */
  max_line_words: z.number().int().positive().default(10),
  /** RefinedWeb: a page whose corrections remove more than 5% of its words is removed entirely. */
  max_removed_word_ratio: z.number().min(0).max(1).default(0.05),
});
export type BoilerplateLinesConfig = z.infer<typeof BoilerplateLinesConfig>;

const SPACES = new RegExp(`[${PY_WHITESPACE}]+`);
const COUNTER = /^[\d.,]+[km]?\s*(likes?|shares?|comments?|retweets?|views?|followers?|reactions?)$/i;
const NUMBERS_ONLY = /^[\d\s.,:;/|()+-]+$/;

export const boilerplateLines: QualityRule<BoilerplateLinesConfig> = {
  name: 'boilerplate_lines',
  config: BoilerplateLinesConfig,

  signals(doc, c): RuleOutput {
    const lines = splitLines(doc.text);
    const removed: RemovedLines = {};
    let words = 0;
    let removedWords = 0;
    const kept: string[] = [];
    for (const line of lines) {
      const stripped = pyStrip(line);
      const n = stripped === '' ? 0 : stripped.split(SPACES).length;
      words += n;
      const lower = stripped.toLowerCase();
      let why: string | null = null;
      if (COUNTER.test(stripped)) why = 'counter';
      else if (stripped !== '' && NUMBERS_ONLY.test(stripped)) why = 'numbers_only';
      else if (n <= c.max_line_words && c.phrases.some((p) => lower.includes(p))) why = 'boilerplate_phrase';
      if (why) {
        removed[why] = (removed[why] ?? 0) + 1;
        removedWords += n;
      } else {
        kept.push(line);
      }
    }
    const lines_removed = Object.values(removed).reduce((a, b) => a + b, 0);
    return {
      signals: { lines: lines.length, lines_removed, removed_word_ratio: words ? removedWords / words : 0 },
      ...(lines_removed ? { cleaned: { text: kept.join('\n'), removed } } : {}),
    };
  },

  decide(s, c) {
    return (s.removed_word_ratio ?? 0) > c.max_removed_word_ratio ? 'max_removed_word_ratio' : null;
  },
};
