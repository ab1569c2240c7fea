import { DocumentTrace } from '../../schemas/trace.js';
import { parseJson, QueryError, type CatalogReader, type Record_ } from './reader.js';

/** What to trace: a URL (all its captures), a document id, or a sample as `shard:key`. */
export type TraceTarget = { url: string } | { doc_id: string } | { sample: string };

/** Sample keys are 9-digit and shards end in .tar; accept `quickstart-000000:3` as well as the full names. */
export function parseSampleRef(ref: string): { shard: string; key: string } {
  const at = ref.lastIndexOf(':');
  if (at <= 0 || at === ref.length - 1) throw new QueryError(`--sample expects shard:key (e.g. quickstart-000000.tar:000000003), got ${ref}`);
  const shard = ref.slice(0, at);
  const key = ref.slice(at + 1);
  return { shard: shard.endsWith('.tar') ? shard : `${shard}.tar`, key: /^\d+$/.test(key) ? key.padStart(9, '0') : key };
}

async function docIds(catalog: CatalogReader, target: TraceTarget): Promise<string[]> {
  const rows = 'url' in target
    ? await catalog.query('SELECT doc_id FROM documents WHERE url = $url ORDER BY source_uri, source_offset', { url: target.url })
    : 'doc_id' in target
      ? await catalog.query('SELECT doc_id FROM documents WHERE doc_id = $id', { id: target.doc_id })
      : await catalog.query('SELECT doc_id FROM samples WHERE shard = $shard AND key = $key ORDER BY sample_start', parseSampleRef(target.sample));
  return rows.map((r) => String(r.doc_id));
}

/** Every document the target names, each with its full path through the run. Empty when none matches. */
export async function traceDocuments(catalog: CatalogReader, target: TraceTarget): Promise<DocumentTrace[]> {
  const traces: DocumentTrace[] = [];
  for (const id of await docIds(catalog, target)) traces.push(await traceDocument(catalog, id));
  return traces;
}

async function traceDocument(catalog: CatalogReader, id: string): Promise<DocumentTrace> {
  const p = { id };
  const [doc] = await catalog.query(`
    SELECT d.doc_id, d.url, d.domain, d.status, d.source_uri, d.source_offset, d.record_id, d.fetch_date, d.license, s.format, s.sha256
    FROM documents d LEFT JOIN sources s ON s.uri = d.source_uri WHERE d.doc_id = $id`, p);
  if (!doc) throw new QueryError(`no document ${id}`);
  // Events alone, ordered by stage here: a join would scan doc_events instead of skipping to the id.
  const stageIndex = new Map((await catalog.query('SELECT name, stage_index FROM stages')).map((s) => [s.name, Number(s.stage_index)]));
  const events = (await catalog.query('SELECT stage, stage_version, phase, action, reason, detail FROM doc_events WHERE doc_id = $id', p))
    .map((e): Record_ & { stage_index: number } => ({ ...e, stage_index: stageIndex.get(String(e.stage)) ?? stageIndex.size }))
    .sort((a, b) => a.stage_index - b.stage_index || String(a.phase).localeCompare(String(b.phase)));
  const dedup = await catalog.query(`
    SELECT c.method, c.cluster_id, c.kept, c.similarity, (SELECT count(*) FROM dedup_clusters o WHERE o.cluster_id = c.cluster_id AND o.method = c.method) AS cluster_size
    FROM dedup_clusters c WHERE c.doc_id = $id ORDER BY c.method, c.cluster_id`, p);
  const pii = await catalog.query('SELECT entity_type, count FROM pii_counts WHERE doc_id = $id ORDER BY entity_type', p);
  const synth = await catalog.query('SELECT synth_doc_id, source_doc_id, generator, template FROM synth_pairs WHERE synth_doc_id = $id OR source_doc_id = $id ORDER BY ALL', p);
  const samples = await catalog.query(`
    SELECT shard, key, sample_start, sample_end, doc_token_start AS doc_start, doc_token_start + sample_end - sample_start AS doc_end
    FROM samples WHERE doc_id = $id ORDER BY shard, key`, p);
  const erasures = await catalog.query('SELECT request_id, requested_at, reason, release_version FROM erasures WHERE doc_id = $id ORDER BY ALL', p);

  const drop = events.find((e) => e.action === 'drop');
  const outcome = erasures.length
    ? { status: 'erased', request_id: erasures[0]?.request_id ?? null }
    : drop
      ? { status: 'dropped', stage: drop.stage, reason: drop.reason }
      : samples.length
        ? { status: 'released', samples: samples.length, tokens: samples.reduce((n, s) => n + Number(s.sample_end) - Number(s.sample_start), 0) }
        : { status: 'not_released' };
  return DocumentTrace.parse({
    doc_id: doc.doc_id, url: doc.url, domain: doc.domain, status: doc.status,
    source: { uri: doc.source_uri, offset: doc.source_offset, record_id: doc.record_id, fetch_date: doc.fetch_date, license: doc.license, format: doc.format, sha256: doc.sha256 },
    events: events.map((e) => ({ ...e, detail: parseJson(e.detail ?? null) })),
    dedup,
    pii: Object.fromEntries(pii.map((r) => [r.entity_type, r.count])),
    synth,
    samples,
    erasures,
    outcome,
  });
}

