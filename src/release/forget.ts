import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ReleaseManifest } from '../../schemas/release.js';
import { RunPlan } from '../../schemas/run.js';
import { canonicalJson, sha256Hex } from '../hash.js';
import { CatalogReader } from '../provenance/reader.js';
import { joinUri, storageFor } from '../storage/index.js';
import { writeDataCard } from './datacard.js';
import { npyBytes, readNpy } from './npy.js';
import { widsIndex } from './publish.js';
import { releaseRoot, shardUri } from './shard-location.js';
import { readTar } from './tar-read.js';
import { TarWriter } from './tar.js';
import { readManifest } from './verify.js';

export type ForgetTarget = { url: string } | { domain: string } | { doc_id: string };

export interface ForgetResult {
  release_dir: string;
  version: number;
  request_id: string;
  /** Released documents whose tokens were cut out. */
  doc_ids: string[];
  rewritten: string[];
  carried: string[];
}

interface SampleDoc {
  id: string;
  range: [number, number];
}

async function nextFreeVersion(root: string): Promise<number> {
  const versions = (await storageFor(root).list(root)).map((o) => /\/v(\d+)\/manifest\.json$/.exec(o.uri)?.[1]).filter((v) => v !== undefined).map(Number);
  return Math.max(0, ...versions) + 1;
}

async function matchingDocs(catalog: CatalogReader, target: ForgetTarget): Promise<string[]> {
  // A domain opt-out covers its subdomains too, as robots.txt-style opt-outs are read.
  const [where, value] = 'url' in target ? ['url = $v', target.url]
    : 'domain' in target ? ["(domain = $v OR ends_with(domain, '.' || $v))", target.domain]
    : ['doc_id = $v', target.doc_id];
  const rows = await catalog.query(`SELECT DISTINCT doc_id FROM samples WHERE doc_id IN (SELECT doc_id FROM documents WHERE ${where}) ORDER BY doc_id`, { v: value });
  return rows.map((r) => String(r.doc_id));
}

/** The base folder the data card shows input paths relative to: the run's own, when its plan is still there. */
async function baseDirOf(catalog: CatalogReader): Promise<string> {
  const [run] = await catalog.query('SELECT run_id, release_dir FROM runs');
  const out = /^(.*)\/releases\/[^/]+\/v\d+$/.exec(String(run?.release_dir ?? ''))?.[1];
  if (out && run) {
    const plan = joinUri(out, 'runs', String(run.run_id), 'plan.json');
    if (await storageFor(plan).exists(plan)) return RunPlan.parse(JSON.parse((await storageFor(plan).read(plan)).toString('utf8'))).base_dir;
  }
  return process.cwd();
}

/**
 * Rewrite one shard without the erased documents' tokens. Every sample keeps its key and its place,
 * so shards keep equal sample counts and a loader's sample index means the same sample in both
 * versions; a sample that held nothing else is kept with zero tokens.
 */
function rewriteShard(tar: Buffer, erased: Set<string>, shard: string): { bytes: Buffer; tokens: number; rows: { key: string; doc: SampleDoc & { doc_token_start: number } }[] } {
  const out = new TarWriter();
  const rows: { key: string; doc: SampleDoc & { doc_token_start: number } }[] = [];
  let tokens: Uint16Array | Uint32Array | undefined;
  let mask: Uint16Array | Uint32Array | undefined;
  let total = 0;
  for (const m of readTar(tar)) {
    const key = m.name.slice(0, m.name.indexOf('.'));
    if (m.name.endsWith('.tokens.npy')) {
      tokens = readNpy(m.data);
      continue;
    }
    if (m.name.endsWith('.loss_mask.npy')) {
      mask = readNpy(m.data);
      continue;
    }
    if (!m.name.endsWith('.json') || !tokens) throw new Error(`${shard}: unexpected member ${m.name}`);
    const meta = JSON.parse(m.data.toString('utf8')) as { tokens: number; docs: (SampleDoc & { doc_token_start: number })[] };
    const kept = meta.docs.filter((d) => !erased.has(d.id));
    const parts: number[] = [];
    const maskParts: number[] = [];
    let fill = 0;
    const docs = kept.map((d) => {
      const piece = tokens?.subarray(d.range[0], d.range[1]) ?? [];
      parts.push(...piece);
      // The loss mask is cut along the same spans, so it stays aligned with the tokens.
      if (mask) maskParts.push(...mask.subarray(d.range[0], d.range[1]));
      const moved = { ...d, range: [fill, fill + piece.length] as [number, number] };
      fill += piece.length;
      rows.push({ key, doc: moved });
      return moved;
    });
    const Dtype = tokens instanceof Uint16Array ? Uint16Array : Uint32Array;
    out.add(`${key}.tokens.npy`, npyBytes(Dtype.from(parts)));
    if (mask) out.add(`${key}.loss_mask.npy`, npyBytes(Uint16Array.from(maskParts)));
    out.add(m.name, Buffer.from(JSON.stringify({ ...meta, tokens: fill, docs })));
    total += fill;
    tokens = undefined;
    mask = undefined;
  }
  return { bytes: out.finish(), tokens: total, rows };
}

/**
 * Erase documents from a published release by URL, domain or id: write v<N+1> in which only the
 * shards holding their tokens are rewritten (the rest are carried by reference: the manifest keeps
 * their sha256 and names the earlier version folder that holds them, so no byte is copied), the
 * catalog records the request in `erasures`, and the data card says so. v<N> is left as it is.
 */
