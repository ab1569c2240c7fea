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
import { indexDir, keySettings, storedKeyFiles, type ReleaseIndexManifest } from './releaseIndex.js';
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
type Method = 'exact' | 'url' | 'minhash' | 'release';

const REASON: Record<Method, string> = { exact: 'exact_duplicate', url: 'url_duplicate', minhash: 'near_duplicate', release: 'release_duplicate' };

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
  /** For `release` matches: the release (`name/vN`) holding the survivor. */
  release?: string;
}

/** One file of `.keys` rows the bucket phase reads: a part of this run, or a part of a stored release index. */
interface KeySource {
  uri: string;
  /** Global index of its first document: this run's documents first, then each stored release's. */
  offset: number;
  rows: number;
  /** `name/vN` of a stored release; null for this run's parts. */
  release: string | null;
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

/** A document of a cluster, from this run (part, row) or from a stored release (part -1). */
interface Member {
  key: SurvivorKey;
  text: number;
  url: number;
  sig: Uint32Array | null;
  part: number;
  row: number;
  release: string | null;
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

/** Read what the check needs of the documents `wanted` (global indexes), file by file. */
async function pairDocs(ctx: Ctx, sources: KeySource[], wanted: Set<number>): Promise<Map<number, PairDoc>> {
  const { config } = ctx;
  const mh = config.minhash;
  const width = 1 + keyColumns(config).length;
  const perms = mh ? mh.bands * mh.rows : 0;
  const out = new Map<number, PairDoc>();
  for (const src of sources) {
    const rows = [...wanted].filter((d) => d >= src.offset && d < src.offset + src.rows);
    if (rows.length === 0) continue;
    const base = src.uri.replace(/\.keys$/, '');
    const keys = await readTyped(ctx.storage, src.uri, Float64Array);
    const sigs = perms ? await readTyped(ctx.storage, `${base}.sig`, Uint32Array) : null;
    // A stored release keeps no text: its pairs are checked on the signature.
    const docPart = mh?.similarity === 'shingles' && src.release === null ? (await readJson<SignatureIndex>(ctx, `${base}.json`)).part : null;
    const docs = docPart ? await readDocuments(ctx.storage(docPart), docPart) : null;
    for (const d of rows) {
      const r = d - src.offset;
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
  const stored = await storedKeyFiles(config, ctx.plan.base_dir, ctx.storage);
  const sources: KeySource[] = [];
  let next = 0;
  for (const file of [...parts.map((uri) => ({ uri, release: null })), ...stored]) {
    const f = await readTyped(ctx.storage, file.uri, Float64Array);
    for (let r = 0, d = next; r < f.length; r += width, d++) {
      // Stored documents sort first in their bucket (negative id hash), so new documents pair with them.
      const idHash = file.release === null ? (f[r] as number) : -1 - d;
      for (const c of own) {
        const key = f[r + 1 + c] as number;
        // A missing URL has no key: it is nobody's duplicate.
        if (!Number.isNaN(key)) sorter.push(c, key, idHash, d);
      }
    }
    sources.push({ uri: file.uri, offset: next, rows: f.length / width, release: file.release });
    next += f.length / width;
  }
  const total = sources.filter((src) => src.release === null).reduce((n, src) => n + src.rows, 0);
  const runs = sorter.runs;
  const uf = new SparseUnionFind();
  const minSim = config.minhash?.min_similarity ?? null;
  // Without a check, pairs go straight into the union-find; the check needs them all first, to read
  // the documents they name in one pass over the parts (16 bytes per pair).
  const pairs: number[] = [];
  let candidates = 0;
  let col = Number.NaN;
  let bucket = Number.NaN;
  let first = -1;
  sorter.forEach((c, key, _idHash, d) => {
    if (c !== col || key !== bucket) {
      [col, bucket, first] = [c, key, d];
      return;
    }
    candidates++;
    if (minSim === null) uf.union(first, d);
    else pairs.push(first, d);
  });

  let checked = 0;
  let below = 0;
  if (minSim !== null) {
    const info = await pairDocs(ctx, sources, new Set(pairs));
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
  await writeJson(ctx.storage, `${base}.json`, { signatures: parts, docs: total, sources }, total);
  Object.assign(ctx.stats, {
    columns: own.length, records: sorter.records, sorted_runs: runs, candidate_pairs: candidates,
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
  const { signatures: sigParts, docs: total, sources } = await readJson<{ signatures: string[]; docs: number; sources: KeySource[] }>(ctx, first.replace(/\.forest$/, '.json'));
  const uf = new SparseUnionFind();
  for (const part of ctx.spec.parts) {
    const e = await readTyped(ctx.storage, part, Float64Array);
    for (let i = 0; i < e.length; i += 2) uf.union(e[i] as number, e[i + 1] as number);
  }

  // Only documents in a cluster are loaded: the rest are singletons.
  const width = 1 + keyColumns(config).length;
  const perms = config.minhash ? config.minhash.bands * config.minhash.rows : 0;
  const info = new Map<number, Member>();
  const partDocs: string[] = [];
  const members = [...uf.parent.keys()].sort((x, y) => x - y);
  for (const [p, src] of sources.entries()) {
    const base = src.uri.replace(/\.keys$/, '');
    const index = src.release === null ? await readJson<SignatureIndex>(ctx, `${base}.json`) : null;
    if (index) partDocs.push(index.part);
    if (!members.some((d) => d >= src.offset && d < src.offset + src.rows)) continue;
    const keys = await readTyped(ctx.storage, src.uri, Float64Array);
    const sigs = perms ? await readTyped(ctx.storage, `${base}.sig`, Uint32Array) : null;
    const ids = index ? null : await readJson<string[]>(ctx, `${base}.ids.json`);
    for (let r = 0; r < src.rows; r++) {
      if (!uf.parent.has(src.offset + r)) continue;
      info.set(src.offset + r, {
        key: index ? (index.keys[r] as SurvivorKey) : { id: ids?.[r] as string, fetch: null, quality: null, rank: 0 },
        text: config.exact.text ? (keys[r * width + 1] as number) : Number.NaN,
        url: config.exact.url ? (keys[r * width + 1 + (config.exact.text ? 1 : 0)] as number) : Number.NaN,
        sig: sigs ? sigs.slice(r * perms, (r + 1) * perms) : null,
        part: index ? p : -1,
        row: r,
        release: src.release,
      });
    }
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
    const group = docs.map((d) => info.get(d) as Member);
    // A document already in a stored release wins: the first release in `against`, then its first part and row.
    const stored = group.filter((m) => m.release !== null);
    const survivor = stored[0] ?? group.reduce((best, m) => (compareSurvivors(m.key, best.key, config.priority) < 0 ? m : best));
    const clusterId = group.reduce((min, m) => (m.key.id < min ? m.key.id : min), survivor.key.id);
    const methods = new Set<Method>();
    for (const m of group) {
      if (m.release !== null) continue;
      const kept = m === survivor;
      const method: Method = kept ? 'exact' : survivor.release !== null ? 'release' : m.text === survivor.text ? 'exact' : m.url === survivor.url ? 'url' : 'minhash';
      const similarity = !kept && m.text === survivor.text ? 1 : m.sig && survivor.sig ? estimatedJaccard(m.sig, survivor.sig) : null;
      perPart[m.part]?.push({
        row: m.row, cluster_id: clusterId, size: group.length, survivor: survivor.key.id, kept, method, similarity,
        ...(survivor.release === null ? {} : { release: survivor.release }),
      });
      if (kept) continue;
      removed++;
      methods.add(method);
      ctx.row('dedup_clusters', { method, cluster_id: clusterId, doc_id: m.key.id, kept: false, similarity });
    }
    // The survivor of a release match lives in the stored release, not in this run's documents.
    for (const method of methods) if (method !== 'release') ctx.row('dedup_clusters', { method, cluster_id: clusterId, doc_id: survivor.key.id, kept: true, similarity: 1 });
  }

  const outputs = [];
  for (const [p, members] of perPart.entries()) {
    members.sort((a, b) => a.row - b.row);
    const uri = joinUri(ctx.stageDir, 'clusters', `part-${pad(p)}.json`);
    const bytes = Buffer.from(JSON.stringify({ part: partDocs[p], signatures: sigParts[p], members }));
    await ctx.storage(uri).write(uri, bytes);
    outputs.push({ uri, rows: members.length, sha256: sha256Hex(bytes), bytes: bytes.length });
  }
  if (config.write_index) {
    const manifest: ReleaseIndexManifest = { release: `${ctx.plan.pipeline.name}/v${ctx.plan.release_version}`, keys: keySettings(config) };
    await writeJson(ctx.storage, joinUri(indexDir(ctx.plan.release_dir), 'index.json'), manifest, 0);
  }
  ctx.stats.clusters = clusterCount;
  ctx.stats.removed = removed;
  return { docs_in: total, docs_out: total - removed, outputs };
}

async function filter(ctx: Ctx): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'part') throw new Error('filter runs per part');
  const { part, signatures: keysUri, members } = await readJson<{ part: string; signatures: string; members: ClusterMember[] }>(ctx, ctx.spec.part);
  const byRow = new Map(members.map((m) => [m.row, m]));
  const docs = await readDocuments(ctx.storage(part), part);
  const kept: Document[] = [];
  const rejected: Row[] = [];
  const dropped: Record<string, number> = {};
  const keptRows: number[] = [];
  docs.forEach((doc, row) => {
    const m = byRow.get(row);
    if (!m || m.kept) keptRows.push(row);
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
    const detail = { survivor: m.survivor, ...(m.release ? { release: m.release } : {}), cluster_id: m.cluster_id, cluster_size: m.size, similarity: m.similarity };
    ctx.event(doc.id, 'drop', reason, detail);
    rejected.push({ ...documentRow(annotated), stage: 'dedup', reason, detail: JSON.stringify(detail) });
  });
  const dir = ctx.stageDir;
  const out = await writeDocuments(ctx.storage(dir), partUri(dir, ctx.taskIndex), kept);
  const rej = await writeParquet(ctx.storage(dir), rejectedUri(dir, ctx.taskIndex), REJECTED_COLUMNS, rejected);
  if (ctx.config.write_index) await writeIndexPart(ctx, keysUri, keptRows, keptRows.map((r) => (docs[r] as Document).id));
  return { docs_in: docs.length, docs_out: kept.length, outputs: [out], dropped, rejected: [rej] };
}

/** This part's kept documents into the release's dedup index: their `.keys` rows, signatures and ids. */
async function writeIndexPart(ctx: Ctx, keysUri: string, rows: number[], ids: string[]): Promise<void> {
  const { config } = ctx;
  const width = 1 + keyColumns(config).length;
  const perms = config.minhash ? config.minhash.bands * config.minhash.rows : 0;
  const keys = await readTyped(ctx.storage, keysUri, Float64Array);
  const sigs = await readTyped(ctx.storage, keysUri.replace(/\.keys$/, '.sig'), Uint32Array);
  const outKeys = new Float64Array(rows.length * width);
  const outSigs = new Uint32Array(rows.length * perms);
  rows.forEach((r, i) => {
    outKeys.set(keys.subarray(r * width, (r + 1) * width), i * width);
    outSigs.set(sigs.subarray(r * perms, (r + 1) * perms), i * perms);
  });
  const base = joinUri(indexDir(ctx.plan.release_dir), `part-${pad(ctx.taskIndex)}`);
  await writeBytes(ctx.storage, `${base}.keys`, new Uint8Array(outKeys.buffer), rows.length);
  await writeBytes(ctx.storage, `${base}.sig`, new Uint8Array(outSigs.buffer), rows.length);
  await writeJson(ctx.storage, `${base}.ids.json`, ids, rows.length);
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
