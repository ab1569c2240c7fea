import type { Document } from '../../schemas/document.js';
import { DecontamConfig } from '../../schemas/stages/decontam.js';
import { documentRow, readDocuments, REJECTED_COLUMNS, writeDocuments } from '../../src/parts/documents.js';
import { writeParquet, type Row } from '../../src/parts/parquet.js';
import { partUri, rejectedUri } from '../../src/run/paths.js';
import type { GlobalStage, PhaseContext, PhaseOutput } from '../../src/stage.js';
import { loadIndex, overlaps } from './ngrams.js';

/**
 * Benchmark decontamination: a document sharing at least `min_ngrams` distinct word n-grams with a
 * benchmark is dropped (reason `contaminated:<benchmark>`) or flagged (`meta.contamination`). A
 * global stage of one per-part phase because it reads the benchmark files relative to the pipeline
 * file (the plan's base dir); each task loads the n-grams of every benchmark (small: tens of MB for
 * a few hundred thousand items).
 */
async function match(ctx: PhaseContext<DecontamConfig>): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'part') throw new Error('match runs per part');
  const { config } = ctx;
  const index = await loadIndex(config, ctx.plan.base_dir, ctx.storage);
  const docs = await readDocuments(ctx.storage(ctx.spec.part), ctx.spec.part);
  const kept: Document[] = [];
  const rejected: Row[] = [];
  const dropped: Record<string, number> = {};
  let flagged = 0;
  for (const doc of docs) {
    const counts = overlaps(doc.text, config.ngram, index, config.benchmarks.length);
    // The benchmark with the most shared n-grams names the reason; config order breaks ties.
    let best = -1;
    counts.forEach((c, b) => {
      if (c >= config.min_ngrams && (best < 0 || c > (counts[best] as number))) best = b;
    });
    if (best < 0) {
      ctx.event(doc.id, 'keep', null, {});
      kept.push(doc);
      continue;
    }
    const matches = Object.fromEntries(config.benchmarks.flatMap((b, i) => ((counts[i] as number) > 0 ? [[b.name, counts[i] as number]] : [])));
    const benchmark = config.benchmarks[best]?.name as string;
    const detail = { benchmark, matching_ngrams: counts[best] as number, ngram: config.ngram, benchmarks: matches };
    if (config.action === 'flag') {
      flagged++;
      ctx.event(doc.id, 'keep', null, { contamination: detail });
      kept.push({ ...doc, meta: { ...doc.meta, contamination: detail } });
      continue;
    }
    const reason = `contaminated:${benchmark}`;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    ctx.event(doc.id, 'drop', reason, detail);
    rejected.push({ ...documentRow(doc), stage: 'decontam', reason, detail: JSON.stringify(detail) });
  }
  const dir = ctx.stageDir;
  const out = await writeDocuments(ctx.storage(dir), partUri(dir, ctx.taskIndex), kept);
  const rej = await writeParquet(ctx.storage(dir), rejectedUri(dir, ctx.taskIndex), REJECTED_COLUMNS, rejected);
  ctx.stats.benchmark_items = index.items;
  ctx.stats.benchmark_items_too_short = index.tooShort;
  ctx.stats.benchmark_ngrams = index.owners.size;
  ctx.stats.flagged = flagged;
  return { docs_in: docs.length, docs_out: kept.length, outputs: [out], dropped, rejected: [rej] };
}

export const decontam: GlobalStage<DecontamConfig> = {
  kind: 'global',
  name: 'decontam',
  version: 1,
  config: DecontamConfig,
  phases: [{ name: 'match', kind: 'per-part', run: match }],
};
