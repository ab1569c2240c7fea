import { relative } from 'node:path';
import { DataCard } from '../../schemas/datacard.js';
import { CatalogReader, parseJson } from '../provenance/reader.js';
import { joinUri, storageFor } from '../storage/index.js';
import { renderDataCardHtml } from './datacard-html.js';
import { renderDataCardMarkdown } from './datacard-markdown.js';
import type { ShardRef } from './shard-location.js';

/** Documents whose tokens reached a shard. */
const RELEASED = '(SELECT DISTINCT doc_id FROM samples)';

/** Log2 buckets keep a histogram to a few dozen rows however many documents there are. */
const histogram = (expr: string, from: string) =>
  `SELECT CAST(floor(log2(greatest(${expr}, 1))) AS INTEGER) AS bin, count(*) AS documents FROM ${from} GROUP BY ALL ORDER BY bin`;
const summary = (expr: string, from: string) =>
  `SELECT min(${expr}) AS min, median(${expr}) AS median, round(avg(${expr}), 1) AS mean, max(${expr}) AS max FROM ${from}`;

const RELEASED_BYTES = `documents WHERE doc_id IN ${RELEASED}`;
const RELEASED_TOKENS = '(SELECT doc_id, sum(sample_end - sample_start) AS tokens FROM samples GROUP BY doc_id)';

/**
 * Gather the release data card from the catalog alone. Input paths are shown relative to the
 * pipeline file (as in the manifest), so the card does not depend on where the checkout sits.
 */
