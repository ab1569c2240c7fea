import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3Storage } from '../src/storage/index.js';
import { MIN_PART_BYTES, compositeSha256, multipartBytesFromEnv, uploadMultipart } from '../src/storage/s3-multipart.js';
import { mulberry32 } from '../src/prng.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';

const bucket = 'corpusflow-multipart';
const PART = MIN_PART_BYTES;

/** Incompressible bytes, like a zstd-compressed shard: 2.4 parts, so three parts with a short last one. */
function shardBytes(seed: number): Buffer {
  const rand = mulberry32(seed);
  const buf = Buffer.alloc(Math.floor(PART * 2.4));
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rand() * 256);
  return buf;
}

/** Counts the commands the client sends, by name, from now on. */
function watchCommands(client: S3Client, name: string): Map<string, number> {
  const seen = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const cmd = context.commandName ?? '?';
      seen.set(cmd, (seen.get(cmd) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name },
  );
  return seen;
}

async function openUploads(client: S3Client): Promise<number> {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (res.Uploads ?? []).length;
}

describe('S3 multipart upload with checksum verification', () => {
  let server: S3Server | undefined;
  let storage: S3Storage | undefined;
  let dir = '';

  before(async () => {
    server = await startS3Server();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cf-multipart-'));
    storage = new S3Storage({
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      cacheDir: path.join(dir, 'cache'),
      multipartBytes: PART,
    });
    await storage.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  after(async () => {
    storage?.client.destroy();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a shard above the threshold from a file in several checksummed parts that read back byte-identical', async () => {
    assert.ok(storage);
    const data = shardBytes(1);
    const src = path.join(dir, 'shard-000000.tar');
    await writeFile(src, data);
    const seen = watchCommands(storage.client, 'watchFileUpload');
    const uri = `s3://${bucket}/release/shard-000000.tar`;
    try {
      await storage.writeFromFile(uri, src);
    } finally {
      storage.client.middlewareStack.remove('watchFileUpload');
    }
    assert.equal(seen.get('UploadPartCommand'), 3);
    assert.equal(seen.get('CompleteMultipartUploadCommand'), 1);
    assert.equal(seen.get('PutObjectCommand'), undefined);
    const head = await storage.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'release/shard-000000.tar', ChecksumMode: 'ENABLED' }),
    );
    assert.match(head.ETag ?? '', /-3"$/, 'a multipart ETag names its part count');
    assert.equal(head.ContentLength, data.length);
    assert.ok(
      createHash('sha256').update(await storage.read(uri)).digest().equals(createHash('sha256').update(data).digest()),
      'read-back bytes equal the file',
    );
  });

  it('uploads a buffer above the threshold in parts and keeps small objects on a single checksummed PUT', async () => {
    assert.ok(storage);
    const big = shardBytes(2);
    const seen = watchCommands(storage.client, 'watchBufferUpload');
    const sentChecksums: string[] = [];
    storage.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { ChecksumSHA256?: string };
        if (input.ChecksumSHA256) sentChecksums.push(input.ChecksumSHA256);
        return next(args);
      },
      { step: 'initialize', name: 'watchChecksums' },
    );
    try {
      await storage.write(`s3://${bucket}/big.bin`, big);
      await storage.write(`s3://${bucket}/small.json`, '{"docs":3}');
    } finally {
      storage.client.middlewareStack.remove('watchBufferUpload');
      storage.client.middlewareStack.remove('watchChecksums');
    }
    assert.equal(seen.get('UploadPartCommand'), 3);
    assert.equal(seen.get('PutObjectCommand'), 1);
    assert.equal(sentChecksums.length, 4, 'three parts and the small PUT each carried a SHA-256');
    assert.equal(sentChecksums[3], createHash('sha256').update('{"docs":3}').digest('base64'));
    assert.deepEqual(await storage.read(`s3://${bucket}/big.bin`), big);
    assert.equal((await storage.read(`s3://${bucket}/small.json`)).toString(), '{"docs":3}');
  });

  it('rejects a part corrupted after its checksum was computed and leaves no incomplete upload', async () => {
    assert.ok(storage);
    const data = shardBytes(3);
    // Flip one byte of part 2 on its way out, after the storage layer hashed it: what a bad NIC or
    // proxy would do. The server must refuse the part and the upload must be aborted.
    storage.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { PartNumber?: number; Body?: unknown };
        if (context.commandName === 'UploadPartCommand' && input.PartNumber === 2 && Buffer.isBuffer(input.Body)) {
          const corrupt = Buffer.from(input.Body);
          corrupt[1000] = (corrupt[1000] ?? 0) ^ 0xff;
          input.Body = corrupt;
        }
        return next(args);
      },
      { step: 'initialize', name: 'corruptPart2' },
    );
    const uri = `s3://${bucket}/corrupt/shard-000001.tar`;
    try {
      await assert.rejects(storage.write(uri, data), (err: Error) => {
        assert.match(`${err.name} ${err.message}`, /BadDigest|did not match/);
        return true;
      });
    } finally {
      storage.client.middlewareStack.remove('corruptPart2');
    }
    assert.equal(await openUploads(storage.client), 0, 'the failed upload was aborted');
    assert.equal(await storage.exists(uri), false, 'no partial object appeared');
  });

  it('deletes a completed object whose composite checksum differs from the parts sent', async () => {
    assert.ok(storage);
    // A server that stitched the wrong parts together reports a composite checksum of other bytes.
    storage.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'CompleteMultipartUploadCommand') {
          const output = result.output as { ChecksumSHA256?: string };
          output.ChecksumSHA256 = `${createHash('sha256').update('other bytes').digest('base64')}-3`;
        }
        return result;
      },
      { step: 'initialize', name: 'wrongComposite' },
    );
    const uri = `s3://${bucket}/mismatch/shard-000002.tar`;
    try {
      await assert.rejects(storage.write(uri, shardBytes(4)), /multipart checksum mismatch.*object deleted/);
    } finally {
      storage.client.middlewareStack.remove('wrongComposite');
    }
    assert.equal(await storage.exists(uri), false, 'the unverified object is gone');
    assert.equal(await openUploads(storage.client), 0);
  });

  it('verifies by size and a read-back hash when the server reports no checksum, and deletes an object that reads back different', async () => {
    assert.ok(storage);
    const client = storage.client;
    let corruptReadBack = false;
    // A server without checksum support: no composite on completion, none on HEAD.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const output = result.output as { ChecksumSHA256?: string; Body?: unknown };
        if (context.commandName === 'CompleteMultipartUploadCommand') delete output.ChecksumSHA256;
        if (context.commandName === 'GetObjectCommand' && corruptReadBack) {
          const bytes = shardBytes(6);
          bytes[7] = (bytes[7] ?? 0) ^ 1;
          output.Body = Readable.from([bytes]);
        }
        return result;
      },
      { step: 'initialize', name: 'noChecksums' },
    );
    const seen = watchCommands(client, 'watchReadBack');
    try {
      await storage.write(`s3://${bucket}/plain/a.tar`, shardBytes(5));
      assert.equal(seen.get('GetObjectCommand'), 1, 'the object was read back to verify it');
      corruptReadBack = true;
      await assert.rejects(
        storage.write(`s3://${bucket}/plain/b.tar`, shardBytes(6)),
        /multipart checksum mismatch, read back SHA-256 .*object deleted/,
      );
    } finally {
      client.middlewareStack.remove('noChecksums');
      client.middlewareStack.remove('watchReadBack');
    }
    assert.deepEqual(await storage.read(`s3://${bucket}/plain/a.tar`), shardBytes(5));
    assert.equal(await storage.exists(`s3://${bucket}/plain/b.tar`), false);
  });

  it('refuses before sending anything an object that would need more than 10,000 parts', async () => {
    assert.ok(storage);
    const seen = watchCommands(storage.client, 'watchTooMany');
    try {
      await assert.rejects(
        uploadMultipart(storage.client, bucket, 'huge.tar', { kind: 'file', path: '/nonexistent', size: PART * 10_001 }, PART),
        /more than 10000 parts .*CORPUSFLOW_S3_MULTIPART_BYTES/,
      );
    } finally {
      storage.client.middlewareStack.remove('watchTooMany');
    }
    assert.equal(seen.size, 0);
  });

  it('computes the composite SHA-256 that S3 reports for a multipart object', () => {
    const a = createHash('sha256').update('part one').digest();
    const b = createHash('sha256').update('part two').digest();
    const expected = createHash('sha256').update(Buffer.concat([a, b])).digest('base64');
    assert.equal(compositeSha256([a.toString('base64'), b.toString('base64')]), `${expected}-2`);
  });

  it('reads the multipart threshold from CORPUSFLOW_S3_MULTIPART_BYTES and refuses parts below 5 MiB', () => {
    assert.equal(multipartBytesFromEnv({}), 64 * 1024 * 1024);
    assert.equal(multipartBytesFromEnv({ CORPUSFLOW_S3_MULTIPART_BYTES: String(PART) }), PART);
    assert.throws(() => multipartBytesFromEnv({ CORPUSFLOW_S3_MULTIPART_BYTES: '1048576' }), /CORPUSFLOW_S3_MULTIPART_BYTES/);
  });
});