/** The human form of a trace: one line per fact, in the order the document went through the run. */
export function formatTrace(t: DocumentTrace): string {
  const lines = [`document ${t.doc_id}${t.url ? `  ${t.url}` : ''}`];
  const s = t.source;
  lines.push(`  source    ${s.uri} @ byte ${s.offset}${s.format ? ` (${s.format})` : ''}${s.record_id ? `  record ${s.record_id}` : ''}`);
  lines.push(`            licence ${s.license ?? 'unknown'}${s.fetch_date ? `  fetched ${s.fetch_date}` : ''}${s.sha256 ? `  file sha256 ${s.sha256}` : ''}${t.status === 'bad' ? '  UNREADABLE' : ''}`);
  const width = Math.max(8, ...t.events.map((e) => `${e.stage}/${e.phase}`.length));
  for (const e of t.events) {
    const detail = e.detail && typeof e.detail === 'object' && Object.keys(e.detail).length ? `  ${JSON.stringify(e.detail)}` : '';
    lines.push(`  ${`${e.stage}/${e.phase}`.padEnd(width)}  v${e.stage_version}  ${e.action}${e.reason ? ` (${e.reason})` : ''}${detail}`);
  }
  lines.push(`  dedup     ${t.dedup.length ? t.dedup.map((d) => `${d.method} cluster ${d.cluster_id} of ${d.cluster_size} (${d.kept ? 'kept' : 'removed'}${d.similarity === null ? '' : `, similarity ${d.similarity}`})`).join('; ') : 'in no duplicate cluster'}`);
  const pii = Object.entries(t.pii);
  lines.push(`  pii       ${pii.length ? pii.map(([k, n]) => `${k} ${n}`).join(', ') : 'none recorded'}`);
  for (const p of t.synth) lines.push(`  synth     ${p.synth_doc_id === t.doc_id ? `generated from ${p.source_doc_id}` : `source of ${p.synth_doc_id}`}${p.generator ? ` by ${p.generator}` : ''}`);
  for (const m of t.samples) lines.push(`  sample    ${m.shard}:${m.key}  sample tokens [${m.sample_start}, ${m.sample_end})  document tokens [${m.doc_start}, ${m.doc_end})`);
  for (const e of t.erasures) lines.push(`  erased    request ${e.request_id ?? '?'}${e.requested_at ? ` of ${e.requested_at}` : ''}${e.reason ? `: ${e.reason}` : ''}`);
  const o = t.outcome;
  lines.push(`  outcome   ${o.status === 'released' ? `released in ${o.samples} sample${o.samples === 1 ? '' : 's'}, ${o.tokens} tokens` : o.status === 'dropped' ? `dropped by ${o.stage}: ${o.reason}` : o.status === 'erased' ? 'erased' : 'not released'}`);
  return lines.join('\n');
}
