import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { PartInfo } from '../../schemas/run.js';
import { sha256Hex } from '../hash.js';
import type { Storage } from '../storage/types.js';

/** Column types we store; each maps to one DuckDB type and one appender call. */
export type ColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN';
export type Columns = Readonly<Record<string, ColumnType>>;
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

let instance: Promise<DuckDBInstance> | undefined;
let connection: Promise<DuckDBConnection> | undefined;

/** One in-memory DuckDB per thread, single-threaded so Parquet bytes do not depend on scheduling. */
function duckInstance(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(':memory:', { threads: '1', preserve_insertion_order: 'true' });
  return instance;
}

export function duck(): Promise<DuckDBConnection> {
  connection ??= duckInstance().then((db) => db.connect());
  return connection;
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

let tableSeq = 0;

/** Write rows as one zstd Parquet object. Row order is kept. */
export async function writeParquet(storage: Storage, uri: string, columns: Columns, rows: Iterable<Row>): Promise<PartInfo> {
  const conn = await duck();
  const table = `t${process.pid}_${tableSeq++}`;
  const names = Object.keys(columns);
  await conn.run(`CREATE TEMP TABLE ${table} (${names.map((n) => `"${n}" ${columns[n]}`).join(', ')})`);
  const dir = await mkdtemp(join(tmpdir(), 'cf-parquet-'));
  try {
    const appender = await conn.createAppender(table);
    let count = 0;
    for (const row of rows) {
      for (const name of names) appendCell(appender, columns[name] as ColumnType, row[name] ?? null, name);
      appender.endRow();
      count++;
    }
    appender.closeSync();
    const file = join(dir, 'part.parquet');
    await conn.run(`COPY ${table} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)`);
    const bytes = await readFile(file);
    await storage.writeFromFile(uri, file);
    return { uri, rows: count, sha256: sha256Hex(bytes), bytes: bytes.length };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
    await rm(dir, { recursive: true, force: true });
  }
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendCell(appender: Appender, type: ColumnType, value: Cell, column: string): void {
  if (value === null) return appender.appendNull();
  switch (type) {
    case 'VARCHAR':
      if (typeof value !== 'string') throw new TypeError(`column ${column}: expected string, got ${typeof value}`);
      return appender.appendVarchar(value);
    case 'BIGINT':
      if (typeof value !== 'number') throw new TypeError(`column ${column}: expected number, got ${typeof value}`);
      return appender.appendBigInt(BigInt(value));
    case 'DOUBLE':
      if (typeof value !== 'number') throw new TypeError(`column ${column}: expected number, got ${typeof value}`);
      return appender.appendDouble(value);
    case 'BOOLEAN':
      if (typeof value !== 'boolean') throw new TypeError(`column ${column}: expected boolean, got ${typeof value}`);
      return appender.appendBoolean(value);
  }
}

function jsRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : (v as Cell);
  return out;
}

/**
 * The rows of a Parquet object in file order, one DuckDB chunk (2,048 rows) at a time, after the
 * first `skip`: a reader holds one chunk, never the whole object.
 */
export async function* streamParquet(storage: Storage, uri: string, skip = 0): AsyncGenerator<Row> {
  const file = await storage.localPath(uri);
  // Its own connection: a query on the shared one (the part this task is writing) would end the stream.
  const conn = await (await duckInstance()).connect();
  try {
    const result = await conn.stream(`SELECT * FROM read_parquet(${sqlString(file)})`);
    const names = result.columnNames();
    let left = skip;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      if (left >= chunk.rowCount) {
        left -= chunk.rowCount;
        continue;
      }
      const rows = chunk.getRowObjects(names);
      for (let i = left; i < rows.length; i++) yield jsRow(rows[i] as Record<string, unknown>);
      left = 0;
    }
  } finally {
    conn.closeSync();
  }
}

/** Read every row of a Parquet object, BIGINTs as numbers. */
export async function readParquet(storage: Storage, uri: string): Promise<Row[]> {
  const conn = await duck();
  const file = await storage.localPath(uri);
  const reader = await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(file)})`);
  return reader.getRowObjectsJS().map(jsRow);
}
