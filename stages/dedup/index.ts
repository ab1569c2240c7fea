import { createHash } from 'node:crypto';
import type { Document } from '../../schemas/document.js';
import { DedupConfig } from '../../schemas/stages/dedup.js';
import { sha256Hex } from '../../src/hash.js';
import { documentRow, readDocuments, REJECTED_COLUMNS, writeDocuments } from '../../src/parts/documents.js';
import { writeParquet, type Row } from '../../src/parts/parquet.js';
import { partUri, rejectedUri } from '../../src/run/paths.js';
import type { GlobalStage, PhaseContext, PhaseOutput } from '../../src/stage.js';
import { joinUri } from '../../src/storage/index.js';
import { bandKey, estimatedJaccard, minhashSignature, permutations, shingleHashes } from './minhash.js';
import { compareSurvivors, survivorKey, type SurvivorKey } from './survivor.js';
import { BucketSorter } from './externalSort.js';
import { SparseUnionFind } from './unionFind.js';
import { pad, readJsonAt, readTyped, writeBytes, writeJson } from './io.js';

/**
 * Four phases:
 *   signatures (per part)  bucket keys per document: exact text/url hashes and one key per LSH band
 *   buckets (partitioned)  each task sorts its share of the key columns out of core, emits candidate
 *                          pairs, checks them (optional) and clusters them into a local forest
 *   clusters (reduce)      merges the forests (at most one edge per duplicate per bucket task), one
 *                          deterministic survivor per cluster
 *   filter (per part)      drops the non-survivors with their survivor's id, annotates the rest
 * Files per signatures part: `.keys` (float64 [doc][1 + columns]: a 52-bit id hash, then the keys),
 * `.sig` (uint32 [doc][permutations]) and `.json` (the document part, ids and survivor keys).
 */

type Column = 'text' | 'url' | 'band';
type Method = 'exact' | 'url' | 'minhash';

const REASON: Record<Method, string> = { exact: 'exact_duplicate', url: 'url_duplicate', minhash: 'near_duplicate' };

export function keyColumns(config: DedupConfig): Column[] {
  const cols: Column[] = [];
  if (config.exact.text) cols.push('text');
  if (config.exact.url) cols.push('url');
  for (let b = 0; b < (config.minhash?.bands ?? 0); b++) cols.push('band');
  return cols;
}

/** 52 bits of SHA-256 as an exact double. */
const hash52 = (s: string): number => Number.parseInt(createHash('sha256').update(s).digest('hex').slice(0, 13), 16);

/** The exact-dedup form of a text: NFC, trimmed, runs of whitespace as one space. */
export const exactText = (text: string): string => text.normalize('NFC').trim().replace(/\s+/g, ' ');

interface SignatureIndex {
  part: string;
  keys: SurvivorKey[];
}

interface ClusterMember {
  row: number;
  cluster_id: string;
  size: number;
  survivor: string;
  kept: boolean;
  method: Method;
  similarity: number | null;
}

type Ctx = PhaseContext<DedupConfig>;
const readJson = <T>(ctx: Ctx, uri: string) => readJsonAt<T>(ctx.storage, uri);

async function signatures(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'part') throw new Error('signatures runs per part');
  const { config } = ctx;
  const cols = keyColumns(config);
  const width = 1 + cols.length;
  const docs = await readDocuments(ctx.storage(ctx.spec.part), ctx.spec.part);
  const mh = config.minhash;
  const perms = mh ? mh.bands * mh.rows : 0;
  const perm = permutations(perms, mh?.seed ?? 0);
  const keys = new Float64Array(docs.length * width);
  const sigs = new Uint32Array(docs.length * perms);
  docs.forEach((doc, d) => {
    const row = keys.subarray(d * width, (d + 1) * width);
    row[0] = Number.parseInt(doc.id.slice(0, 13), 16);
    let c = 1;
    if (config.exact.text) row[c++] = hash52(exactText(doc.text));
    if (config.exact.url) row[c++] = doc.url === null ? Number.NaN : hash52(doc.url);
    if (mh) {
      const sig = sigs.subarray(d * perms, (d + 1) * perms);
      minhashSignature(doc.text, mh, perm, sig);
      for (let b = 0; b < mh.bands; b++) row[c++] = bandKey(sig, b, mh.rows);
    }
  });
  const base = joinUri(ctx.stageDir, 'signatures', `part-${pad(ctx.taskIndex)}`);
  const keysOut = await writeBytes(ctx.storage, `${base}.keys`, new Uint8Array(keys.buffer), docs.length);
  await writeBytes(ctx.storage, `${base}.sig`, new Uint8Array(sigs.buffer), docs.length);
  const index: SignatureIndex = { part: ctx.spec.part, keys: docs.map((d) => survivorKey(d, config)) };
  await writeJson(ctx.storage, `${base}.json`, index, docs.length);
  return { docs_in: docs.length, docs_out: docs.length, outputs: [keysOut] };
}

