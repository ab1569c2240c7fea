import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  FsStorage,
  S3Storage,
  joinUri,
  parseS3Uri,
  resetStorageCache,
  storageFor,
  type Storage,
} from '../src/storage/index.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';

interface Backend {
  storage: Storage;
  /** A fresh prefix for one test. */
  root: string;
}

/** The checks every Storage must pass; `backend()` is valid once the suite's `before` ran. */
function conformance(backend: () => Backend): void {
  let n = 0;
  const fresh = (): { storage: Storage; root: string } => {
    const b = backend();
    return { storage: b.storage, root: joinUri(b.root, `t${n++}`) };
  };

  it('reads back what was written, as bytes or as a string', async () => {
    const { storage, root } = fresh();
    const bin = Buffer.from([0, 1, 2, 250, 255]);
    await storage.write(joinUri(root, 'a.bin'), bin);
    await storage.write(joinUri(root, 'nested/deeper/b.txt'), 'héllo wörld');
    assert.deepEqual(await storage.read(joinUri(root, 'a.bin')), bin);
    assert.equal((await storage.read(joinUri(root, 'nested/deeper/b.txt'))).toString('utf8'), 'héllo wörld');
  });

  it('overwrites an object when a retried task writes it again', async () => {
    const { storage, root } = fresh();
    const uri = joinUri(root, 'part-0.parquet');
    await storage.write(uri, 'first');
    assert.equal((await readFile(await storage.localPath(uri), 'utf8')), 'first');
    await storage.write(uri, 'second attempt');
    assert.equal((await storage.read(uri)).toString(), 'second attempt');
    assert.equal((await readFile(await storage.localPath(uri), 'utf8')), 'second attempt');
    assert.deepEqual(
      (await storage.list(root)).map((o) => o.uri),
      [uri],
    );
  });

  it('uploads a local file with writeFromFile', async () => {
    const { storage, root } = fresh();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cf-src-'));
    try {
      const src = path.join(dir, 'shard-000000.tar');
      const data = Buffer.alloc(256 * 1024 + 7, 0);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
      await writeFile(src, data);
      const uri = joinUri(root, 'shards', 'shard-000000.tar');
      await storage.writeFromFile(uri, src);
      assert.deepEqual(await storage.read(uri), data);
      assert.deepEqual(await storage.list(root), [{ uri, bytes: data.length }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says an object exists only after it was written', async () => {
    const { storage, root } = fresh();
    const uri = joinUri(root, 'x.json');
    assert.equal(await storage.exists(uri), false);
    await storage.write(uri, '{}');
    assert.equal(await storage.exists(uri), true);
    assert.equal(await storage.exists(joinUri(root, 'x.jso')), false);
  });

  it('fails to read an object that does not exist', async () => {
    const { storage, root } = fresh();
    await assert.rejects(storage.read(joinUri(root, 'missing.bin')));
  });

  it('lists more than 1000 objects, sorted by URI, across pages', async () => {
    const { storage, root } = fresh();
    const count = 1005;
    // Unpadded numbers: byte order (k-1, k-10, k-100, ...) differs from write order.
    const names = Array.from({ length: count }, (_, i) => `k-${i}.txt`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name) => storage.write(joinUri(root, name), name)));
    }
    await storage.write(joinUri(root, 'sub', 'inner.txt'), 'inner');
    const listed = await storage.list(root);
    assert.equal(listed.length, count + 1);
    const expected = [...names.map((name) => joinUri(root, name)), joinUri(root, 'sub', 'inner.txt')].sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    assert.deepEqual(
      listed.map((o) => o.uri),
      expected,
    );
    const first = listed.find((o) => o.uri === joinUri(root, 'k-7.txt'));
    assert.equal(first?.bytes, 'k-7.txt'.length);
  });

  it('lists a prefix like a directory, not as a string prefix', async () => {
    const { storage, root } = fresh();
    await storage.write(joinUri(root, 'data', 'a'), '1');
    await storage.write(joinUri(root, 'data2', 'b'), '2');
    await storage.write(joinUri(root, 'data.json'), '3');
    assert.deepEqual(
      (await storage.list(joinUri(root, 'data'))).map((o) => o.uri),
      [joinUri(root, 'data', 'a')],
    );
    assert.deepEqual(await storage.list(joinUri(root, 'nothing-here')), []);
  });

  it('gives a local file holding the object from localPath', async () => {
    const { storage, root } = fresh();
    const uri = joinUri(root, 'frag', 'part-00001.parquet');
    await storage.write(uri, 'PAR1 not really parquet PAR1');
    const local = await storage.localPath(uri);
    assert.equal(await readFile(local, 'utf8'), 'PAR1 not really parquet PAR1');
    assert.equal(path.extname(local), '.parquet');
    assert.equal(await storage.localPath(uri), local, 'a second call reuses the same file');
  });

  it('removes everything under a prefix and nothing beside it', async () => {
    const { storage, root } = fresh();
    await storage.write(joinUri(root, 'run', 'a'), 'a');
    await storage.write(joinUri(root, 'run', 'deep', 'b'), 'b');
    await storage.write(joinUri(root, 'run-other', 'c'), 'c');
    await storage.remove(joinUri(root, 'run'));
    assert.deepEqual(
      (await storage.list(root)).map((o) => o.uri),
      [joinUri(root, 'run-other', 'c')],
    );
    assert.equal(await storage.exists(joinUri(root, 'run', 'a')), false);
    await storage.remove(joinUri(root, 'never-written'));
  });
}

