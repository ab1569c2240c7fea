/** One object in a listing: its full URI and size in bytes. */
export interface StoredObject {
  uri: string;
  bytes: number;
}

/**
 * Where datasets, fragments and releases live. URIs are either plain local paths
 * (or file://) or s3://bucket/key. Writes are whole-object and atomic (temp-then-rename
 * on disk, a single PUT or one completed multipart upload on S3), so a retried task overwrites instead of duplicating.
 */
export interface Storage {
  read(uri: string): Promise<Buffer>;
  /** Bytes [start, end) of an object (end clamped to its size): one task's slice of a large input. */
  readRange(uri: string, start: number, end: number): Promise<Buffer>;
  write(uri: string, data: Buffer | string): Promise<void>;
  /** Upload a local file (used for Parquet written by DuckDB and for tar shards). */
  writeFromFile(uri: string, localPath: string): Promise<void>;
  /** A local file holding the object's bytes: the path itself on disk, a cached download for S3. */
  localPath(uri: string): Promise<string>;
  exists(uri: string): Promise<boolean>;
  /** All objects under a prefix, sorted by URI. */
  list(prefix: string): Promise<StoredObject[]>;
  remove(prefix: string): Promise<void>;
}
