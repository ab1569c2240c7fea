import type { DedupConfig } from '../../schemas/stages/dedup.js';

/** What the survivor rules look at, recorded per document by the signatures phase. */
export interface SurvivorKey {
  id: string;
  /** Fetch time in ms since the epoch, null when unknown (ranks last for both fetch rules). */
  fetch: number | null;
  quality: number | null;
  /** Index of the first matching `source_rank` prefix; unmatched sources get the list's length. */
  rank: number;
}

export function survivorKey(doc: { id: string; source: { uri: string; fetch_date: string | null }; meta: Record<string, unknown> }, config: DedupConfig): SurvivorKey {
  const t = doc.source.fetch_date === null ? Number.NaN : Date.parse(doc.source.fetch_date);
  const q = doc.meta.quality_score;
  const rank = config.source_rank.findIndex((prefix) => doc.source.uri.startsWith(prefix));
  return {
    id: doc.id,
    fetch: Number.isFinite(t) ? t : null,
    quality: typeof q === 'number' && Number.isFinite(q) ? q : null,
    rank: rank < 0 ? config.source_rank.length : rank,
  };
}

/** Higher first; unknowns last. */
function desc(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return b - a;
}

/** Negative when `a` should survive over `b`. A total order: ties end on the document id. */
export function compareSurvivors(a: SurvivorKey, b: SurvivorKey, rules: DedupConfig['priority']): number {
  for (const rule of rules) {
    let c = 0;
    if (rule === 'newest_fetch') c = desc(a.fetch, b.fetch);
    else if (rule === 'oldest_fetch') c = desc(a.fetch === null ? null : -a.fetch, b.fetch === null ? null : -b.fetch);
    else if (rule === 'quality_score') c = desc(a.quality, b.quality);
    else c = a.rank - b.rank;
    if (c !== 0) return c;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
