import type { Document } from '../../schemas/document.js';
import { ParagraphDedupConfig } from '../../schemas/stages/paragraph_dedup.js';
import { documentRow, readDocuments, REJECTED_COLUMNS, writeDocuments } from '../../src/parts/documents.js';
import { writeParquet, type Row } from '../../src/parts/parquet.js';
import { partUri, rejectedUri } from '../../src/run/paths.js';
import type { GlobalStage, PhaseContext, PhaseOutput } from '../../src/stage.js';
import { joinUri } from '../../src/storage/index.js';
import { pad, readJsonAt, readTyped, writeBytes, writeJson } from '../dedup/io.js';
import { hashedLines } from './lines.js';

/**
 * CCNet-style line dedup across the corpus, in four phases:
 *   hashes (per part)      the 64-bit hash of every counted line, in corpus order
 *   count (partitioned)    task i takes the hashes with lo mod count = i from every part, sorts them
 *                          and marks every occurrence after the first (first in corpus order: part,
 *                          document, line) for removal
 *   removals (reduce)      gathers the marked (part, line) positions per part: 8 bytes per duplicate line
 *   filter (per part)      removes the marked lines; a document left without text is dropped
 * The first occurrence is defined by corpus order, which ingest keeps whatever the task sizes, so
 * the same input keeps the same lines whatever the number of parts or count tasks.
 */

type Ctx = PhaseContext<ParagraphDedupConfig>;
const REASON = 'duplicate_paragraphs';

async function hashes(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'part') throw new Error('hashes runs per part');
  const docs = await readDocuments(ctx.storage(ctx.spec.part), ctx.spec.part);
  const out: number[] = [];
  for (const doc of docs) for (const l of hashedLines(doc.text)) if (l.counted) out.push(l.hi, l.lo);
  const base = joinUri(ctx.stageDir, 'hashes', `part-${pad(ctx.taskIndex)}`);
  await writeJson(ctx.storage, `${base}.json`, { part: ctx.spec.part }, docs.length);
  const info = await writeBytes(ctx.storage, `${base}.lh`, new Uint8Array(Uint32Array.from(out).buffer), out.length / 2);
  ctx.stats.lines = out.length / 2;
  return { docs_in: docs.length, docs_out: docs.length, outputs: [info] };
}

async function count(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'partition') throw new Error('count runs as partitions');
  const { index, count: tasks, parts } = ctx.spec;
  const hi: number[] = [];
  const lo: number[] = [];
  const part: number[] = [];
  const line: number[] = [];
  for (const [p, uri] of parts.entries()) {
    const h = await readTyped(ctx.storage, uri, Uint32Array);
    for (let j = 0; j < h.length; j += 2) {
      if ((h[j + 1] as number) % tasks !== index) continue;
      hi.push(h[j] as number);
      lo.push(h[j + 1] as number);
      part.push(p);
      line.push(j / 2);
    }
  }
  // Positions were pushed in corpus order, so the tie on the index keeps the first occurrence first.
  const order = Uint32Array.from({ length: hi.length }, (_, i) => i);
  order.sort((a, b) => (hi[a] as number) - (hi[b] as number) || (lo[a] as number) - (lo[b] as number) || a - b);
  const remove: [number, number][] = [];
  let repeated = 0;
  for (let i = 0; i < order.length; ) {
    const first = order[i] as number;
    let j = i + 1;
    for (; j < order.length && hi[order[j] as number] === hi[first] && lo[order[j] as number] === lo[first]; j++) {
      remove.push([part[order[j] as number] as number, line[order[j] as number] as number]);
    }
    if (j > i + 1) repeated++;
    i = j;
  }
  remove.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const base = joinUri(ctx.stageDir, 'count', `part-${pad(index)}`);
  await writeJson(ctx.storage, `${base}.json`, { hashes: parts }, parts.length);
  const info = await writeBytes(ctx.storage, `${base}.rm`, new Uint8Array(Uint32Array.from(remove.flat()).buffer), remove.length);
  ctx.stats.lines = hi.length;
  ctx.stats.repeated_lines = repeated;
  ctx.stats.duplicate_lines = remove.length;
  return { docs_in: hi.length, docs_out: hi.length - remove.length, outputs: [info] };
}

