import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { PipelineSpec } from '../schemas/pipeline.js';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { SynthConfig } from '../schemas/stages/synth.js';
import type { TaskPool } from '../src/executors/pool.js';
import { ConfigError, loadPipeline } from '../src/pipeline.js';
import { CatalogReader } from '../src/provenance/reader.js';
import { verifyRelease } from '../src/release/verify.js';
import { createRun } from '../src/run/plan.js';
import { redact } from '../src/secrets.js';
import { joinUri, PathEscapeError, resetStorageCache, storageFor } from '../src/storage/index.js';
import { createActivities } from '../temporal/activities.js';
import { query } from './helpers/catalog.js';
import { chatServer, completion } from './helpers/chat-server.js';
import { FIXTURES, tempDir, writePipeline } from './helpers/pipelines.js';
import { startS3ForRuns, type S3Server } from './helpers/s3-server.js';
import { cli } from './helpers/cli.js';


const small = (name: string) => ({
  name,
  stages: [
    { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id', license: 'MIT' }] },
    { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
  ],
});

let release: string;
let out: string;

before(async () => {
  const dir = await tempDir('security');
  out = join(dir, 'out');
  const pipeline = await writePipeline(dir, small('secure'));
  const r = await cli(['run', pipeline, '--out', out, '--run-id', 'secure-1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  release = (JSON.parse(r.stdout) as { release_dir: string }).release_dir;
});

test('redact replaces credential variables, passwords in URLs and bearer tokens, and leaves short values alone', () => {
  const env = { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', MY_API_KEY: 'sk-abcdefghijklmnop', AWS_REGION: 'us-east-1', FLAG_TOKEN: 'true' };
  const text = 'signing with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for https://bob:hunter22@example.org/v1 (Authorization: Bearer abcdef0123456789) key sk-abcdefghijklmnop in us-east-1, true';
  assert.equal(
    redact(text, env),
    'signing with [redacted AWS_SECRET_ACCESS_KEY] for https://[redacted]@example.org/v1 (Authorization: Bearer [redacted]) key [redacted MY_API_KEY] in us-east-1, true',
  );
});

test('a run id that would leave runs/ is refused before anything is written, from the CLI and the API', async () => {
  const dir = await tempDir('runid');
  const pipeline = await writePipeline(dir, small('ids'));
  for (const id of ['..', '../escape', 'a/b', '-rf']) {
    const r = await cli(['run', pipeline, '--out', join(dir, 'out'), `--run-id=${id}`]);
    assert.equal(r.code, 2, `${JSON.stringify(id)}: ${r.stderr}`);
    assert.match(r.stderr, /--run-id .*: a run id is 1-128 letters, digits/);
  }
  assert.deepEqual((await readdir(dir)).sort(), ['pipeline.yaml'], 'no folder was made for any refused id');
  const { spec, baseDir } = await loadPipeline(pipeline);
  await assert.rejects(createRun({ run_id: '..', pipeline: spec, base_dir: baseDir, out: join(dir, 'out') }), ConfigError);
});

test('names built into paths and S3 keys cannot climb out of their prefix', () => {
  for (const base of ['/data/out', 's3://bucket/out', 'file:///data/out']) {
    assert.throws(() => joinUri(base, 'releases', '../../etc'), PathEscapeError);
    assert.throws(() => joinUri(base, 'shards', '..'), PathEscapeError);
    assert.throws(() => joinUri(base, 'a\\..\\..\\b'), PathEscapeError);
    assert.equal(joinUri(base, 'runs', 'r1.v2', 'plan.json').endsWith('/runs/r1.v2/plan.json'), true);
  }
  const named = PipelineSpec.safeParse({ ...small('x'), name: '../../etc' });
  assert.equal(named.success, false);
  assert.deepEqual(named.error?.issues[0]?.path, ['name']);
});

test('a release manifest naming a shard outside the release is refused with the field that is wrong', async () => {
  const manifestUri = join(release, 'manifest.json');
  const original = await readFile(manifestUri, 'utf8');
  const manifest = JSON.parse(original) as { shards: { name: string }[]; files: { index: string } };
  try {
    (manifest.shards[0] as { name: string }).name = '../../../../etc/passwd';
    manifest.files.index = '/etc/shadow';
    await writeFile(manifestUri, JSON.stringify(manifest));
    await assert.rejects(verifyRelease(release), (e: unknown) => e instanceof ConfigError && /shards\[0\]\.name: a file name in the release folder/.test(e.message) && /files\.index/.test(e.message));
  } finally {
    await writeFile(manifestUri, original);
  }
  assert.deepEqual((await verifyRelease(release)).problems, []);
});

test('credentials written into a URI are refused with where to put them instead, and the message does not repeat them', () => {
  const ingest = IngestConfig.safeParse({ stage: 'ingest', inputs: [{ uri: 's3://AKIAEXAMPLE:s3cr3tValue123@bucket/crawl/*.warc.gz', format: 'warc' }] });
  assert.equal(ingest.success, false);
  assert.deepEqual(ingest.error?.issues[0]?.path, ['inputs', 0, 'uri']);
  assert.match(ingest.error?.issues[0]?.message ?? '', /set them in the environment/);
  assert.doesNotMatch(JSON.stringify(ingest.error?.issues), /s3cr3tValue123/);
  const synth = SynthConfig.safeParse({ stage: 'synth', recipes: ['qa'], backend: { kind: 'openai', base_url: 'https://me:sk-live-123456789@api.example/v1', model: 'm' } });
  assert.equal(synth.success, false);
  assert.deepEqual(synth.error?.issues[0]?.path, ['backend', 'base_url']);
});

test('trace values are bound as parameters: quotes and comments in a URL, id or sample match nothing and change nothing', async () => {
  const [before] = await query(join(release, 'provenance.duckdb'), 'SELECT count(*) AS n FROM documents');
  for (const args of [
    ['--url', "x' OR '1'='1"],
    ['--url', "'; DROP TABLE documents; --"],
    ['--doc-id', "' UNION SELECT doc_id FROM documents --"],
    ['--sample', "x.tar:1' OR 1=1 --"],
  ]) {
    const r = await cli(['trace', release, ...args, '--json']);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /no document matches/);
  }
  const [afterRow] = await query(join(release, 'provenance.duckdb'), 'SELECT count(*) AS n FROM documents');
  assert.deepEqual(afterRow, before);
});

test('free SQL runs read-only with file and extension access off: attach, install, settings and exports are refused', async () => {
  const catalog = await CatalogReader.open(release);
  for (const sql of [
    "ATTACH '/tmp/cf-evil.duckdb' AS evil",
    'INSTALL httpfs',
    'LOAD httpfs',
    'SET enable_external_access = true',
    "SET access_mode = 'READ_WRITE'",
    "EXPORT DATABASE '/tmp/cf-export'",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "CREATE MACRO leak() AS 'x'",
  ]) {
    await assert.rejects(catalog.select(sql), (e: unknown) => e instanceof Error && e.message !== '', sql);
  }
  catalog.close();
  assert.equal(existsSync('/tmp/cf-evil.duckdb') || existsSync('/tmp/cf-export'), false);
});

test('Temporal activity failures, stored in the workflow history, carry no credential', async () => {
  const secret = `sk-planted-${randomBytes(12).toString('hex')}`;
  process.env.CORPUSFLOW_TEST_TEMPORAL_API_KEY = secret;
  try {
    const failing = (err: Error) => createActivities({ run: () => Promise.reject(err) } as unknown as TaskPool);
    const ref = { work_dir: '/nowhere', stage_index: 0, phase: 'read', task_index: 0 };
    await assert.rejects(failing(new Error(`HTTP 401: invalid key ${secret}`)).runTask(ref), (e: unknown) => e instanceof Error && !`${e.message}${e.stack}`.includes(secret) && /\[redacted CORPUSFLOW_TEST_TEMPORAL_API_KEY\]/.test(e.message));
    await assert.rejects(failing(new ConfigError(`bad backend https://me:${secret}@host/v1`)).runTask(ref), (e: unknown) => e instanceof ApplicationFailure && e.nonRetryable && !(e.message ?? '').includes(secret));
  } finally {
    delete process.env.CORPUSFLOW_TEST_TEMPORAL_API_KEY;
  }
});

let s3: S3Server;
after(async () => {
  resetStorageCache();
  await s3?.stop();
});

test('credentials planted in the environment appear in no log, error, run file, release file or provenance catalog', async () => {
  s3 = await startS3ForRuns('secure');
  const apiKey = `sk-planted-${randomBytes(16).toString('hex')}`;
  const env = { ...process.env, CORPUSFLOW_TEST_PLANTED_API_KEY: apiKey };
  const planted = [apiKey, s3.secretAccessKey, s3.accessKeyId];
  const input = 's3://secure/in/udhr-en.jsonl.gz';
  await storageFor(input).write(input, await readFile(join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz')));

  // A model server that answers when the key is right, and, like some proxies, echoes the header it got when it is not.
  const server = await chatServer((r) => {
    if (r.body.model === 'echoing') return { status: 401, body: { error: `invalid credentials: ${String(r.headers.authorization)}` } };
    const text = r.body.messages.at(-1)?.content ?? '';
    return { body: completion(/[^.\n]{20,}\./.exec(text)?.[0]?.trim() ?? 'Everyone has rights.') };
  });
  const dir = await tempDir('secrets');
  const pipeline = (model: string) =>
    writePipeline(dir, {
      name: 'secrets',
      stages: [
        { stage: 'ingest', inputs: [{ uri: input, format: 'jsonl', id_field: 'id' }] },
        { stage: 'synth', recipes: ['summarize'], backend: { kind: 'openai', base_url: server.url, model, api_key_env: 'CORPUSFLOW_TEST_PLANTED_API_KEY' }, min_source_chars: 100 },
        { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
      ],
    });
  const good = await cli(['run', await pipeline('scripted'), '--out', 's3://secure/out', '--run-id', 'ok', '--json'], env);
  assert.equal(good.code, 0, good.stderr);
  assert.ok(server.requests.length > 0 && server.requests.every((r) => r.headers.authorization === `Bearer ${apiKey}`), 'the key from the environment was used');
  const failed = await cli(['run', await pipeline('echoing'), '--out', 's3://secure/out', '--run-id', 'echo'], env);
  await server.close();
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /HTTP 401: .*invalid credentials: Bearer \[redacted/);

  const objects = await storageFor('s3://secure/').list('s3://secure/');
  assert.ok(objects.some((o) => o.uri.endsWith('/provenance.duckdb')) && objects.some((o) => o.uri.includes('/runs/echo/')), 'the run dirs, release and catalog are all searched');
  const texts: [string, Buffer][] = [['stdout', Buffer.from(good.stdout + failed.stdout)], ['stderr', Buffer.from(good.stderr + failed.stderr)]];
  for (const o of objects) texts.push([o.uri, await storageFor(o.uri).read(o.uri)]);
  for (const [where, bytes] of texts) {
    for (const secret of planted) assert.ok(!bytes.includes(secret), `${where} holds a planted credential`);
  }
});