describe('joinUri and storageFor', () => {
  it('joins s3 URIs without doubled or trailing slashes', () => {
    assert.equal(joinUri('s3://bucket/runs/', '/r1/', 'part-0.parquet'), 's3://bucket/runs/r1/part-0.parquet');
    assert.equal(joinUri('s3://bucket', 'a', '', 'b'), 's3://bucket/a/b');
  });

  it('joins local paths with node:path and keeps file:// URIs as URIs', () => {
    assert.equal(joinUri('/data/out/', 'r1', 'x.json'), path.join('/data/out', 'r1', 'x.json'));
    assert.equal(joinUri('file:///data/out', 'r1'), 'file:///data/out/r1');
  });

  it('parses s3 URIs into bucket and key', () => {
    assert.deepEqual(parseS3Uri('s3://b/k/x.tar'), { bucket: 'b', key: 'k/x.tar' });
    assert.deepEqual(parseS3Uri('s3://b'), { bucket: 'b', key: '' });
    assert.throws(() => parseS3Uri('/local/path'));
  });

  it('picks S3 for s3:// URIs and the file system for everything else', () => {
    assert.ok(storageFor('s3://bucket/key') instanceof S3Storage);
    assert.equal(storageFor('s3://other/key'), storageFor('s3://bucket/key'), 'one cached S3 client');
    assert.ok(storageFor('/tmp/x') instanceof FsStorage);
    assert.ok(storageFor('file:///tmp/x') instanceof FsStorage);
    resetStorageCache();
  });
});

describe('FsStorage on a temp dir', () => {
  let dir = '';
  const storage = new FsStorage();
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cf-fs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  conformance(() => ({ storage, root: dir }));

  it('lists under a relative prefix with URIs that start with that prefix as spelled', async () => {
    const rel = `./${path.relative(process.cwd(), path.join(dir, 'rel'))}`;
    await storage.write(joinUri(dir, 'rel', 'x', 'a.jsonl'), '{}');
    const listed = (await storage.list(rel)).map((o) => o.uri);
    assert.deepEqual(listed, [`${rel}/x/a.jsonl`]);
  });

  it('accepts file:// URIs and lists them back as file:// URIs', async () => {
    const uri = pathToFileURL(path.join(dir, 'url', 'a.txt')).href;
    await storage.write(uri, 'via url');
    assert.equal(await readFile(path.join(dir, 'url', 'a.txt'), 'utf8'), 'via url');
    assert.deepEqual(
      (await storage.list(pathToFileURL(path.join(dir, 'url')).href)).map((o) => o.uri),
      [uri],
    );
  });
});

describe('S3Storage on a loopback S3 server', () => {
  const bucket = 'corpusflow-test';
  let server: S3Server | undefined;
  let storage: S3Storage | undefined;
  let cacheDir = '';

  before(async () => {
    server = await startS3Server();
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'cf-s3cache-'));
    storage = new S3Storage({
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      cacheDir,
    });
    await storage.client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  after(async () => {
    storage?.client.destroy();
    await server?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  conformance(() => {
    assert.ok(storage, 'S3 storage was set up');
    return { storage, root: `s3://${bucket}/conformance` };
  });

  it('follows continuation tokens when a listing spans several pages', async () => {
    assert.ok(storage);
    let pages = 0;
    storage.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListObjectsV2Command') pages++;
        return next(args);
      },
      { step: 'initialize', name: 'countListPages' },
    );
    try {
      // The conformance listing test left 1006 objects under this prefix.
      const listed = await storage.list(`s3://${bucket}/conformance`);
      assert.ok(listed.length > 1000, `expected > 1000 objects, got ${listed.length}`);
      assert.ok(pages >= 2, `expected several ListObjectsV2 pages, got ${pages}`);
    } finally {
      storage.client.middlewareStack.remove('countListPages');
    }
  });

  it('takes its endpoint, region and credentials from the environment via storageFor', async () => {
    assert.ok(server);
    const keys = ['CORPUSFLOW_S3_ENDPOINT', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    const saved = keys.map((k) => process.env[k]);
    Object.assign(process.env, {
      CORPUSFLOW_S3_ENDPOINT: server.endpoint,
      AWS_REGION: server.region,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    });
    try {
      resetStorageCache();
      const s = storageFor(`s3://${bucket}/env/x.txt`);
      await s.write(`s3://${bucket}/env/x.txt`, 'from env');
      assert.equal((await s.read(`s3://${bucket}/env/x.txt`)).toString(), 'from env');
    } finally {
      resetStorageCache();
      keys.forEach((k, i) => {
        const v = saved[i];
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      });
    }
  });
});