/** What the false-positive check knows of a document in a candidate pair. */
interface PairDoc {
  text: number;
  url: number;
  sig: Uint32Array | null;
  shingles: Float64Array | null;
}

/** Sorted distinct 53-bit shingle keys of a text, for the exact Jaccard of two documents. */
function shingleSet(text: string, mh: NonNullable<DedupConfig['minhash']>): Float64Array {
  const { lo, hi } = shingleHashes(text, mh.unit, mh.ngram);
  const keys = new Float64Array(lo.length);
  for (let i = 0; i < lo.length; i++) keys[i] = ((hi[i] as number) >>> 11) * 4294967296 + (lo[i] as number);
  keys.sort();
  let n = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[n - 1]) keys[n++] = keys[i] as number;
  return keys.slice(0, n);
}

function setJaccard(x: Float64Array, y: Float64Array): number {
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      inter++;
      i++;
      j++;
    } else if ((x[i] as number) < (y[j] as number)) i++;
    else j++;
  }
  return inter / (x.length + y.length - inter);
}

/** Read what the check needs of the documents `wanted` (global indexes), part by part. */
async function pairDocs(ctx: Ctx, parts: string[], offsets: number[], wanted: Set<number>): Promise<Map<number, PairDoc>> {
  const { config } = ctx;
  const mh = config.minhash;
  const width = 1 + keyColumns(config).length;
  const perms = mh ? mh.bands * mh.rows : 0;
  const out = new Map<number, PairDoc>();
  for (const [p, uri] of parts.entries()) {
    const from = offsets[p] as number;
    const to = offsets[p + 1] as number;
    const rows = [...wanted].filter((d) => d >= from && d < to);
    if (rows.length === 0) continue;
    const base = uri.replace(/\.keys$/, '');
    const keys = await readTyped(ctx.storage, uri, Float64Array);
    const sigs = perms ? await readTyped(ctx.storage, `${base}.sig`, Uint32Array) : null;
    const docPart = mh?.similarity === 'shingles' ? (await readJson<SignatureIndex>(ctx, `${base}.json`)).part : null;
    const docs = docPart ? await readDocuments(ctx.storage(docPart), docPart) : null;
    for (const d of rows) {
      const r = d - from;
      out.set(d, {
        text: config.exact.text ? (keys[r * width + 1] as number) : Number.NaN,
        url: config.exact.url ? (keys[r * width + 1 + (config.exact.text ? 1 : 0)] as number) : Number.NaN,
        sig: sigs ? sigs.slice(r * perms, (r + 1) * perms) : null,
        shingles: docs && mh ? shingleSet((docs[r] as Document).text, mh) : null,
      });
    }
  }
  return out;
}

/**
 * Bucket task: every owned key column of every document goes through an external sort (bounded
 * memory, runs spilled to local disk), each bucket's first document (by id hash) pairs with each
 * other one, the false-positive check drops pairs below `min_similarity`, and the accepted pairs
 * are clustered here, by a union-find local to the task: it writes its forest (member, root), at
 * most one edge per document in a pair, for the clusters phase to merge.
 */
