/**
 * Language-balancing quotas. Each quota group (a language named in `shares` or `max_tokens`, or `*`
 * for the rest) gets a token budget; its pool (its documents with their `mix` copies) is repeated
 * whole `floor(budget / pool)` times and the remainder is filled with the pool's copies in the order
 * of a seeded hash of (document id, copy). The fill ends at the copy that crosses the budget: with a
 * cap before it (a cap is never passed), otherwise before or after it, whichever lands nearer. So a
 * share is met within half a document and a cap within one, and the same seed keeps the same
 * documents.
 *
 * Memory stays bounded on any corpus: pass 1 sums tokens per group into hash-order bins, pass 2
 * collects only the copies in the one bin where each remainder ends and finds the exact cut there.
 * A copy is kept when its hash is below its group's cut.
 */
import type { ShardQuotas } from '../../schemas/stages/shard.js';
import type { DocMeta } from './pack.js';
import { unit } from './order.js';

/** Hash-order bins of pass 1: the cut's bin holds about 1/4096 of a group's copies. */
const BINS = 4096;

/** What the quota decided for one group, as the manifest reports it. */
export interface QuotaGroupReport {
  lang: string;
  /** The configured share, null for a group with a cap only. */
  target_share: number | null;
  /** Tokens of the group's documents with their mix copies, before the quota. */
  available_tokens: number;
  budget_tokens: number;
  /** Whole repeats of the group before the remainder is sampled. */
  repeats: number;
}

export interface QuotaPlan {
  groups: QuotaGroupReport[];
  /** The quota group of a language, null when no quota applies to it. */
  groupOf(lang: string | null): string | null;
  /** Copies of a document after the quota, given its copies after `mix`. */
  copies(doc: DocMeta, mixCopies: number): number;
}

interface Group {
  share: number | null;
  cap: number | null;
  available: number;
  bins: Float64Array;
  budget: number;
  repeats: number;
  /** Tokens of the remainder still to place in the cut's bin, and the bin. */
  cutBin: number;
  cutRoom: number;
  /** Copies whose hash is below this are kept in the remainder. */
  cut: number;
  boundary: { h: number; tokens: number }[];
}

/** A document's tokens with its copies after mix, as both passes read them. */
export interface QuotaUnit {
  doc: DocMeta;
  tokens: number;
  mixCopies: number;
}

/**
 * Plan the quotas over every document. `units` is called once per pass and yields each document
 * with its token count and mix copies, in any order.
 */
export async function planQuotas(quotas: ShardQuotas, seed: number, units: () => AsyncIterable<QuotaUnit>): Promise<QuotaPlan> {
  const shares = quotas.shares ?? null;
  const caps = quotas.max_tokens ?? {};
  const named = new Set([...Object.keys(shares ?? {}), ...Object.keys(caps)]);
  const groupOf = (lang: string | null): string | null => {
    if (lang !== null && named.has(lang)) return lang;
    if (named.has('*')) return '*';
    // With shares, a language not named has share 0; with caps only, it is left as it is.
    return shares ? (lang ?? 'unknown') : null;
  };
  const groups = new Map<string, Group>();
  const group = (name: string): Group => {
    let g = groups.get(name);
    if (!g) {
      g = { share: shares ? (shares[name] ?? 0) : null, cap: caps[name] ?? null, available: 0, bins: new Float64Array(BINS), budget: 0, repeats: 0, cutBin: -1, cutRoom: 0, cut: 0, boundary: [] };
      groups.set(name, g);
    }
    return g;
  };
  for (const name of named) group(name);
  const hashOf = (id: string, copy: number) => unit(seed, 'quota', id, copy);

  for await (const u of units()) {
    const name = groupOf(u.doc.lang);
    if (name === null || u.mixCopies === 0) continue;
    const g = group(name);
    g.available += u.tokens * u.mixCopies;
    for (let c = 0; c < u.mixCopies; c++) {
      const b = Math.floor(hashOf(u.doc.id, c) * BINS);
      g.bins[b] = (g.bins[b] as number) + u.tokens;
    }
  }

  if (shares) {
    // The largest output in which every share holds within the repeat limit, the caps and the total.
    let total = quotas.total_tokens ?? Infinity;
    for (const [name, g] of groups) {
      if (!g.share) continue;
      if (g.available === 0) throw new Error(`quotas.shares.${name}: no document in ${name === '*' ? 'any other language' : `language ${name}`} reached the shard stage, so its share of ${g.share} cannot be met`);
      total = Math.min(total, (g.available * quotas.max_repeats) / g.share);
      if (g.cap !== null) total = Math.min(total, g.cap / g.share);
    }
    for (const g of groups.values()) g.budget = Math.floor((g.share ?? 0) * total);
  } else {
    for (const g of groups.values()) g.budget = Math.min(g.available, g.cap ?? Infinity);
  }

  for (const g of groups.values()) {
    if (g.available === 0) continue;
    g.repeats = Math.floor(g.budget / g.available);
    let room = g.budget - g.repeats * g.available;
    for (let b = 0; b < BINS && room > 0; b++) {
      const binTokens = g.bins[b] as number;
      if (binTokens > room) {
        g.cutBin = b;
        g.cutRoom = room;
        break;
      }
      room -= binTokens;
      g.cut = (b + 1) / BINS;
    }
  }

  if ([...groups.values()].some((g) => g.cutBin >= 0)) {
    for await (const u of units()) {
      const name = groupOf(u.doc.lang);
      if (name === null) continue;
      const g = groups.get(name) as Group;
      if (g.cutBin < 0) continue;
      for (let c = 0; c < u.mixCopies; c++) {
        const h = hashOf(u.doc.id, c);
        if (Math.floor(h * BINS) === g.cutBin) g.boundary.push({ h, tokens: u.tokens });
      }
    }
    for (const g of groups.values()) {
      if (g.cutBin < 0) continue;
      g.boundary.sort((a, b) => a.h - b.h);
      let room = g.cutRoom;
      g.cut = g.cutBin / BINS;
      for (const [i, c] of g.boundary.entries()) {
        if (c.tokens > room) {
          // A share ends at the copy that lands nearest its budget; a cap is never passed.
          const take = g.cap === null && c.tokens - room < room;
          g.cut = take ? (g.boundary[i + 1]?.h ?? (g.cutBin + 1) / BINS) : c.h;
          break;
        }
        room -= c.tokens;
      }
      g.boundary = [];
    }
  }

  return {
    groups: [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([lang, g]) => ({
      lang, target_share: g.share, available_tokens: g.available, budget_tokens: g.budget, repeats: g.repeats,
    })),
    groupOf,
    copies(doc, mixCopies) {
      const name = groupOf(doc.lang);
      if (name === null) return mixCopies;
      const g = groups.get(name) as Group;
      let n = g.repeats * mixCopies;
      for (let c = 0; c < mixCopies; c++) if (hashOf(doc.id, c) < g.cut) n++;
      return n;
    },
  };
}
