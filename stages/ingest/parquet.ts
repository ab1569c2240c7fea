import { documentId } from '../../src/hash.js';
import { duck, sqlString } from '../../src/parts/parquet.js';
import type { Storage } from '../../src/storage/types.js';
import { badItem, type ReadInput, type SourceItem } from './records.js';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The rows [first, end) of the row groups whose first byte lies in the slice [start, end) of the
 * file: the same ownership rule as gzip members, so slices of a file cover each row group once.
 */
async function ownedRows(conn: Awaited<ReturnType<typeof duck>>, file: string, slice: ReadInput['slice']): Promise<[number, number] | null> {
  if (slice.start === 0 && slice.end === Infinity) return null;
  const groups = (
    await conn.runAndReadAll(
      `SELECT row_group_id AS g, any_value(row_group_num_rows) AS n, min(coalesce(dictionary_page_offset, data_page_offset)) AS at
       FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY row_group_id`,
    )
  ).getRowObjectsJS();
  let row = 0, first = -1, last = -1;
  for (const g of groups) {
    const at = Number(g.at), n = Number(g.n);
    if (at >= slice.start && at < slice.end) {
      if (first < 0) first = row;
      last = row + n;
    }
    row += n;
  }
  return first < 0 ? [0, 0] : [first, last];
}

/**
 * Parquet files (Hugging Face datasets, Dolma-style dumps) through DuckDB: one document per row,
 * `text_field`, `id_field` and `url_field` picking the columns. A document's offset is its row
 * number in the file (Parquet has no byte offset per row); a row whose text is missing or not a
 * string is reported as `missing_text`. A large file is split by row groups (see `ownedRows`).
 */
export async function* readParquetRows(src: ReadInput, storage: Storage): AsyncGenerator<SourceItem> {
  const file = await storage.localPath(src.uri);
  let items: SourceItem[];
  try {
    items = await parquetItems(src, file);
  } catch (err) {
    // DuckDB refuses a corrupt file (bad footer, thrift, page or codec) with an error: the file is
    // one bad record, reported and skipped, not a failed task.
    yield badItem(0, 'malformed_record', `Parquet file cannot be read (${(err as Error).message.split('\n')[0]})`);
    return;
  }
  yield* items;
}

async function parquetItems(src: ReadInput, file: string): Promise<SourceItem[]> {
  const { text_field, id_field, url_field, license } = src.input;
  const items: SourceItem[] = [];
  const conn = await duck();
  const rows = await ownedRows(conn, file, src.slice);
  if (rows && rows[0] === rows[1]) return items;
  const columns = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`)).getRowObjectsJS().map((r) => String(r.column_name));
  if (!columns.includes(text_field)) {
    if (rows && src.slice.start > 0) return items; // reported once, by the first slice
    items.push(badItem(0, 'missing_text', `the file has no column "${text_field}" (columns: ${columns.slice(0, 20).join(', ')})`));
    return items;
  }
  const pick = (name: string | null) => (name && columns.includes(name) ? `CAST(${ident(name)} AS VARCHAR)` : 'NULL');
  const reader = await conn.runAndReadAll(
    `SELECT file_row_number AS row, ${ident(text_field)} AS text, typeof(${ident(text_field)}) AS text_type, ${pick(id_field)} AS id, ${pick(url_field)} AS url
     FROM read_parquet(${sqlString(file)}, file_row_number = true)
     ${rows ? `WHERE file_row_number >= ${rows[0]} AND file_row_number < ${rows[1]}` : ''} ORDER BY file_row_number`,
  );
  for (const r of reader.getRowObjectsJS()) {
    const row = Number(r.row);
    const recordId = typeof r.id === 'string' ? r.id : null;
    const url = typeof r.url === 'string' ? r.url : null;
    if (typeof r.text !== 'string' || r.text_type !== 'VARCHAR') {
      items.push(badItem(row, 'missing_text', `row ${row}: column "${text_field}" is ${r.text === null ? 'null' : String(r.text_type)}, not text`, recordId, url));
      continue;
    }
    items.push({
      kind: 'doc',
      doc: {
        id: recordId ? documentId(src.source_key, `id:${recordId}`) : documentId(src.source_key, `row:${row}`),
        text: r.text,
        url,
        source: { uri: src.uri, offset: row, record_id: recordId, fetch_date: null, license },
        meta: {},
      },
    });
  }
  return items;
}