async function removals(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'reduce') throw new Error('removals is a reduce');
  const first = ctx.spec.parts[0];
  if (!first) throw new Error('removals needs the count phase output');
  const { hashes: hashParts } = await readJsonAt<{ hashes: string[] }>(ctx.storage, first.replace(/\.rm$/, '.json'));
  const perPart: number[][] = hashParts.map(() => []);
  for (const uri of ctx.spec.parts) {
    const rm = await readTyped(ctx.storage, uri, Uint32Array);
    for (let i = 0; i < rm.length; i += 2) perPart[rm[i] as number]?.push(rm[i + 1] as number);
  }
  const outputs = [];
  let total = 0;
  for (const [p, uri] of hashParts.entries()) {
    const { part } = await readJsonAt<{ part: string }>(ctx.storage, uri.replace(/\.lh$/, '.json'));
    const lines = (perPart[p] as number[]).sort((a, b) => a - b);
    total += lines.length;
    outputs.push(await writeJson(ctx.storage, joinUri(ctx.stageDir, 'removals', `part-${pad(p)}.json`), { part, lines }, lines.length));
  }
  return { docs_in: total, docs_out: total, outputs };
}

async function filter(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'part') throw new Error('filter runs per part');
  const { part, lines } = await readJsonAt<{ part: string; lines: number[] }>(ctx.storage, ctx.spec.part);
  const remove = new Set(lines);
  const docs = await readDocuments(ctx.storage(part), part);
  const kept: Document[] = [];
  const rejected: Row[] = [];
  let at = 0;
  let modified = 0;
  let bytesRemoved = 0;
  for (const doc of docs) {
    const out: string[] = [];
    let removed = 0;
    for (const l of hashedLines(doc.text)) {
      if (l.counted && remove.has(at++)) removed++;
      else out.push(l.line);
    }
    if (removed === 0) {
      ctx.event(doc.id, 'keep', null, {});
      kept.push(doc);
      continue;
    }
    // Blank lines that framed a removed line would pile up; paragraphs stay one blank line apart.
    const text = out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
    const bytes = Buffer.byteLength(doc.text) - Buffer.byteLength(text);
    bytesRemoved += bytes;
    const detail = { paragraphs_removed: removed, bytes_removed: bytes };
    if (text === '') {
      ctx.event(doc.id, 'drop', REASON, detail);
      rejected.push({ ...documentRow(doc), stage: 'paragraph_dedup', reason: REASON, detail: JSON.stringify(detail) });
      continue;
    }
    modified++;
    ctx.event(doc.id, 'modify', null, detail);
    kept.push({ ...doc, text });
  }
  const dir = ctx.stageDir;
  const outPart = await writeDocuments(ctx.storage(dir), partUri(dir, ctx.taskIndex), kept);
  const rej = await writeParquet(ctx.storage(dir), rejectedUri(dir, ctx.taskIndex), REJECTED_COLUMNS, rejected);
  ctx.stats.lines_removed = lines.length;
  ctx.stats.bytes_removed = bytesRemoved;
  return {
    docs_in: docs.length, docs_out: kept.length, modified, outputs: [outPart],
    dropped: rejected.length ? { [REASON]: rejected.length } : {}, rejected: [rej],
  };
}

export const paragraphDedup: GlobalStage<ParagraphDedupConfig> = {
  kind: 'global',
  name: 'paragraph_dedup',
  version: 1,
  config: ParagraphDedupConfig,
  phases: [
    { name: 'hashes', kind: 'per-part', run: hashes },
    { name: 'count', kind: 'partitioned', partitions: (c) => c.count_tasks, run: count },
    { name: 'removals', kind: 'reduce', run: removals },
    { name: 'filter', kind: 'per-part', run: filter },
  ],
};
