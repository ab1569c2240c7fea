import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { compareUris } from './fs.js';
import { multipartBytesFromEnv, sha256Base64, uploadMultipart } from './s3-multipart.js';
import type { Storage, StoredObject } from './types.js';

export interface S3Location {
  bucket: string;
  key: string;
}

/** Parse `s3://bucket/key` (the key may be empty: the whole bucket). */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m || !m[1]) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1], key: m[2] ?? '' };
}

function objectKey(uri: string): S3Location {
  const loc = parseS3Uri(uri);
  if (!loc.key || loc.key.endsWith('/')) throw new Error(`s3 URI names no object: ${uri}`);
  return loc;
}

function isNotFound(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404;
  }
  return false;
}

export interface S3StorageOptions {
  /** A custom endpoint (MinIO, versitygw, ...); implies path-style addressing unless told otherwise. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Explicit credentials; by default the standard AWS chain (env vars, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Where `localPath` keeps downloads; default `<tmpdir>/corpusflow-s3-cache`. */
  cacheDir?: string;
  /** Objects larger than this go up as multipart uploads in parts of this size; default from the env. */
  multipartBytes?: number;
}

/** Options from the environment: CORPUSFLOW_S3_ENDPOINT, AWS_REGION (default us-east-1). */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3StorageOptions {
  const endpoint = env.CORPUSFLOW_S3_ENDPOINT || undefined;
  const style = env.CORPUSFLOW_S3_FORCE_PATH_STYLE;
  return {
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: style === undefined || style === '' ? undefined : style === 'true' || style === '1',
  };
}

/**
 * Objects in S3 (or an S3-compatible server). Every write carries a SHA-256 the server checks:
 * a single PUT up to `multipartBytes`, a multipart upload above it (both atomic: the object
 * appears only once complete).
 */
export class S3Storage implements Storage {
  readonly client: S3Client;
  private readonly cacheDir: string;
  private readonly multipartBytes: number;

  constructor(opts: S3StorageOptions = s3OptionsFromEnv()) {
    const config: S3ClientConfig = {
      region: opts.region ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
    };
    if (opts.endpoint) config.endpoint = opts.endpoint;
    if (opts.credentials) config.credentials = opts.credentials;
    this.client = new S3Client(config);
    this.cacheDir = opts.cacheDir ?? path.join(os.tmpdir(), 'corpusflow-s3-cache');
    this.multipartBytes = opts.multipartBytes ?? multipartBytesFromEnv();
  }

  async read(uri: string): Promise<Buffer> {
    const { bucket, key } = objectKey(uri);
    const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!res.Body) throw new Error(`empty response body for ${uri}`);
    const bytes = await res.Body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async readRange(uri: string, start: number, end: number): Promise<Buffer> {
    if (end <= start) return Buffer.alloc(0);
    const { bucket, key } = objectKey(uri);
    const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
    if (!res.Body) throw new Error(`empty response body for ${uri}`);
    const bytes = await res.Body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async write(uri: string, data: Buffer | string): Promise<void> {
    const { bucket, key } = objectKey(uri);
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (body.length > this.multipartBytes) {
      await uploadMultipart(this.client, bucket, key, { kind: 'buffer', data: body }, this.multipartBytes);
      return;
    }
    await this.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ChecksumSHA256: sha256Base64(body) }),
    );
  }

  async writeFromFile(uri: string, localPath: string): Promise<void> {
    const { bucket, key } = objectKey(uri);
    const { size } = await stat(localPath);
    if (size > this.multipartBytes) {
      await uploadMultipart(this.client, bucket, key, { kind: 'file', path: localPath, size }, this.multipartBytes);
      return;
    }
    // At most one part's worth: hashing it in memory before the PUT is cheaper than reading the file twice.
    await this.write(uri, await readFile(localPath));
  }

  /**
   * Download once into the cache and return the file. The cache entry is keyed by a hash
   * of the URI and the object's ETag, so an overwritten object is fetched again.
   */
  async localPath(uri: string): Promise<string> {
    const { bucket, key } = objectKey(uri);
    const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const id = createHash('sha256').update(uri).update('\0').update(head.ETag ?? '').digest('hex');
    const dir = path.join(this.cacheDir, id.slice(0, 2), id);
    const file = path.join(dir, path.posix.basename(key)); // keep the extension: DuckDB and others sniff it
    try {
      await access(file);
      return file;
    } catch {
      // not cached yet
    }
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(head.ETag ? { IfMatch: head.ETag } : {}) }),
      );
      const body = res.Body;
      if (body instanceof Readable) {
        await pipeline(body, createWriteStream(tmp));
      } else if (body) {
        await pipeline(Readable.from([await body.transformToByteArray()]), createWriteStream(tmp));
      } else {
        throw new Error(`empty response body for ${uri}`);
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return file;
  }

  async exists(uri: string): Promise<boolean> {
    const { bucket, key } = objectKey(uri);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Objects under a prefix, treated like a directory: `s3://b/data` holds `data` itself and
   * `data/...`, not `data2/...`. Paginates with continuation tokens.
   */
  async list(prefix: string): Promise<StoredObject[]> {
    const { bucket, key } = parseS3Uri(prefix);
    const under = key === '' || key.endsWith('/') ? key : `${key}/`;
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }),
      );
      for (const obj of res.Contents ?? []) {
        const k = obj.Key;
        if (k === undefined || (k !== key && !k.startsWith(under))) continue;
        out.push({ uri: `s3://${bucket}/${k}`, bytes: obj.Size ?? 0 });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort(compareUris);
  }

  async remove(prefix: string): Promise<void> {
    const { bucket } = parseS3Uri(prefix);
    const objects = await this.list(prefix);
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000).map((o) => ({ Key: parseS3Uri(o.uri).key }));
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(
          `failed to delete ${failed.length} object(s) under ${prefix}, e.g. ${first?.Key}: ${first?.Code} ${first?.Message}`,
        );
      }
    }
  }
}
