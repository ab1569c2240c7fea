import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { joinUri, storageFor } from '../storage/index.js';

/** A JSON-ready cell: BIGINTs as numbers (or strings beyond 2^53), timestamps as ISO strings. */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Record_ = Record<string, Value>;

/**
 * A release's provenance.duckdb opened for reading only, with file access switched off and the
 * configuration locked: free SQL from a reviewer can neither write, nor read other files, nor
 * switch either back on.
 */
export class CatalogReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  /** `release` is a release folder (local or s3://) or a provenance.duckdb file. */
  static async open(release: string): Promise<CatalogReader> {
    const uri = release.endsWith('.duckdb') ? release : joinUri(release, 'provenance.duckdb');
    const storage = storageFor(uri);
    if (!(await storage.exists(uri))) throw new QueryError(`no provenance catalog at ${uri}`);
    const file = await storage.localPath(uri);
    const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY', enable_external_access: 'false', lock_configuration: 'true' });
    return new CatalogReader(instance, await instance.connect());
  }

  /**
   * Run one statement with named parameters ($name) bound, never spliced into the text. Every
   * parameter the statement names must be given, and nothing else.
   */
  async query(sql: string, params: Record<string, string | number> = {}): Promise<Record_[]> {
    return (await this.select(sql, params)).rows;
  }

  /** `query`, with the column names too (a table of no rows still has a header). */
  async select(sql: string, params: Record<string, string | number> = {}): Promise<{ columns: string[]; rows: Record_[] }> {
    const statements = await this.conn.extractStatements(sql);
    if (statements.count !== 1) throw new QueryError(`expected one SQL statement, got ${statements.count}`);
    const prepared = await statements.prepare(0);
    const names = Array.from({ length: prepared.parameterCount }, (_, i) => prepared.parameterName(i + 1));
    const missing = names.filter((n) => !(n in params));
    const unknown = Object.keys(params).filter((n) => !names.includes(n));
    if (missing.length) throw new QueryError(`missing parameter${missing.length > 1 ? 's' : ''}: ${missing.map((n) => `$${n}`).join(', ')} (pass --param name=value)`);
    if (unknown.length) throw new QueryError(`the query has no parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `$${n}`).join(', ')}`);
    if (names.length) prepared.bind(params);
    const reader = await prepared.runAndReadAll();
    const rows = reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, toValue(v)])));
    return { columns: reader.columnNames(), rows };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** A query the user wrote or parametrised was rejected: their input to fix, not our defect. */
export class QueryError extends Error {
  override name = 'QueryError';
}

function toValue(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toValue);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x)]));
  return String(v);
}

/** Parse a JSON column (detail, config): stored as text so fragments stay plain Parquet. */
export function parseJson(v: Value): Value {
  return typeof v === 'string' ? (JSON.parse(v) as Value) : v;
}
