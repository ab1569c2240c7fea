import { createRequire } from 'node:module';
import { z } from 'zod';
import type { QualityRule, RuleOutput } from '../rule.js';

/**
 * C4's bad-words filter (Raffel et al. 2020: pages with any word of the "List of Dirty, Naughty,
 * Obscene or Otherwise Bad Words" are removed; mC4 per language), with LDNOOBW's lists from the
 * `naughty-words` package, as datatrove's C4BadWordsFilter: whole-word matches on lower-cased text,
 * substring matches for ja, th and zh.
 */
export const BadWordsConfig = z.strictObject({
  rule: z.literal('bad_words'),
  /** C4 removes a page with a single bad word. */
  max_bad_words: z.number().int().nonnegative().default(0),
});
export type BadWordsConfig = z.infer<typeof BadWordsConfig>;

/** LDNOOBW languages (the package's file names). */
const LISTS = new Set(['ar', 'cs', 'da', 'de', 'en', 'eo', 'es', 'fa', 'fi', 'fil', 'fr', 'hi', 'hu', 'it', 'ja', 'kab', 'ko', 'nl', 'no', 'pl', 'pt', 'ru', 'sv', 'th', 'tlh', 'tr', 'zh']);
/** mC4's allow-list: common subwords in languages without spaces that each hit over 10% of pages (removed from every list, as datatrove does). */
const ALLOWED = new Set(['sm', 'グロ', '女の子', '性']);
const UNSPACED = new Set(['ja', 'th', 'zh']);

const require = createRequire(import.meta.url);
const patterns = new Map<string, RegExp | null>();

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The matcher for a language, or null when LDNOOBW has no list for it. */
function badWords(lang: string): RegExp | null {
  let re = patterns.get(lang);
  if (re !== undefined) return re;
  re = null;
  if (LISTS.has(lang)) {
    const words = (require(`naughty-words/${lang}.json`) as string[]).map((w) => w.trim()).filter((w) => w && !ALLOWED.has(w));
    const alternation = words.map(escape).join('|');
    // Python's \W: anything but a letter, digit or underscore.
    re = UNSPACED.has(lang) ? new RegExp(alternation, 'gu') : new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternation})(?![\\p{L}\\p{N}_])`, 'gu');
  }
  patterns.set(lang, re);
  return re;
}

export const badWordsRule: QualityRule<BadWordsConfig> = {
  name: 'bad_words',
  config: BadWordsConfig,

  signals(doc): RuleOutput {
    const re = badWords(doc.lang);
    if (!re) return { signals: { has_list: 0 } };
    let count = 0;
    for (const _ of doc.text.toLowerCase().matchAll(re)) count++;
    return { signals: { has_list: 1, bad_words: count } };
  },

  decide(s, c) {
    return (s.bad_words ?? 0) > c.max_bad_words ? 'max_bad_words' : null;
  },
};
