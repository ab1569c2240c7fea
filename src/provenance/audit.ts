import type { CatalogReader, Record_ } from './reader.js';

/** A question reviewers ask often enough to have a name; the SQL is printed by `audit --list`. */
export interface AuditPreset {
  description: string;
  sql: string;
}

export const AUDIT_PRESETS: Record<string, AuditPreset> = {
  licenses: {
    description: 'per licence: input files, documents read, documents and tokens released',
    sql: `SELECT d.license, count(DISTINCT d.source_uri) AS sources, count(DISTINCT d.doc_id) AS documents_in,
  count(DISTINCT s.doc_id) AS documents_released, coalesce(sum(s.sample_end - s.sample_start), 0) AS tokens
FROM documents d LEFT JOIN samples s USING (doc_id) GROUP BY ALL ORDER BY documents_in DESC, d.license`,
  },
  'licenses-by-shard': {
    description: 'per shard: the licences of the documents whose tokens it holds',
    sql: 'SELECT shard, license, documents, tokens FROM license_by_shard',
  },
  'filter-funnel': {
    description: 'per stage in pipeline order: documents in, kept, modified, dropped',
    sql: 'SELECT stage_index, stage, docs_in, kept, modified, dropped FROM filter_funnel',
  },
  'drop-reasons': {
    description: 'per stage and rule: how many documents it dropped',
    sql: 'SELECT stage, rule, reason, documents FROM drop_reasons',
  },
  limits: {
    description: 'per stage: records and documents skipped because they hit a size, depth or time limit',
    sql: `SELECT stage, reason AS limit_hit, count(*) AS documents FROM doc_events
WHERE action = 'drop' AND reason IN ('oversized_record', 'extraction_timeout', 'html_too_deep')
GROUP BY ALL ORDER BY stage, limit_hit`,
  },
  dropped: {
    description: 'every dropped document with the stage, rule and reason, and its source',
    sql: `SELECT stage, rule, reason, doc_id, url, source_uri, source_offset FROM dropped_documents
ORDER BY stage, reason, source_uri, source_offset`,
  },
  'pii-summary': {
    description: 'per PII entity type: documents where it was found and mentions replaced',
    sql: 'SELECT entity_type, documents, mentions FROM pii_summary',
  },
  languages: {
    description: 'language of the documents langid kept, with their share',
    sql: 'SELECT lang, documents, round(100 * documents / sum(documents) OVER (), 2) AS percent FROM language_distribution',
  },
  sources: {
    description: 'per input file: format, licence, sha256, bytes, records read and released',
    sql: `SELECT s.uri, s.format, s.license, s.sha256, s.bytes, s.records, s.bad_records,
  (SELECT count(DISTINCT sm.doc_id) FROM samples sm JOIN documents d USING (doc_id) WHERE d.source_uri = s.uri) AS released
FROM sources s ORDER BY s.uri`,
  },
  'duplicate-record-ids': {
    description: 'WARC-Record-IDs that more than one record carries: each copy with its document id, file and offset',
    sql: `SELECT record_id, doc_id, status, source_uri, source_offset, url FROM documents
WHERE record_id IN (SELECT record_id FROM documents WHERE record_id IS NOT NULL GROUP BY record_id HAVING count(*) > 1)
ORDER BY record_id, source_uri, source_offset`,
  },
  shards: {
    description: 'per shard: sha256, bytes, samples, tokens',
    sql: 'SELECT shard, sha256, bytes, samples, tokens FROM shards ORDER BY shard',
  },
  dedup: {
    description: 'per dedup method: clusters, documents in clusters, documents removed',
    sql: `SELECT method, count(DISTINCT cluster_id) AS clusters, count(*) AS documents, count(*) FILTER (WHERE NOT kept) AS removed
FROM dedup_clusters GROUP BY ALL ORDER BY method`,
  },
  stages: {
    description: 'per stage: version, config hash, documents in and out, drops, task seconds, config',
    sql: 'SELECT stage_index, name, version, config_hash, docs_in, docs_out, dropped, task_seconds, config FROM stages ORDER BY stage_index',
  },
};

/**
 * Answer a preset by name, or run the reviewer's own SQL: read-only, one statement, with $name
 * parameters bound from `params` (never spliced into the text).
 */
export function audit(catalog: CatalogReader, presetOrSql: string, params: Record<string, string> = {}): Promise<{ columns: string[]; rows: Record_[] }> {
  const preset = AUDIT_PRESETS[presetOrSql];
  return catalog.select(preset ? preset.sql : presetOrSql, params);
}
