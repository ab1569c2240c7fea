import { z } from 'zod';
import type { QualityRule, RuleOutput } from '../rule.js';

/**
 * URL filtering in the manner of RefinedWeb (Penedo et al. 2023, section G.1) and datatrove's
 * URLFilter: a blocked domain (or any subdomain of one), a banned word among the URL's words, or
 * at least `soft_word_threshold` soft-banned words drop the page. RefinedWeb's lists (the UT1
 * blocklist, its curated words) are not shipped: the lists are given in the pipeline file.
 */
export const UrlConfig = z.strictObject({
  rule: z.literal('url'),
  blocked_domains: z.array(z.string().min(1)).default([]),
  banned_words: z.array(z.string().min(1)).default([]),
  soft_banned_words: z.array(z.string().min(1)).default([]),
  /** RefinedWeb and datatrove: two soft-banned words condemn a URL. */
  soft_word_threshold: z.number().int().positive().default(2),
});
export type UrlConfig = z.infer<typeof UrlConfig>;

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return null;
  }
}

export const urlRule: QualityRule<UrlConfig> = {
  name: 'url',
  config: UrlConfig,

  signals(doc, c): RuleOutput {
    if (!doc.url) return { signals: { has_url: 0 } };
    const host = hostOf(doc.url) ?? '';
    const blocked = new Set(c.blocked_domains.map((d) => d.toLowerCase()));
    let domainBlocked = 0;
    for (let h = host; h.includes('.'); h = h.slice(h.indexOf('.') + 1)) {
      if (blocked.has(h)) {
        domainBlocked = 1;
        break;
      }
    }
    const words = new Set(doc.url.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean));
    const hits = (list: string[]) => list.filter((w) => words.has(w.toLowerCase())).length;
    return { signals: { has_url: 1, blocked_domain: domainBlocked, banned_words: hits(c.banned_words), soft_banned_words: hits(c.soft_banned_words) } };
  },

  decide(s, c) {
    if (s.blocked_domain) return 'blocked_domain';
    if (s.banned_words) return 'banned_word';
    if ((s.soft_banned_words ?? 0) >= c.soft_word_threshold) return 'soft_word_threshold';
    return null;
  },
};