async function buckets(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'partition') throw new Error('buckets runs as partitions');
  const { config } = ctx;
  const { index, count, parts } = ctx.spec;
  const width = 1 + keyColumns(config).length;
  const own = Array.from({ length: width - 1 }, (_, c) => c).filter((c) => c % count === index);
  const sorter = new BucketSorter(config.bucket_sort_records);
  const offsets = [0];
  for (const part of parts) {
    const f = await readTyped(ctx.storage, part, Float64Array);
    const at = offsets.at(-1) as number;
    for (let r = 0, d = at; r < f.length; r += width, d++) {
      for (const c of own) {
        const key = f[r + 1 + c] as number;
        // A missing URL has no key: it is nobody's duplicate.
        if (!Number.isNaN(key)) sorter.push(c, key, f[r] as number, d);
      }
    }
    offsets.push(at + f.length / width);
  }
  const total = offsets.at(-1) as number;
  const runs = sorter.runs;
  const pairs: number[] = [];
  let col = Number.NaN;
  let bucket = Number.NaN;
  let first = -1;
  sorter.forEach((c, key, _idHash, d) => {
    if (c === col && key === bucket) pairs.push(first, d);
    else [col, bucket, first] = [c, key, d];
  });

  const uf = new SparseUnionFind();
  const minSim = config.minhash?.min_similarity ?? null;
  let checked = 0;
  let below = 0;
  if (minSim === null) for (let i = 0; i < pairs.length; i += 2) uf.union(pairs[i] as number, pairs[i + 1] as number);
  else {
    const info = await pairDocs(ctx, parts, offsets, new Set(pairs));
    for (let i = 0; i < pairs.length; i += 2) {
      const [a, b] = [pairs[i] as number, pairs[i + 1] as number];
      // A pair already joined needs no check: the components of the accepted pairs are the same.
      if (uf.find(a) === uf.find(b)) continue;
      const x = info.get(a) as PairDoc;
      const y = info.get(b) as PairDoc;
      if (x.text !== y.text && x.url !== y.url) {
        checked++;
        const sim = x.shingles && y.shingles ? setJaccard(x.shingles, y.shingles) : x.sig && y.sig ? estimatedJaccard(x.sig, y.sig) : 1;
        if (sim < minSim) {
          below++;
          continue;
        }
      }
      uf.union(a, b);
    }
  }
  const forest = uf.edges();
  const base = joinUri(ctx.stageDir, 'buckets', `part-${pad(index)}`);
  const out = await writeBytes(ctx.storage, `${base}.forest`, new Uint8Array(forest.buffer), forest.length / 2);
  await writeJson(ctx.storage, `${base}.json`, { signatures: parts, docs: total }, total);
  Object.assign(ctx.stats, {
    columns: own.length, records: sorter.records, sorted_runs: runs, candidate_pairs: pairs.length / 2,
    pairs_checked: checked, pairs_below_min_similarity: below, forest_edges: forest.length / 2,
  });
  return { docs_in: total, docs_out: total, outputs: [out] };
}

/** Merges the bucket tasks' forests into the global components and picks one survivor per cluster. */
async function clusters(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'reduce') throw new Error('clusters is a reduce');
  const { config } = ctx;
  const first = ctx.spec.parts[0];
  if (!first) throw new Error('clusters needs the bucket phase output');
  const { signatures: sigParts, docs: total } = await readJson<{ signatures: string[]; docs: number }>(ctx, first.replace(/\.forest$/, '.json'));
  const uf = new SparseUnionFind();
  for (const part of ctx.spec.parts) {
    const e = await readTyped(ctx.storage, part, Float64Array);
    for (let i = 0; i < e.length; i += 2) uf.union(e[i] as number, e[i + 1] as number);
  }

  // Only documents in a cluster are loaded: the rest are singletons.
  const cols = keyColumns(config);
  const width = 1 + cols.length;
  const perms = config.minhash ? config.minhash.bands * config.minhash.rows : 0;
  const info = new Map<number, { key: SurvivorKey; text: number; url: number; sig: Uint32Array | null; part: number; row: number }>();
  const partDocs: string[] = [];
  const members = [...uf.parent.keys()].sort((x, y) => x - y);
  let offset = 0;
  for (const [p, uri] of sigParts.entries()) {
    const keys = await readTyped(ctx.storage, uri, Float64Array);
    const n = keys.length / width;
    const base = uri.replace(/\.keys$/, '');
    const index = await readJson<SignatureIndex>(ctx, `${base}.json`);
    partDocs.push(index.part);
    const hasMember = members.some((d) => d >= offset && d < offset + n);
    const sigs = perms && hasMember ? await readTyped(ctx.storage, `${base}.sig`, Uint32Array) : null;
    for (let r = 0; hasMember && r < n; r++) {
      if (!uf.parent.has(offset + r)) continue;
      info.set(offset + r, {
        key: index.keys[r] as SurvivorKey,
        text: config.exact.text ? (keys[r * width + 1] as number) : Number.NaN,
        url: config.exact.url ? (keys[r * width + 1 + (config.exact.text ? 1 : 0)] as number) : Number.NaN,
        sig: sigs ? sigs.slice(r * perms, (r + 1) * perms) : null,
        part: p,
        row: r,
      });
    }
    offset += n;
  }

  const groups = new Map<number, number[]>();
  for (const d of info.keys()) {
    const root = uf.find(d);
    const g = groups.get(root);
    if (g) g.push(d);
    else groups.set(root, [d]);
  }
  const perPart: ClusterMember[][] = sigParts.map(() => []);
  let clusterCount = 0;
  let removed = 0;
  for (const docs of groups.values()) {
    if (docs.length < 2) continue;
    clusterCount++;
    const members = docs.map((d) => info.get(d) as NonNullable<ReturnType<typeof info.get>>);
    const survivor = members.reduce((best, m) => (compareSurvivors(m.key, best.key, config.priority) < 0 ? m : best));
    const clusterId = members.reduce((min, m) => (m.key.id < min ? m.key.id : min), survivor.key.id);
    const methods = new Set<Method>();
    for (const m of members) {
      const kept = m === survivor;
      const method: Method = kept ? 'exact' : m.text === survivor.text ? 'exact' : m.url === survivor.url ? 'url' : 'minhash';
      const similarity = method === 'exact' ? 1 : m.sig && survivor.sig ? estimatedJaccard(m.sig, survivor.sig) : null;
      perPart[m.part]?.push({ row: m.row, cluster_id: clusterId, size: members.length, survivor: survivor.key.id, kept, method, similarity });
      if (kept) continue;
      removed++;
      methods.add(method);
      ctx.row('dedup_clusters', { method, cluster_id: clusterId, doc_id: m.key.id, kept: false, similarity });
    }
    for (const method of methods) ctx.row('dedup_clusters', { method, cluster_id: clusterId, doc_id: survivor.key.id, kept: true, similarity: 1 });
  }

  const outputs = [];
  for (const [p, members] of perPart.entries()) {
    members.sort((a, b) => a.row - b.row);
    const uri = joinUri(ctx.stageDir, 'clusters', `part-${pad(p)}.json`);
    const bytes = Buffer.from(JSON.stringify({ part: partDocs[p], members }));
    await ctx.storage(uri).write(uri, bytes);
    outputs.push({ uri, rows: members.length, sha256: sha256Hex(bytes), bytes: bytes.length });
  }
  ctx.stats.clusters = clusterCount;
  ctx.stats.removed = removed;
  return { docs_in: total, docs_out: total - removed, outputs };
}

