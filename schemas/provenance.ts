import type { Columns } from '../src/parts/parquet.js';

/**
 * Columns of the provenance tables that tasks write as Parquet fragments and the catalog loads
 * into provenance.duckdb. PII values never appear here: only types, counts and offsets.
 */
export const PROVENANCE_TABLES = {
  /** One row per document per stage: what the stage did and why. */
  doc_events: {
    run_id: 'VARCHAR', stage: 'VARCHAR', stage_version: 'BIGINT', phase: 'VARCHAR',
    doc_id: 'VARCHAR', action: 'VARCHAR', reason: 'VARCHAR', detail: 'VARCHAR',
  },
  /** Every input record, readable or not. */
  documents: {
    doc_id: 'VARCHAR', source_uri: 'VARCHAR', source_offset: 'BIGINT', record_id: 'VARCHAR', url: 'VARCHAR',
    domain: 'VARCHAR', fetch_date: 'VARCHAR', license: 'VARCHAR', status: 'VARCHAR', text_bytes: 'BIGINT',
    /** Media type and HTTP status of the record's payload (WARC/ARC); null for JSONL and WET. */
    content_type: 'VARCHAR', http_status: 'BIGINT',
  },
  sources: {
    uri: 'VARCHAR', sha256: 'VARCHAR', bytes: 'BIGINT', format: 'VARCHAR', license: 'VARCHAR', records: 'BIGINT', bad_records: 'BIGINT',
  },
  shards: { shard: 'VARCHAR', sha256: 'VARCHAR', bytes: 'BIGINT', samples: 'BIGINT', tokens: 'BIGINT' },
  /** One row per (sample, document) pair: which tokens of which document a sample holds. */
  samples: {
    shard: 'VARCHAR', key: 'VARCHAR', doc_id: 'VARCHAR', sample_start: 'BIGINT', sample_end: 'BIGINT', doc_token_start: 'BIGINT',
  },
} as const satisfies Record<string, Columns>;

export type ProvenanceTable = Exclude<keyof typeof PROVENANCE_TABLES, 'doc_events'>;
