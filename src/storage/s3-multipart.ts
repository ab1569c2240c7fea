import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3 rejects parts below 5 MiB (all but the last): the smallest threshold that can work. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/**
 * 64 MiB parts keep a 10,000-part upload (the S3 limit) good for 640 GiB objects while one part
 * in memory stays small; the AWS CLI's default (8 MiB) would cap objects at 78 GiB.
 */
export const DEFAULT_MULTIPART_BYTES = 64 * 1024 * 1024;

/** S3's limit on parts per upload. */
export const MAX_PARTS = 10_000;

/** Objects larger than this go up in parts of this size: CORPUSFLOW_S3_MULTIPART_BYTES, default 64 MiB. */
export function multipartBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CORPUSFLOW_S3_MULTIPART_BYTES;
  if (raw === undefined || raw === '') return DEFAULT_MULTIPART_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < MIN_PART_BYTES) {
    throw new Error(`CORPUSFLOW_S3_MULTIPART_BYTES must be an integer of at least ${MIN_PART_BYTES} (5 MiB), got ${raw}`);
  }
  return n;
}

export function sha256Base64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}

/** Where the parts come from: a buffer in memory or a file read one part at a time. */
export type PartSource =
  | { kind: 'buffer'; data: Buffer }
  | { kind: 'file'; path: string; size: number };

/**
 * The checksum S3 gives a multipart object (COMPOSITE type): the SHA-256 of the concatenated
 * binary part digests, base64, then `-<part count>`.
 */
export function compositeSha256(partDigestsBase64: string[]): string {
  const h = createHash('sha256');
  for (const d of partDigestsBase64) h.update(Buffer.from(d, 'base64'));
  return `${h.digest('base64')}-${partDigestsBase64.length}`;
}

async function* readParts(source: PartSource, partBytes: number): AsyncGenerator<Buffer> {
  if (source.kind === 'buffer') {
    for (let off = 0; off < source.data.length; off += partBytes) yield source.data.subarray(off, off + partBytes);
    return;
  }
  const fh = await open(source.path, 'r');
  try {
    for (let off = 0; off < source.size; off += partBytes) {
      const want = Math.min(partBytes, source.size - off);
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, off + got);
        if (bytesRead === 0) throw new Error(`${source.path} shrank while uploading: ${off + got} of ${source.size} bytes`);
        got += bytesRead;
      }
      yield buf;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Upload one object in parts, each sent with its SHA-256 so the server rejects a part corrupted
 * on the way; then check the object's composite checksum against the one computed here. Any
 * failure aborts the upload, so no orphaned parts keep costing storage.
 */
export async function uploadMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  source: PartSource,
  partBytes: number,
): Promise<void> {
  const uri = `s3://${bucket}/${key}`;
  const size = source.kind === 'buffer' ? source.data.length : source.size;
  if (Math.ceil(size / partBytes) > MAX_PARTS) {
    throw new Error(
      `${uri}: ${size} bytes need more than ${MAX_PARTS} parts of ${partBytes}; raise CORPUSFLOW_S3_MULTIPART_BYTES`,
    );
  }
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA256' }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`no upload id from CreateMultipartUpload for ${uri}`);
  const digests: string[] = [];
  let completed: string;
  try {
    const parts: CompletedPart[] = [];
    let partNumber = 1;
    for await (const body of readParts(source, partBytes)) {
      const digest = sha256Base64(body);
      const res = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
          ChecksumSHA256: digest,
        }),
      );
      if (res.ChecksumSHA256 !== undefined && res.ChecksumSHA256 !== digest) {
        throw new Error(`part ${partNumber} of ${uri}: server stored SHA-256 ${res.ChecksumSHA256}, sent ${digest}`);
      }
      parts.push({ PartNumber: partNumber, ETag: res.ETag, ChecksumSHA256: digest });
      digests.push(digest);
      partNumber++;
    }
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    completed = done.ChecksumSHA256 ?? '';
  } catch (err) {
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch (abortErr) {
      const why = abortErr instanceof Error ? abortErr.message : String(abortErr);
      throw new Error(`upload of ${uri} failed and aborting upload ${uploadId} failed too (${why})`, { cause: err });
    }
    throw err;
  }
  const expected = compositeSha256(digests);
  const problem = completed
    ? compositeProblem(completed, expected)
    : await readBackProblem(client, bucket, key, source);
  if (problem) {
    // The upload is complete, so there is nothing left to abort: a corrupt object must not stay.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    throw new Error(`${uri}: multipart checksum mismatch, ${problem}; object deleted`);
  }
}

function compositeProblem(server: string, expected: string): string | undefined {
  // Some servers omit the `-N` suffix; the digest itself is what must match.
  if (server.replace(/-\d+$/, '') === expected.replace(/-\d+$/, '')) return undefined;
  return `server has ${server}, expected ${expected}`;
}

/**
 * For servers that keep no checksums (they may still have checked each part): size from
 * HeadObject, then the whole object read back and hashed. Costs a second transfer, so only here.
 */
async function readBackProblem(
  client: S3Client,
  bucket: string,
  key: string,
  source: PartSource,
): Promise<string | undefined> {
  const size = source.kind === 'buffer' ? source.data.length : source.size;
  // Hashed again here rather than during the upload: servers with checksums never pay for it.
  const local = createHash('sha256');
  for await (const part of readParts(source, MIN_PART_BYTES)) local.update(part);
  const expectedSha256 = local.digest('base64');
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (head.ContentLength !== size) return `server has ${head.ContentLength} bytes, sent ${size}`;
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: head.ETag }));
  if (!(res.Body instanceof Readable)) return 'no readable body to verify';
  const h = createHash('sha256');
  for await (const chunk of res.Body) h.update(chunk as Buffer);
  const got = h.digest('base64');
  return got === expectedSha256 ? undefined : `read back SHA-256 ${got}, sent ${expectedSha256}`;
}
