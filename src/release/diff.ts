import { CatalogReader, parseJson, type Value } from '../provenance/reader.js';
import { readManifest } from './verify.js';

export interface ConfigChange {
  path: string;
  a: Value | undefined;
  b: Value | undefined;
}

export interface ReleaseDiff {
  a: { name: string; version: number };
  b: { name: string; version: number };
  docs: { added: string[]; removed: string[]; kept: number };
  tokens: { a: number; b: number; delta: number; added_docs: number; removed_docs: number };
  samples: { a: number; b: number; delta: number };
  shards: { a: number; b: number; changed: string[] };
  config: ConfigChange[];
  erasures: { doc_id: string; request_id: string; reason: string | null }[];
}

/** Every leaf where two JSON values differ, by dotted path (array items by index). */
function changes(a: Value | undefined, b: Value | undefined, path: string, out: ConfigChange[]): void {
  const isObj = (v: Value | undefined): v is Record<string, Value> | Value[] => typeof v === 'object' && v !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) changes((a as Record<string, Value>)[k], (b as Record<string, Value>)[k], path ? `${path}.${k}` : k, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push({ path, a, b });
  }
}

async function releasedTokens(release: string): Promise<{ perDoc: Map<string, number>; config: Value; erasures: ReleaseDiff['erasures'] }> {
  const catalog = await CatalogReader.open(release);
  try {
    const rows = await catalog.query('SELECT doc_id, sum(sample_end - sample_start) AS tokens FROM samples GROUP BY doc_id');
    const [run] = await catalog.query('SELECT pipeline_config FROM runs');
    const erasures = await catalog.query('SELECT doc_id, request_id, reason FROM erasures ORDER BY doc_id');
    return {
      perDoc: new Map(rows.map((r) => [String(r.doc_id), Number(r.tokens)])),
      config: parseJson(run?.pipeline_config ?? null),
      erasures: erasures.map((e) => ({ doc_id: String(e.doc_id), request_id: String(e.request_id), reason: e.reason === null ? null : String(e.reason) })),
    };
  } finally {
    catalog.close();
  }
}

/**
 * What changed from release A to release B: documents added and removed (from the two provenance
 * catalogs), token and sample deltas, shards whose bytes differ, and every pipeline, tokenizer or
 * packing setting that differs.
 */
export async function diffReleases(a: string, b: string): Promise<ReleaseDiff> {
  const [ma, mb] = await Promise.all([readManifest(a), readManifest(b)]);
  const [ca, cb] = await Promise.all([releasedTokens(a), releasedTokens(b)]);
  const added = [...cb.perDoc.keys()].filter((d) => !ca.perDoc.has(d)).sort();
  const removed = [...ca.perDoc.keys()].filter((d) => !cb.perDoc.has(d)).sort();
  const sum = (ids: string[], m: Map<string, number>) => ids.reduce((n, d) => n + (m.get(d) ?? 0), 0);
  const shaA = new Map(ma.shards.map((s) => [s.name, s.sha256]));
  const config: ConfigChange[] = [];
  const settings = (m: typeof ma, pipeline: Value): Value => ({ pipeline, tokenizer: m.tokenizer, packing: m.packing, code_version: m.code_version });
  changes(settings(ma, ca.config), settings(mb, cb.config), '', config);
  const erasedBefore = new Set(ca.erasures.map((e) => `${e.request_id}\0${e.doc_id}`));
  return {
    a: { name: ma.name, version: ma.version },
    b: { name: mb.name, version: mb.version },
    docs: { added, removed, kept: cb.perDoc.size - added.length },
    tokens: { a: ma.totals.tokens, b: mb.totals.tokens, delta: mb.totals.tokens - ma.totals.tokens, added_docs: sum(added, cb.perDoc), removed_docs: sum(removed, ca.perDoc) },
    samples: { a: ma.totals.samples, b: mb.totals.samples, delta: mb.totals.samples - ma.totals.samples },
    shards: { a: ma.shards.length, b: mb.shards.length, changed: mb.shards.filter((s) => shaA.get(s.name) !== s.sha256).map((s) => s.name) },
    config,
    erasures: cb.erasures.filter((e) => !erasedBefore.has(`${e.request_id}\0${e.doc_id}`)),
  };
}

export function formatDiff(d: ReleaseDiff): string {
  const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
  const lines = [
    `${d.a.name} v${d.a.version} -> ${d.b.name} v${d.b.version}`,
    `documents  +${d.docs.added.length} -${d.docs.removed.length} (${d.docs.kept} in both)`,
    `tokens     ${d.tokens.a} -> ${d.tokens.b} (${signed(d.tokens.delta)}; added documents ${d.tokens.added_docs}, removed documents ${d.tokens.removed_docs})`,
    `samples    ${d.samples.a} -> ${d.samples.b} (${signed(d.samples.delta)})`,
    `shards     ${d.shards.a} -> ${d.shards.b}; changed: ${d.shards.changed.length ? d.shards.changed.join(', ') : 'none'}`,
  ];
  lines.push(d.config.length ? 'config changes:' : 'config: identical');
  for (const c of d.config) lines.push(`  ${c.path}: ${JSON.stringify(c.a) ?? '(absent)'} -> ${JSON.stringify(c.b) ?? '(absent)'}`);
  for (const e of d.erasures) lines.push(`erased     ${e.doc_id} (request ${e.request_id}${e.reason ? `: ${e.reason}` : ''})`);
  for (const id of d.docs.removed) lines.push(`removed    ${id}`);
  for (const id of d.docs.added) lines.push(`added      ${id}`);
  return `${lines.join('\n')}\n`;
}