export async function forgetRelease(release: string, target: ForgetTarget, opts: { reason: string; requestedAt?: string }): Promise<ForgetResult> {
  const manifest = await readManifest(release);
  const { root } = releaseRoot(release);
  const catalog = await CatalogReader.open(release);
  let docIds: string[];
  let baseDir: string;
  try {
    docIds = await matchingDocs(catalog, target);
    baseDir = await baseDirOf(catalog);
  } finally {
    catalog.close();
  }
  if (!docIds.length) throw new Error(`no released document matches ${JSON.stringify(target)}`);
  const version = await nextFreeVersion(root);
  const dir = joinUri(root, `v${version}`);
  const requestedAt = opts.requestedAt ?? new Date().toISOString();
  const requestId = sha256Hex(canonicalJson({ target, release: manifest.version, requestedAt })).slice(0, 16);
  const erased = new Set(docIds);

  // Which shards hold the documents: the samples .json is the ground truth, so every shard is read once.
  const shards: ReleaseManifest['shards'] = [];
  const rewritten: string[] = [];
  const carried: string[] = [];
  const newRows = new Map<string, { key: string; doc: SampleDoc & { doc_token_start: number } }[]>();
  for (const shard of manifest.shards) {
    const source = shardUri(release, shard);
    const tar = await storageFor(source).read(source);
    if (sha256Hex(tar) !== shard.sha256) throw new Error(`${shard.name}: sha256 differs from the manifest; run corpusflow verify first`);
    const holds = readTar(tar).some((m) => m.name.endsWith('.json') && (JSON.parse(m.data.toString('utf8')) as { docs: SampleDoc[] }).docs.some((d) => erased.has(d.id)));
    if (!holds) {
      // Carried by reference to the version that wrote the bytes, never through a chain of carriers.
      shards.push({ ...shard, from: shard.from ?? `v${manifest.version}` });
      carried.push(shard.name);
      continue;
    }
    const next = rewriteShard(tar, erased, shard.name);
    const to = joinUri(dir, 'shards', shard.name);
    await storageFor(to).write(to, next.bytes);
    const { from: _carriedFrom, ...own } = shard;
    shards.push({ ...own, sha256: sha256Hex(next.bytes), bytes: next.bytes.length, tokens: next.tokens });
    rewritten.push(shard.name);
    newRows.set(shard.name, next.rows);
  }

  await updateCatalog(release, dir, { version, requestId, requestedAt, reason: opts.reason, docIds, shards, newRows });
  const card = await writeDataCard(dir, baseDir, shards);
  const tokens = shards.reduce((n, s) => n + s.tokens, 0);
  const quotas = manifest.packing.quotas;
  const next = ReleaseManifest.parse({
    ...manifest,
    version,
    parent_version: manifest.version,
    // What the quotas decided stays; what each quota group holds is counted again, as the card does.
    packing: quotas
      ? {
        ...manifest.packing,
        quotas: {
          ...quotas,
          languages: quotas.languages.map((l) => {
            const held = card.quotas.find((q) => q.lang === l.lang) ?? { tokens: 0, documents: 0 };
            return { ...l, tokens: held.tokens, documents: held.documents, share: tokens ? Number((held.tokens / tokens).toFixed(6)) : 0 };
          }),
        },
      }
      : manifest.packing,
    shards,
    totals: {
      documents: manifest.totals.documents - docIds.length,
      samples: shards.reduce((n, s) => n + s.samples, 0),
      tokens,
      shards: shards.length,
      bytes: shards.reduce((n, s) => n + s.bytes, 0),
    },
  });
  const indexUri = joinUri(dir, next.files.index);
  await storageFor(indexUri).write(indexUri, widsIndex(next));
  const manifestUri = joinUri(dir, 'manifest.json');
  await storageFor(manifestUri).write(manifestUri, `${JSON.stringify(next, null, 2)}\n`);
  return { release_dir: dir, version, request_id: requestId, doc_ids: docIds, rewritten, carried };
}

/** Copy the catalog, replace the rewritten shards' rows, record the erasure, and store it in the new version. */
async function updateCatalog(release: string, dir: string, u: {
  version: number; requestId: string; requestedAt: string; reason: string; docIds: string[];
  shards: ReleaseManifest['shards']; newRows: Map<string, { key: string; doc: SampleDoc & { doc_token_start: number } }[]>;
}): Promise<void> {
  const fromUri = joinUri(release, 'provenance.duckdb');
  const local = await mkdtemp(join(tmpdir(), 'cf-forget-'));
  const file = join(local, 'provenance.duckdb');
  await copyFile(await storageFor(fromUri).localPath(fromUri), file);
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    await conn.run('BEGIN TRANSACTION');
    for (const [shard, rows] of u.newRows) {
      await conn.run('DELETE FROM samples WHERE shard = $1', [shard]);
      for (const { key, doc } of rows) {
        await conn.run('INSERT INTO samples VALUES ($1, $2, $3, $4, $5, $6)', [shard, key, doc.id, doc.range[0], doc.range[1], doc.doc_token_start]);
      }
      const s = u.shards.find((x) => x.name === shard);
      if (s) await conn.run('UPDATE shards SET sha256 = $1, bytes = $2, tokens = $3 WHERE shard = $4', [s.sha256, s.bytes, s.tokens, shard]);
    }
    for (const id of u.docIds) {
      await conn.run('INSERT INTO erasures VALUES ($1, $2, $3, $4, $5)', [id, u.requestId, u.requestedAt, u.reason, u.version]);
    }
    await conn.run('UPDATE runs SET release_version = $1, release_dir = $2', [u.version, dir]);
    await conn.run('COMMIT');
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  const to = joinUri(dir, 'provenance.duckdb');
  await storageFor(to).writeFromFile(to, file);
  await rm(local, { recursive: true, force: true });
}
