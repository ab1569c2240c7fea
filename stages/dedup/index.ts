import { createHash } from 'node:crypto';
import type { Document } from '../../schemas/document.js';
import { DedupConfig } from '../../schemas/stages/dedup.js';
import { sha256Hex } from '../../src/hash.js';
import { documentRow, readDocuments, REJECTED_COLUMNS, writeDocuments } from '../../src/parts/documents.js';
import { writeParquet, type Row } from '../../src/parts/parquet.js';
import { partUri, rejectedUri } from '../../src/run/paths.js';
import type { GlobalStage, PhaseContext, PhaseOutput } from '../../src/stage.js';
import { joinUri } from '../../src/storage/index.js';
import { bandKey, estimatedJaccard, minhashSignature, permutations } from './minhash.js';
import { compareSurvivors, survivorKey, type SurvivorKey } from './survivor.js';
import { UnionFind } from './unionFind.js';

/**
 * Four phases, all but clustering parallel:
 *   signatures (per part)  bucket keys per document: exact text/url hashes and one key per LSH band
 *   buckets (partitioned)  each task sorts its share of the key columns and emits candidate pairs
 *   clusters (reduce)      union-find over the pairs, one deterministic survivor per cluster
 *   filter (per part)      drops the non-survivors with their survivor's id, annotates the rest
 * Files per signatures part: `.keys` (float64 [doc][1 + columns]: a 52-bit id hash, then the keys),
 * `.sig` (uint32 [doc][permutations]) and `.json` (the document part, ids and survivor keys).
 */

type Column = 'text' | 'url' | 'band';
type Method = 'exact' | 'url' | 'minhash';

const REASON: Record<Method, string> = { exact: 'exact_duplicate', url: 'url_duplicate', minhash: 'near_duplicate' };
const pad = (n: number) => String(n).padStart(5, '0');

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

async function readJson<T>(ctx: PhaseContext<DedupConfig>, uri: string): Promise<T> {
  return JSON.parse((await ctx.storage(uri).read(uri)).toString('utf8')) as T;
}

async function readTyped<T>(ctx: PhaseContext<DedupConfig>, uri: string, View: new (b: ArrayBuffer) => T): Promise<T> {
  const raw = await ctx.storage(uri).read(uri);
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 8.
  return new View(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) as ArrayBuffer);
}

async function writeBytes(ctx: PhaseContext<DedupConfig>, uri: string, bytes: Uint8Array): Promise<{ uri: string; sha256: string; bytes: number }> {
  await ctx.storage(uri).write(uri, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { uri, sha256: sha256Hex(bytes), bytes: bytes.byteLength };
}

async function signatures(ctx: PhaseContext<DedupConfig>): Promise<PhaseOutput> {
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
  const keysOut = await writeBytes(ctx, `${base}.keys`, new Uint8Array(keys.buffer));
  await writeBytes(ctx, `${base}.sig`, new Uint8Array(sigs.buffer));
  const index: SignatureIndex = { part: ctx.spec.part, keys: docs.map((d) => survivorKey(d, config)) };
  await ctx.storage(base).write(`${base}.json`, JSON.stringify(index));
  return { docs_in: docs.length, docs_out: docs.length, outputs: [{ ...keysOut, rows: docs.length }] };
}

/** Sort each of this task's key columns and pair every bucket's first document with each other one. */
async function buckets(ctx: PhaseContext<DedupConfig>): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'partition') throw new Error('buckets runs as partitions');
  const { index, count, parts } = ctx.spec;
  const width = 1 + keyColumns(ctx.config).length;
  const own = Array.from({ length: width - 1 }, (_, c) => c).filter((c) => c % count === index);
  // Keep only the id hash and this task's columns of each part: 8 (1 + own) bytes per document.
  const files: Float64Array[] = [];
  const w = 1 + own.length;
  for (const part of parts) {
    const f = await readTyped(ctx, part, Float64Array);
    const mine = new Float64Array((f.length / width) * w);
    for (let r = 0, o = 0; r < f.length; r += width, o += w) {
      mine[o] = f[r] as number;
      own.forEach((c, j) => (mine[o + 1 + j] = f[r + 1 + c] as number));
    }
    files.push(mine);
  }
  const total = files.reduce((n, f) => n + f.length / w, 0);
  const idHash = new Float64Array(total);
  const key = new Float64Array(total);
  const order = new Uint32Array(total);
  const edges: number[] = [];
  for (const [j] of own.entries()) {
    let at = 0;
    for (const f of files) {
      for (let r = 0; r < f.length; r += w, at++) {
        idHash[at] = f[r] as number;
        key[at] = f[r + 1 + j] as number;
      }
    }
    for (let i = 0; i < total; i++) order[i] = i;
    // Ties go by id hash, so which member a bucket pairs the others with does not depend on part layout.
    order.sort((a, b) => (key[a] as number) - (key[b] as number) || (idHash[a] as number) - (idHash[b] as number));
    for (let i = 0; i < total; ) {
      const first = order[i] as number;
      const k = key[first] as number;
      let j = i + 1;
      if (!Number.isNaN(k)) for (; j < total && key[order[j] as number] === k; j++) edges.push(first, order[j] as number);
      i = j;
    }
  }
  const pairs = Uint32Array.from(edges);
  const base = joinUri(ctx.stageDir, 'buckets', `part-${pad(index)}`);
  const out = await writeBytes(ctx, `${base}.edges`, new Uint8Array(pairs.buffer));
  await ctx.storage(base).write(`${base}.json`, JSON.stringify({ signatures: parts, docs: total }));
  ctx.stats.columns = own.length;
  ctx.stats.candidate_pairs = pairs.length / 2;
  return { docs_in: total, docs_out: total, outputs: [{ ...out, rows: pairs.length / 2 }] };
}

