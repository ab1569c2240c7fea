/**
 * robots.txt as RFC 9309 reads it: the group whose user-agent matches our product token (else `*`),
 * the longest matching Allow/Disallow path wins, Allow on a tie; `*` and `$` in paths. Crawl-delay is
 * not in the RFC but widely honoured, so we honour it too.
 */
export interface RobotsRules {
  allowed(pathAndQuery: string): boolean;
  /** Seconds, when the matched group names one. */
  crawlDelay: number | null;
}

interface Rule {
  allow: boolean;
  pattern: RegExp;
  length: number;
}

export const ALLOW_ALL: RobotsRules = { allowed: () => true, crawlDelay: null };
export const DISALLOW_ALL: RobotsRules = { allowed: () => false, crawlDelay: null };

function toRegExp(path: string): RegExp {
  const anchored = path.endsWith('$');
  const body = (anchored ? path.slice(0, -1) : path).split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}${anchored ? '$' : ''}`);
}

export function parseRobots(text: string, productToken: string): RobotsRules {
  const token = productToken.toLowerCase();
  const groups: { agents: string[]; rules: Rule[]; delay: number | null }[] = [];
  let current: (typeof groups)[number] | null = null;
  let lastWasAgent = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'user-agent') {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [], delay: null };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (!current) continue;
    if ((key === 'allow' || key === 'disallow') && value !== '') {
      current.rules.push({ allow: key === 'allow', pattern: toRegExp(value), length: value.length });
    } else if (key === 'crawl-delay' && Number.isFinite(Number(value))) {
      current.delay = Number(value);
    }
  }
  const mine = groups.filter((g) => g.agents.some((a) => a !== '*' && token.startsWith(a)));
  const chosen = mine.length > 0 ? mine : groups.filter((g) => g.agents.includes('*'));
  const rules = chosen.flatMap((g) => g.rules);
  const delay = chosen.map((g) => g.delay).find((d) => d !== null) ?? null;
  return {
    crawlDelay: delay,
    allowed(pathAndQuery) {
      let best: Rule | null = null;
      for (const r of rules) {
        if (!r.pattern.test(pathAndQuery)) continue;
        if (!best || r.length > best.length || (r.length === best.length && r.allow)) best = r;
      }
      return best ? best.allow : true;
    },
  };
}
