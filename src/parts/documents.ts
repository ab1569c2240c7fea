import type { Document } from '../../schemas/document.js';
import type { PartInfo } from '../../schemas/run.js';
import type { Storage } from '../storage/types.js';
import { readParquet, streamParquet, writeParquet, type Columns, type Row } from './parquet.js';

/** A part's columns: the document flattened, annotations as one JSON column. */
export const DOCUMENT_COLUMNS = {
  id: 'VARCHAR',
  text: 'VARCHAR',
  url: 'VARCHAR',
  source_uri: 'VARCHAR',
  source_offset: 'BIGINT',
  record_id: 'VARCHAR',
  fetch_date: 'VARCHAR',
  license: 'VARCHAR',
  meta: 'VARCHAR',
} as const satisfies Columns;

/** Rejected parts add why the document left the pipeline. */
export const REJECTED_COLUMNS = { ...DOCUMENT_COLUMNS, stage: 'VARCHAR', reason: 'VARCHAR', detail: 'VARCHAR' } as const satisfies Columns;

export function documentRow(doc: Document): Row {
  return {
    id: doc.id,
    text: doc.text,
    url: doc.url,
    source_uri: doc.source.uri,
    source_offset: doc.source.offset,
    record_id: doc.source.record_id,
    fetch_date: doc.source.fetch_date,
    license: doc.source.license,
    meta: JSON.stringify(doc.meta),
  };
}

function documentFromRow(row: Row): Document {
  const str = (k: string): string | null => (row[k] === null || row[k] === undefined ? null : String(row[k]));
  return {
    id: String(row.id),
    text: String(row.text ?? ''),
    url: str('url'),
    source: {
      uri: String(row.source_uri),
      offset: Number(row.source_offset),
      record_id: str('record_id'),
      fetch_date: str('fetch_date'),
      license: str('license'),
    },
    meta: JSON.parse(String(row.meta ?? '{}')) as Document['meta'],
  };
}

export function writeDocuments(storage: Storage, uri: string, docs: Iterable<Document>): Promise<PartInfo> {
  return writeParquet(storage, uri, DOCUMENT_COLUMNS, (function* () {
    for (const d of docs) yield documentRow(d);
  })());
}

export async function readDocuments(storage: Storage, uri: string): Promise<Document[]> {
  return (await readParquet(storage, uri)).map(documentFromRow);
}

/** The documents of a part in order, after the first `skip`, read a chunk at a time. */
export async function* streamDocuments(storage: Storage, uri: string, skip = 0): AsyncGenerator<Document> {
  for await (const row of streamParquet(storage, uri, skip)) yield documentFromRow(row);
}