export async function collectDataCard(catalog: CatalogReader, baseDir: string): Promise<DataCard> {
  const q = (sql: string) => catalog.query(sql);
  const [run] = await q('SELECT pipeline, release_version, code_version, pipeline_hash, pipeline_config FROM runs');
  if (!run) throw new Error('the catalog has no run');
  const pipeline = parseJson(run.pipeline_config ?? null) as { description?: string };
  const display = (uri: string) => (uri.startsWith('s3://') ? uri : relative(baseDir, uri));

  const sources = await q(`SELECT s.uri, s.format, s.license, s.sha256, s.bytes, s.records, s.bad_records,
      count(DISTINCT r.doc_id) AS released
    FROM sources s LEFT JOIN documents d ON d.source_uri = s.uri LEFT JOIN ${RELEASED} r ON r.doc_id = d.doc_id
    GROUP BY ALL ORDER BY s.uri`);
  const licenses = await q(`SELECT d.license, count(DISTINCT d.source_uri) AS sources, count(DISTINCT d.doc_id) AS documents_in,
      count(DISTINCT s.doc_id) AS documents_released, coalesce(sum(s.sample_end - s.sample_start), 0) AS tokens
    FROM documents d LEFT JOIN samples s USING (doc_id) GROUP BY ALL ORDER BY documents_in DESC, d.license`);
  const [fetch] = await q(`SELECT min(fetch_date) AS first_fetch, max(fetch_date) AS last_fetch, count(DISTINCT domain) AS domains
    FROM documents WHERE doc_id IN ${RELEASED}`);
  const topDomains = await q(`SELECT domain, count(*) AS documents FROM documents
    WHERE doc_id IN ${RELEASED} AND domain IS NOT NULL GROUP BY ALL ORDER BY documents DESC, domain LIMIT 10`);
  const unreadable = await q(`SELECT e.reason, count(*) AS records FROM documents d JOIN doc_events e USING (doc_id)
    WHERE d.status = 'bad' AND e.action = 'drop' GROUP BY ALL ORDER BY records DESC, e.reason`);

  const stages = await q(`SELECT s.stage_index, s.name, s.version, s.config_hash, s.config, s.docs_in, s.docs_out, coalesce(f.modified, 0) AS modified
    FROM stages s LEFT JOIN filter_funnel f ON f.stage = s.name ORDER BY s.stage_index`);
  const drops = await q('SELECT stage, rule, reason, documents FROM drop_reasons');

  const languages = await q(`SELECT json_extract_string(e.detail, '$.lang') AS lang, count(*) AS documents, sum(t.tokens) AS tokens
    FROM doc_events e JOIN ${RELEASED_TOKENS} t USING (doc_id) WHERE e.stage = 'langid' GROUP BY ALL ORDER BY documents DESC, lang`);
  const [bytesSummary] = await q(summary('text_bytes', RELEASED_BYTES));
  const [tokensSummary] = await q(summary('tokens', RELEASED_TOKENS));

  const dedup = await q(`SELECT method, count(DISTINCT cluster_id) AS clusters, count(*) AS documents, count(*) FILTER (WHERE NOT kept) AS removed
    FROM dedup_clusters GROUP BY ALL ORDER BY method`);
  const [piiStage] = await q("SELECT count(*) AS n FROM stages WHERE name = 'pii'");
  const [piiDocs] = await q('SELECT count(DISTINCT doc_id) AS n FROM pii_counts WHERE count > 0');
  const [synth] = await q(`SELECT count(DISTINCT p.synth_doc_id) AS documents, coalesce(sum(t.tokens), 0) AS tokens,
      (SELECT count(DISTINCT synth_doc_id) FROM synth_pairs WHERE generator IS DISTINCT FROM 'template') AS model_generated
    FROM (SELECT DISTINCT synth_doc_id FROM synth_pairs) p LEFT JOIN ${RELEASED_TOKENS} t ON t.doc_id = p.synth_doc_id`);
  const [shardConfig] = await q("SELECT json_extract_string(config, '$.tokenizer') AS tokenizer, CAST(json_extract(config, '$.seq_len') AS BIGINT) AS seq_len FROM stages WHERE name = 'shard'");
  const [totals] = await q(`SELECT (SELECT count(DISTINCT doc_id) FROM samples) AS documents, coalesce(sum(samples), 0) AS samples,
    coalesce(sum(tokens), 0) AS tokens, count(*) AS shards, coalesce(sum(bytes), 0) AS bytes FROM shards`);

  return DataCard.parse({
    name: run.pipeline,
    version: run.release_version,
    description: pipeline.description ?? '',
    code_version: run.code_version,
    pipeline_hash: run.pipeline_hash,
    sources: sources.map((s) => ({ ...s, uri: display(String(s.uri)) })),
    licenses,
    collection: { ...fetch, top_domains: topDomains, unreadable },
    steps: stages.map((s) => ({
      index: s.stage_index, stage: s.name, version: s.version, config_hash: s.config_hash, config: parseJson(s.config ?? null),
      docs_in: s.docs_in, docs_out: s.docs_out, modified: s.modified,
      drops: drops.filter((d) => d.stage === s.name).map(({ rule, reason, documents }) => ({ rule, reason, documents })),
    })),
    languages: languages.map((l) => ({ ...l, lang: l.lang ?? 'unknown' })),
    lengths: {
      bytes: await q(histogram('text_bytes', RELEASED_BYTES)),
      tokens: await q(histogram('tokens', RELEASED_TOKENS)),
      bytes_summary: bytesSummary?.max === null ? null : bytesSummary,
      tokens_summary: tokensSummary?.max === null ? null : tokensSummary,
    },
    dedup,
    pii: { stage: Number(piiStage?.n) > 0, documents: piiDocs?.n ?? 0, by_type: await q('SELECT entity_type, documents, mentions FROM pii_summary') },
    synthetic: synth,
    tokens: { tokenizer: shardConfig?.tokenizer ?? null, seq_len: shardConfig?.seq_len ?? null, ...totals },
    erasures: await q('SELECT reason, count(DISTINCT doc_id) AS documents FROM erasures GROUP BY ALL ORDER BY documents DESC, reason'),
    // Tokens from samples, not from the events, so a version after forget counts what it still holds.
    quotas: await q(`SELECT e.quota AS lang, count(*) FILTER (WHERE e.action <> 'drop' AND t.tokens IS NOT NULL) AS documents,
        count(*) FILTER (WHERE e.action = 'drop') AS dropped, count(*) FILTER (WHERE t.tokens IS NOT NULL AND e.copies > e.mix_copies) AS repeated,
        coalesce(sum(t.tokens), 0) AS tokens
      FROM (SELECT doc_id, action, json_extract_string(detail, '$.quota') AS quota, coalesce(CAST(json_extract(detail, '$.copies') AS BIGINT), 1) AS copies,
          coalesce(CAST(json_extract(detail, '$.mix_copies') AS BIGINT), 1) AS mix_copies
        FROM doc_events WHERE stage = 'shard' AND json_extract_string(detail, '$.quota') IS NOT NULL) e
      LEFT JOIN ${RELEASED_TOKENS} t USING (doc_id) GROUP BY ALL ORDER BY lang`),
  });
}

export const DATACARD_FILES = { markdown: 'DATACARD.md', html: 'datacard.html' } as const;

/**
 * Read the release's catalog and write DATACARD.md and datacard.html next to it. `shards` are the
 * version's shards as its manifest lists them: the card's data_files must name carried ones too.
 */
export async function writeDataCard(releaseDir: string, baseDir: string, shards: readonly ShardRef[]): Promise<DataCard> {
  const catalog = await CatalogReader.open(releaseDir);
  let card: DataCard;
  try {
    card = await collectDataCard(catalog, baseDir);
  } finally {
    catalog.close();
  }
  const md = joinUri(releaseDir, DATACARD_FILES.markdown);
  const html = joinUri(releaseDir, DATACARD_FILES.html);
  await storageFor(md).write(md, renderDataCardMarkdown(card, shards));
  await storageFor(html).write(html, renderDataCardHtml(card));
  return card;
}
