import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PROVENANCE_TABLES } from '../../schemas/provenance.js';
import { DatasetManifest, TaskResult } from '../../schemas/run.js';
import { sqlString } from '../parts/parquet.js';
import { loadPlan } from '../run/execute.js';
import { datasetUri, stageDir } from '../run/paths.js';
import { joinUri, readJson, storageFor } from '../storage/index.js';

export interface RunTiming {
  executor: 'local' | 'temporal';
  started_at: string;
  finished_at: string;
}


/**
 * PII counts per document and entity type, from the pii stage's events (`detail.pii.counts`): the
 * stage records types, counts and offsets only, never the values. Empty when no pii stage ran.
 */
const PII_COUNTS = `
CREATE TABLE pii_counts AS
  SELECT e.doc_id, c.key AS entity_type, CAST(c.value AS BIGINT) AS count
  FROM doc_events e, json_each(e.detail, '$.pii.counts') c
  WHERE e.stage = 'pii' ORDER BY e.doc_id, entity_type;
`;

/** Views for the questions reviewers ask first; docs/provenance.md shows more. */
const VIEWS = `
CREATE VIEW filter_funnel AS
  SELECT s.stage_index, e.stage, count(*) AS docs_in, count(*) FILTER (WHERE e.action <> 'drop') AS kept,
    count(*) FILTER (WHERE e.action = 'modify') AS modified, count(*) FILTER (WHERE e.action = 'drop') AS dropped
  FROM doc_events e JOIN stages s ON s.name = e.stage GROUP BY ALL ORDER BY s.stage_index;
CREATE VIEW drop_reasons AS
  SELECT stage, split_part(reason, ':', 1) AS rule, reason, count(*) AS documents
  FROM doc_events WHERE action = 'drop' GROUP BY ALL ORDER BY stage, documents DESC, reason;
CREATE VIEW dropped_documents AS
  SELECT e.stage, split_part(e.reason, ':', 1) AS rule, e.reason, e.doc_id, d.url, d.source_uri, d.source_offset, e.detail
  FROM doc_events e JOIN documents d USING (doc_id) WHERE e.action = 'drop';
CREATE VIEW lineage AS
  SELECT d.doc_id, d.url, d.source_uri, d.source_offset, d.record_id, d.license, e.stage, e.phase, e.action, e.reason, e.detail
  FROM documents d LEFT JOIN doc_events e USING (doc_id);
CREATE VIEW sample_lineage AS
  SELECT sm.shard, sm.key, sm.doc_id, sm.sample_start, sm.sample_end, sm.doc_token_start, d.url, d.source_uri, d.source_offset, d.license
  FROM samples sm JOIN documents d USING (doc_id);
CREATE VIEW language_distribution AS
  SELECT json_extract_string(detail, '$.lang') AS lang, count(*) AS documents
  FROM doc_events WHERE stage = 'langid' AND action <> 'drop' GROUP BY ALL ORDER BY documents DESC, lang;
CREATE VIEW license_distribution AS
  SELECT d.license, count(DISTINCT sm.doc_id) AS documents, sum(sm.sample_end - sm.sample_start) AS tokens
  FROM samples sm JOIN documents d USING (doc_id) GROUP BY ALL ORDER BY documents DESC, d.license;
CREATE VIEW license_by_shard AS
  SELECT sm.shard, d.license, count(DISTINCT sm.doc_id) AS documents, sum(sm.sample_end - sm.sample_start) AS tokens
  FROM samples sm JOIN documents d USING (doc_id) GROUP BY ALL ORDER BY sm.shard, documents DESC, d.license;
CREATE VIEW pii_summary AS
  SELECT entity_type, count(DISTINCT doc_id) AS documents, sum(count) AS mentions
  FROM pii_counts GROUP BY ALL ORDER BY mentions DESC, entity_type;
`;

/**
 * Tables stored sorted by the document id `trace` looks them up by, so DuckDB's per-row-group
 * min/max (zone maps) skip all but one row group: as fast as an ART index for these lookups at a
 * fraction of the load time (measured in bench/catalog.ts, figures in docs/provenance.md).
 */
const LOAD_ORDER: Partial<Record<keyof typeof PROVENANCE_TABLES, string>> = {
  documents: 'doc_id',
  doc_events: 'doc_id, stage',
  samples: 'doc_id, shard, key',
  dedup_clusters: 'doc_id, method',
};

/** The one lookup a sort order cannot serve: a URL, which `trace --url` starts from. */
const INDEXES = 'CREATE INDEX documents_url ON documents (url);';

/** Create every fragment table (empty when it has no fragments) and bulk-load its Parquet files in one statement. */
export async function loadFragments(conn: DuckDBConnection, fragments: Record<string, string[]>): Promise<void> {
  for (const [table, columns] of Object.entries(PROVENANCE_TABLES)) {
    const paths = fragments[table] ?? [];
    const ddl = Object.entries(columns).map(([name, type]) => `"${name}" ${type}`).join(', ');
    await conn.run(`CREATE TABLE ${table} (${ddl})`);
    const order = LOAD_ORDER[table as keyof typeof PROVENANCE_TABLES];
    if (paths.length) await conn.run(`INSERT INTO ${table} BY NAME SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}])${order ? ` ORDER BY ${order}` : ''}`);
  }
}

/**
 * `documents` holds the url ingest read; where the pii stage rewrote a url (an email or token in its query),
 * the catalog keeps the rewritten one, so no PII value reaches the release through it.
 */
