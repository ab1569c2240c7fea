import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { submitRun } from '../temporal/client.js';
import { chatServer, completion, type SeenRequest } from './helpers/chat-server.js';
import { FIXTURES, ROOT, request, tempDir, writePipeline } from './helpers/pipelines.js';
import { taskPlacements, withTemporalWorker } from './helpers/temporal.js';

const RUN_QUEUE = 'corpusflow-synth-run';
const LLM_QUEUE = 'corpusflow-llm';
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

const temporal = withTemporalWorker(RUN_QUEUE, 1);

/** Summaries as a model would write them: the article's first sentence. */
function summarizer(r: SeenRequest) {
  const user = r.body.messages.at(-1)?.content ?? '';
  const body = user.slice(user.indexOf('\n\n') + 2).split('\n').slice(1).join(' ');
  return { body: completion(/[^.]*\./.exec(body)?.[0]?.trim() ?? body) };
}

test('synth tasks run on the LLM task queue, on a worker started for that queue alone, while the other stages stay on the run queue', async () => {
  const chat = await chatServer(summarizer);
  const dir = await tempDir('synth-queue');
  const pipeline = await writePipeline(dir, {
    name: 'synth-queue',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'synth', recipes: ['summarize'], backend: { kind: 'openai', base_url: chat.url, model: 'scripted-7b', concurrency: 4 }, min_source_chars: 100, task_queue: LLM_QUEUE },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const llm = spawn('node', [CLI, 'worker', '--address', temporal.server.address, '--task-queue', LLM_QUEUE, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const connection = await Connection.connect({ address: temporal.server.address });
  try {
    await new Promise<void>((resolve, reject) => {
      llm.stderr.on('data', (d: Buffer) => d.toString().includes('corpusflow worker on') && resolve());
      llm.once('exit', (code) => reject(new Error(`the LLM worker exited with ${code}`)));
    });
    const summary = await submitRun(await request(pipeline, join(dir, 'out'), 'synth-queue-run'), { address: temporal.server.address, namespace: 'default', taskQueue: RUN_QUEUE });
    assert.ok(chat.requests.length >= 20, `the model was asked per document (${chat.requests.length} requests)`);

    const client = new Client({ connection });
    const ran = await taskPlacements(client, summary.run_id);
    const synth = ran.filter((t) => t.stage === 1);
    assert.deepEqual(synth, [{ stage: 1, queue: LLM_QUEUE, worker: `${llm.pid}@${hostname()} ${LLM_QUEUE}` }]);
    const others = ran.filter((t) => t.stage !== 1);
    assert.ok(others.some((t) => t.stage === 0) && others.some((t) => t.stage === 2), 'ingest and shard tasks are in the run history');
    for (const t of others) assert.deepEqual([t.queue, t.worker], [RUN_QUEUE, `${process.pid}@${hostname()} ${RUN_QUEUE}`], `stage ${t.stage} ran on the run queue's worker`);
  } finally {
    await connection.close();
    await chat.close();
    llm.kill('SIGTERM');
    await new Promise((resolve) => (llm.exitCode === null ? llm.once('exit', resolve) : resolve(null)));
  }
});
