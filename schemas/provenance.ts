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
  /**
   * One row per document in a near-duplicate or exact-duplicate cluster (written by the dedup stage).
   * `kept` marks the document the cluster keeps; `similarity` is its estimated Jaccard to the kept one.
   */
  dedup_clusters: {
    method: 'VARCHAR', cluster_id: 'VARCHAR', doc_id: 'VARCHAR', kept: 'BOOLEAN', similarity: 'DOUBLE',
  },
  /** One row per synthetic document: the documents it was generated from and how (written by the synth stage). */
  synth_pairs: {
    synth_doc_id: 'VARCHAR', source_doc_id: 'VARCHAR', generator: 'VARCHAR', template: 'VARCHAR',
  },
  /** Erasure requests honoured by a release: the document and why; its text is in no later version. */
  erasures: {
    doc_id: 'VARCHAR', request_id: 'VARCHAR', requested_at: 'VARCHAR', reason: 'VARCHAR', release_version: 'BIGINT',
  },
} as const satisfies Record<string, Columns>;

export type ProvenanceTable = Exclude<keyof typeof PROVENANCE_TABLES, 'doc_events'>;