const SCRUBBED_URLS = `
UPDATE documents SET url = s.url
  FROM (SELECT doc_id, json_extract_string(detail, '$.url') AS url FROM doc_events WHERE stage = 'pii' AND json_extract_string(detail, '$.url') IS NOT NULL) s
  WHERE documents.doc_id = s.doc_id;
`;

/** Derived tables, views and indexes, once every table is loaded (the views need `stages`). */
export async function finishCatalog(conn: DuckDBConnection): Promise<void> {
  await conn.run(SCRUBBED_URLS);
  await conn.run(PII_COUNTS);
  await conn.run(VIEWS);
  await conn.run(INDEXES);
  await conn.run('CHECKPOINT');
}

/**
 * Load every fragment of a run into one DuckDB file and store it as <release>/provenance.duckdb.
 * This is the only writer of the catalog, so tasks can run anywhere without locking.
 */
export async function buildCatalog(workDir: string, timing: RunTiming): Promise<string> {
  const plan = await loadPlan(workDir);
  const local = await mkdtemp(join(tmpdir(), 'cf-catalog-'));
  const file = join(local, 'provenance.duckdb');
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    const objects = await storageFor(workDir).list(workDir);
    const fragments: Record<string, string[]> = {};
    for (const table of Object.keys(PROVENANCE_TABLES)) {
      const uris = objects.filter((o) => o.uri.includes(`/provenance/${table}/`) && o.uri.endsWith('.parquet')).map((o) => o.uri);
      fragments[table] = await Promise.all(uris.map((u) => storageFor(u).localPath(u)));
    }
    await loadFragments(conn, fragments);
    await loadRunTables(conn, plan.run_id, workDir, timing, objects.map((o) => o.uri));
    await finishCatalog(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  const uri = joinUri(plan.release_dir, 'provenance.duckdb');
  await storageFor(uri).writeFromFile(uri, file);
  await rm(local, { recursive: true, force: true });
  return uri;
}

async function loadRunTables(conn: DuckDBConnection, runId: string, workDir: string, timing: RunTiming, uris: string[]): Promise<void> {
  const plan = await loadPlan(workDir);
  await conn.run(`CREATE TABLE runs (run_id VARCHAR, pipeline VARCHAR, pipeline_hash VARCHAR, code_version VARCHAR, executor VARCHAR,
    release_dir VARCHAR, release_version BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP, pipeline_config JSON)`);
  await conn.run(`INSERT INTO runs VALUES (${[runId, plan.pipeline.name, plan.pipeline_hash, plan.code_version, timing.executor, plan.release_dir]
    .map(sqlString).join(', ')}, ${plan.release_version}, ${sqlString(timing.started_at)}, ${sqlString(timing.finished_at)}, ${sqlString(JSON.stringify(plan.pipeline))})`);

  await conn.run(`CREATE TABLE tasks (run_id VARCHAR, stage VARCHAR, phase VARCHAR, task_index BIGINT, docs_in BIGINT, docs_out BIGINT,
    modified BIGINT, bad_records BIGINT, dropped JSON, seconds DOUBLE)`);
  const results = await Promise.all(uris.filter((u) => /\/results\/\d+\.json$/.test(u)).map(async (u) => TaskResult.parse(await readJson(u))));
  for (const r of results) {
    await conn.run(`INSERT INTO tasks VALUES (${sqlString(runId)}, ${sqlString(r.stage)}, ${sqlString(r.phase)}, ${r.task_index}, ${r.docs_in},
      ${r.docs_out}, ${r.modified}, ${r.bad_records}, ${sqlString(JSON.stringify(r.dropped))}, ${r.seconds})`);
  }

  await conn.run(`CREATE TABLE stages (run_id VARCHAR, stage_index BIGINT, name VARCHAR, version BIGINT, config JSON, config_hash VARCHAR,
    docs_in BIGINT, docs_out BIGINT, bad_records BIGINT, dropped JSON, task_seconds DOUBLE)`);
  // A data card per stage's output dataset; the release card aggregates them.
  await conn.run('CREATE TABLE data_cards (run_id VARCHAR, stage VARCHAR, card JSON)');
  for (const stage of plan.stages) {
    const manifest = DatasetManifest.parse(await readJson(datasetUri(stageDir(plan, stage.index))));
    const seconds = results.filter((r) => r.stage === stage.name).reduce((s, r) => s + r.seconds, 0);
    const config = plan.pipeline.stages[stage.index];
    await conn.run(`INSERT INTO stages VALUES (${sqlString(runId)}, ${stage.index}, ${sqlString(stage.name)}, ${stage.version},
      ${sqlString(JSON.stringify(config))}, ${sqlString(stage.config_hash)}, ${manifest.docs_in}, ${manifest.docs_out}, ${manifest.bad_records},
      ${sqlString(JSON.stringify(manifest.dropped))}, ${Math.round(seconds * 1000) / 1000})`);
    const card = { stage: stage.name, version: stage.version, config, config_hash: stage.config_hash, docs_in: manifest.docs_in, docs_out: manifest.docs_out, dropped: manifest.dropped, bad_records: manifest.bad_records, parts: manifest.parts.length };
    await conn.run(`INSERT INTO data_cards VALUES (${sqlString(runId)}, ${sqlString(stage.name)}, ${sqlString(JSON.stringify(card))})`);
  }
}