async function clusters(ctx: PhaseContext<DedupConfig>): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'reduce') throw new Error('clusters is a reduce');
  const { config } = ctx;
  const first = ctx.spec.parts[0];
  if (!first) throw new Error('clusters needs the bucket phase output');
  const { signatures: sigParts, docs: total } = await readJson<{ signatures: string[]; docs: number }>(ctx, first.replace(/\.edges$/, '.json'));
  const edgeFiles: Uint32Array[] = [];
  for (const part of ctx.spec.parts) edgeFiles.push(await readTyped(ctx, part, Uint32Array));
  const member = new Uint8Array(total);
  for (const e of edgeFiles) for (const d of e) member[d] = 1;

  // Only documents with a candidate pair are loaded: the rest are singletons.
  const cols = keyColumns(config);
  const width = 1 + cols.length;
  const perms = config.minhash ? config.minhash.bands * config.minhash.rows : 0;
  const info = new Map<number, { key: SurvivorKey; text: number; url: number; sig: Uint32Array | null; part: number; row: number }>();
  const partDocs: string[] = [];
  let offset = 0;
  for (const [p, uri] of sigParts.entries()) {
    const keys = await readTyped(ctx, uri, Float64Array);
    const n = keys.length / width;
    const base = uri.replace(/\.keys$/, '');
    const index = await readJson<SignatureIndex>(ctx, `${base}.json`);
    partDocs.push(index.part);
    const sigs = perms ? await readTyped(ctx, `${base}.sig`, Uint32Array) : null;
    for (let r = 0; r < n; r++) {
      if (!member[offset + r]) continue;
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

  const uf = new UnionFind(total);
  let rejectedPairs = 0;
  const minSim = config.minhash?.min_similarity ?? null;
  for (const e of edgeFiles) {
    for (let i = 0; i < e.length; i += 2) {
      const a = e[i] as number;
      const b = e[i + 1] as number;
      if (minSim !== null) {
        const x = info.get(a);
        const y = info.get(b);
        const exact = x && y && (x.text === y.text || x.url === y.url);
        if (!exact && x?.sig && y?.sig && estimatedJaccard(x.sig, y.sig) < minSim) {
          rejectedPairs++;
          continue;
        }
      }
      uf.union(a, b);
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
  ctx.stats.pairs_below_min_similarity = rejectedPairs;
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
