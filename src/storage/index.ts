import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FsStorage } from './fs.js';
import { S3Storage } from './s3.js';
import type { Storage } from './types.js';

export type { Storage, StoredObject } from './types.js';
export { FsStorage } from './fs.js';
export { S3Storage, parseS3Uri, s3OptionsFromEnv } from './s3.js';

let fsStorage: FsStorage | undefined;
let s3Storage: S3Storage | undefined;

/** The storage for a URI: S3 for `s3://`, the local file system for paths and `file://`. */
export function storageFor(uri: string): Storage {
  if (uri.startsWith('s3://')) {
    s3Storage ??= new S3Storage(); // one client for the process: it pools connections
    return s3Storage;
  }
  fsStorage ??= new FsStorage();
  return fsStorage;
}

/** Forget the cached S3 client (after the environment changed, e.g. in tests). */
export function resetStorageCache(): void {
  s3Storage?.client.destroy();
  s3Storage = undefined;
}

/**
 * Join path segments onto a base URI: `s3://b/x` + `y/`, `/z` gives `s3://b/x/y/z`; local
 * paths go through node:path; `file://` URIs stay URIs. Empty segments are skipped.
 */
export function joinUri(base: string, ...parts: string[]): string {
  const segs = parts.filter((p) => p !== '');
  // Parts come from names (runs, pipelines, shards, manifests): none may climb out of `base`.
  // S3 keeps `..` literally, but servers that map keys to files (and any later download) do not.
  for (const p of segs) {
    if (p.split(/[\\/]/).some((s) => s === '..' || s === '.')) throw new PathEscapeError(`${JSON.stringify(p)} would leave ${base}: a name may not contain "." or ".." segments`);
  }
  if (base.startsWith('s3://')) {
    const trimmed = [base.replace(/\/+$/, ''), ...segs.map((p) => p.replace(/^\/+|\/+$/g, ''))];
    return trimmed.filter((p) => p !== '').join('/');
  }
  if (base.startsWith('file:')) {
    return pathToFileURL(path.join(fileURLToPath(base), ...segs)).href;
  }
  return path.join(base, ...segs);
}

/** A name built from input tried to leave its output prefix: the user's input to fix, so it exits 2 as a ConfigError does. */
export class PathEscapeError extends Error {
  override name = 'ConfigError';
}

/** Parse a JSON object the run stored (plans, task lists, results, manifests); callers validate it with zod. */
export async function readJson(uri: string): Promise<unknown> {
  return JSON.parse((await storageFor(uri).read(uri)).toString('utf8'));
}