async function filter(ctx: PhaseContext<DedupConfig>): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'part') throw new Error('filter runs per part');
  const { part, members } = await readJson<{ part: string; members: ClusterMember[] }>(ctx, ctx.spec.part);
  const byRow = new Map(members.map((m) => [m.row, m]));
  const docs = await readDocuments(ctx.storage(part), part);
  const kept: Document[] = [];
  const rejected: Row[] = [];
  const dropped: Record<string, number> = {};
  docs.forEach((doc, row) => {
    const m = byRow.get(row);
    if (!m) {
      ctx.event(doc.id, 'keep', null, {});
      kept.push(doc);
      return;
    }
    const cluster = { id: m.cluster_id, size: m.size, survivor: m.survivor, method: m.method, similarity: m.similarity };
    const annotated: Document = { ...doc, meta: { ...doc.meta, dedup_cluster: cluster } };
    if (m.kept) {
      ctx.event(doc.id, 'keep', null, { dedup_cluster: cluster });
      kept.push(annotated);
      return;
    }
    const reason = REASON[m.method];
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    const detail = { survivor: m.survivor, cluster_id: m.cluster_id, cluster_size: m.size, similarity: m.similarity };
    ctx.event(doc.id, 'drop', reason, detail);
    rejected.push({ ...documentRow(annotated), stage: 'dedup', reason, detail: JSON.stringify(detail) });
  });
  const dir = ctx.stageDir;
  const out = await writeDocuments(ctx.storage(dir), partUri(dir, ctx.taskIndex), kept);
  const rej = await writeParquet(ctx.storage(dir), rejectedUri(dir, ctx.taskIndex), REJECTED_COLUMNS, rejected);
  return { docs_in: docs.length, docs_out: kept.length, outputs: [out], dropped, rejected: [rej] };
}

export const dedup: GlobalStage<DedupConfig> = {
  kind: 'global',
  name: 'dedup',
  version: 1,
  config: DedupConfig,
  phases: [
    { name: 'signatures', kind: 'per-part', run: signatures },
    { name: 'buckets', kind: 'partitioned', partitions: (c) => c.bucket_tasks, run: buckets },
    { name: 'clusters', kind: 'reduce', run: clusters },
    { name: 'filter', kind: 'per-part', run: filter },
  ],
};
