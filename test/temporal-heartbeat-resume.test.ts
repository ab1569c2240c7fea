import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { RunSummary, TaskProgress } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { resetStorageCache, storageFor } from '../src/storage/index.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { pipelineRun } from '../temporal/workflows.js';
import { query } from './helpers/catalog.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';
import { startS3Server, type S3Server } from './helpers/s3-server.js';
import { temporalBin } from './helpers/temporal.js';
import { kill9, releaseFiles, spawnWorker, type WorkerProcess } from './helpers/worker-process.js';
import { fleetPipeline, UDHR_ARTICLES, udhrInputs } from './helpers/udhr-inputs.js';

const TASK_QUEUE = 'corpusflow-heartbeat-resume';
/** 16 KiB of text per part: the one ingest task writes about twenty, each a checkpoint. */
const PART_BYTES = 16 * 1024;
/** The part whose upload is held: the ingest task has committed three checkpoints when it starts it. */
const HELD = '/00-ingest/parts/part-00000-0003.parquet';

/**
 * A pass-through proxy in front of the S3 server that counts each object's PUTs and, while `hold` is
 * set, never answers the upload of that object: the worker writing it stalls right there, after its
 * earlier checkpoints, until the test kills it. Requests keep their Host header, so signatures hold.
 */
interface Gate {
  endpoint: string;
  puts: Map<string, number>;
  hold: string | null;
  held: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

function startGate(target: string): Promise<Gate> {
  const stalled: ServerResponse[] = [];
  let arrived: () => void = () => {};
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://s3').pathname;
    if (req.method === 'PUT') gate.puts.set(path, (gate.puts.get(path) ?? 0) + 1);
    if (req.method === 'PUT' && gate.hold !== null && path.endsWith(gate.hold)) {
      req.resume();
      stalled.push(res);
      arrived();
      return;
    }
    const { expect: _expect, ...headers } = req.headers;
    const upstream = httpRequest(`${target}${req.url ?? '/'}`, { method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  const gate: Gate = {
    endpoint: '',
    puts: new Map(),
    hold: null,
    held: new Promise((resolve) => (arrived = resolve)),
    release() {
      gate.hold = null;
      for (const res of stalled.splice(0)) res.destroy();
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      gate.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(gate);
    }),
  );
}

let s3: S3Server;
let gate: Gate;
let server: DevServer;

before(async () => {
  s3 = await startS3Server();
  gate = await startGate(s3.endpoint);
  // Worker processes inherit this environment: every S3 request of the run goes through the gate.
  Object.assign(process.env, {
    CORPUSFLOW_S3_ENDPOINT: gate.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });
  resetStorageCache();
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  await client.send(new CreateBucketCommand({ Bucket: 'corpus' }));
  client.destroy();
  const [file] = await udhrInputs(1);
  if (!file) throw new Error('no input');
  await storageFor(`s3://corpus/in/${file.name}`).write(`s3://corpus/in/${file.name}`, file.text);
  server = await startDevServer(temporalBin());
});

after(async () => {
  await server.stop();
  resetStorageCache();
  await gate.close();
  await s3.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a worker killed with SIGKILL mid-task: the retry resumes from the checkpoint its heartbeats carried, rewrites none of the checkpointed objects, and the release is byte-identical', async () => {
  const dir = await tempDir('heartbeat-resume');
  const pipeline = await writePipeline(dir, { ...fleetPipeline('heartbeat-resume', 's3://corpus/in/*.jsonl'), part_bytes: PART_BYTES });
  const reference = await runLocal(await request(pipeline, 's3://corpus/local', 'heartbeat-local'), { threads: 1 });

  gate.puts.clear();
  gate.hold = HELD;
  const first = spawnWorker(server.address, TASK_QUEUE);
  let second: WorkerProcess | null = null;
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const req = await request(pipeline, 's3://corpus/fleet', 'heartbeat-fleet');
    const handle = await client.workflow.start(pipelineRun, { taskQueue: TASK_QUEUE, workflowId: req.run_id, args: [req] });
    await gate.held;

    // The server has the ingest task's heartbeat once it names the three checkpoints written before the held part.
    let beat: TaskProgress | null = null;
    while (beat?.checkpoint?.seq !== 3) {
      await sleep(500);
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const data = pending[0]?.heartbeatDetails?.payloads?.[0]?.data;
      const parsed = data ? TaskProgress.safeParse(JSON.parse(Buffer.from(data).toString('utf8'))) : null;
      beat = parsed?.success ? parsed.data : null;
    }
    const checkpoint = beat.checkpoint;
    assert.equal(beat.checkpoints, 3);
    assert.ok(beat.docs_in > 0 && beat.docs_in < UDHR_ARTICLES && beat.bytes_in > 3 * PART_BYTES, 'progress counts documents and bytes');

    await kill9(first.child);
    gate.release();
    second = spawnWorker(server.address, TASK_QUEUE);
    const summary = RunSummary.parse(await handle.result());

    // The retry verified the three checkpoints and went on after them: none of their objects was uploaded again.
    const committed = [...checkpoint.outputs, ...checkpoint.rejected, ...checkpoint.provenance];
    assert.ok(checkpoint.outputs.length === 3 && committed.length >= 6);
    for (const p of committed) assert.equal(gate.puts.get(`/corpus/${p.uri.slice('s3://corpus/'.length)}`), 1, `${p.uri} was written again`);
    assert.equal([...gate.puts].find(([path]) => path.endsWith(HELD))?.[1], 2, 'the part the killed worker was writing is written by the retry');
    const events = (await handle.fetchHistory()).events ?? [];
    const attempts = events.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
    assert.equal(Math.max(...attempts), 2, 'one task was retried once');

    assert.deepEqual(summary.stages, reference.stages);
    const fleet = await releaseFiles(summary.release_dir);
    const local = await releaseFiles(reference.release_dir);
    assert.deepEqual([...fleet.keys()].sort(), [...local.keys()].sort());
    for (const [name, bytes] of fleet) {
      if (name !== 'provenance.duckdb') assert.ok(bytes.equals(local.get(name) as Buffer), `${name} differs from the uninterrupted run`);
    }
    const db = join(dir, 'fleet.duckdb');
    await storageFor(db).write(db, fleet.get('provenance.duckdb') as Buffer);
    const perStage = await query(db, 'SELECT stage, count(*) AS events, count(DISTINCT doc_id) AS docs FROM doc_events GROUP BY stage ORDER BY stage');
    for (const s of perStage) assert.equal(s.events, s.docs, `stage ${String(s.stage)}: one event per document`);
    assert.equal(perStage.find((s) => s.stage === 'ingest')?.docs, UDHR_ARTICLES);
  } finally {
    gate.release();
    await kill9(first.child);
    if (second) await kill9(second.child);
    await connection.close();
  }
});
