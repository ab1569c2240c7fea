import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { RunSummary } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { resetStorageCache, storageFor } from '../src/storage/index.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { pipelineRun } from '../temporal/workflows.js';
import { query } from './helpers/catalog.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';
import { startS3ForRuns, type S3Server } from './helpers/s3-server.js';
import { temporalBin } from './helpers/temporal.js';
import { kill9, releaseFiles, spawnWorker, type WorkerProcess } from './helpers/worker-process.js';
import { fleetPipeline, UDHR_ARTICLES, udhrInputs } from './helpers/udhr-inputs.js';

// 120 ingest + 120 langid tasks + the shard stage (241+ tasks): long enough that every kill lands mid-run.
const INPUT_FILES = 120;
const WORKERS = 3;
const TASK_QUEUE = 'corpusflow-fault';
// Each kill stalls the dead worker's tasks for the 10 s heartbeat timeout; six keep the test short.
const MAX_KILLS = 6;

let s3: S3Server;
let server: DevServer;

before(async () => {
  // Worker processes inherit the environment it sets, so every worker shares the one S3 endpoint.
  s3 = await startS3ForRuns('corpus');
  for (const { name, text } of await udhrInputs(INPUT_FILES)) await storageFor(`s3://corpus/in/${name}`).write(`s3://corpus/in/${name}`, text);
  server = await startDevServer(temporalBin());
});

after(async () => {
  await server.stop();
  resetStorageCache();
  await s3.stop();
});

/** Events per stage, and how many (document, stage) pairs have more than one. */
async function eventCounts(db: string): Promise<{ perStage: Record<string, unknown>[]; duplicates: number; missing: number }> {
  const perStage = await query(db, 'SELECT stage, count(*) AS events, count(DISTINCT doc_id) AS docs FROM doc_events GROUP BY stage ORDER BY stage');
  const [dup] = await query(db, 'SELECT count(*) AS n FROM (SELECT doc_id, stage FROM doc_events GROUP BY ALL HAVING count(*) > 1)');
  const [miss] = await query(db, "SELECT count(*) AS n FROM documents d WHERE NOT EXISTS (SELECT 1 FROM doc_events e WHERE e.doc_id = d.doc_id AND e.stage = 'ingest')");
  return { perStage, duplicates: Number(dup?.n), missing: Number(miss?.n) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 of workers and a Temporal server restart mid-run leave the release byte-identical, with one event per document per stage', async () => {
  const dir = await tempDir('fault');
  const pipeline = await writePipeline(dir, fleetPipeline('fault', 's3://corpus/in/*.jsonl'));
  const reference = await runLocal(await request(pipeline, 's3://corpus/local', 'fault-local'), { threads: 1 });
  assert.ok(reference.stages.find((s) => s.name === 'ingest')?.docs_in === UDHR_ARTICLES, 'all UDHR articles read');

  const log: string[] = [];
  const workers = Array.from({ length: WORKERS }, () => spawnWorker(server.address, TASK_QUEUE, log));
  let connection = await Connection.connect({ address: server.address });
  let finished = false;
  let kills = 0;
  let serverRestarts = 0;
  try {
    const client = new Client({ connection });
    const req = await request(pipeline, 's3://corpus/fleet', 'fault-fleet');
    await client.workflow.start(pipelineRun, { taskQueue: TASK_QUEUE, workflowId: req.run_id, args: [req] });

    const chaos = (async () => {
      // Every 3-5 s, kill -9 a random worker that is up and start a new one in its place; after
      // the second kill, stop the server and start it again on the same SQLite file and port.
      while (!finished && kills < MAX_KILLS) {
        await sleep(3000 + Math.random() * 2000);
        const i = Math.floor(Math.random() * WORKERS);
        const victim = workers[i] as WorkerProcess;
        await victim.ready;
        if (finished) break;
        await kill9(victim.child);
        kills++;
        workers[i] = spawnWorker(server.address, TASK_QUEUE, log);
        if (kills === 2 && !finished) {
          await server.stop();
          server = await startDevServer(temporalBin(), { port: server.port, db: server.db });
          serverRestarts++;
        }
      }
    })();

    // The result poll outlives the server restart: a lost connection is retried, a failed workflow is not.
    let summary: RunSummary | null = null;
    while (!summary) {
      try {
        summary = RunSummary.parse(await new Client({ connection }).workflow.getHandle(req.run_id).result());
      } catch (err) {
        if (err instanceof WorkflowFailedError) throw err;
        await sleep(500);
        await connection.close().catch(() => undefined);
        connection = await Connection.connect({ address: server.address }).catch(() => connection);
      }
    }
    finished = true;
    await chaos;

    assert.ok(kills >= 3, `workers were killed ${kills} times during the run`);
    assert.equal(serverRestarts, 1, 'the server was restarted once during the run');
    assert.deepEqual(summary.stages, reference.stages);

    const fleet = await releaseFiles(summary.release_dir);
    const local = await releaseFiles(reference.release_dir);
    assert.deepEqual([...fleet.keys()].sort(), [...local.keys()].sort());
    assert.ok(fleet.has('manifest.json') && [...fleet.keys()].some((k) => k.startsWith('shards/')));
    for (const [name, bytes] of fleet) {
      // provenance.duckdb records run ids and timings; its contents are compared below instead.
      if (name !== 'provenance.duckdb') assert.ok(bytes.equals(local.get(name) as Buffer), `${name} differs from the uninterrupted run`);
    }

    const fleetDb = join(dir, 'fleet.duckdb');
    const localDb = join(dir, 'local.duckdb');
    await writeFile(fleetDb, fleet.get('provenance.duckdb') as Buffer);
    await writeFile(localDb, local.get('provenance.duckdb') as Buffer);
    const got = await eventCounts(fleetDb);
    assert.equal(got.duplicates, 0, 'no document has two events in one stage');
    assert.equal(got.missing, 0, 'every document has its ingest event');
    for (const s of got.perStage) assert.equal(s.events, s.docs, `stage ${String(s.stage)}: one event per document`);
    assert.deepEqual(got.perStage, (await eventCounts(localDb)).perStage);
  } finally {
    finished = true;
    await Promise.all(workers.map((w) => kill9(w.child)));
    await connection.close().catch(() => undefined);
  }
});
