/**
 * make bench B=synth: the synth stage against a loopback OpenAI-compatible server that answers every
 * request after a fixed latency. Reports pairs per second of the stage's task, the concurrency limit
 * and the most requests the server saw at once (must equal the limit: no more, and no less when
 * work is queued), then reruns on the same output root and counts the requests the cache saved.
 * With a fixed latency L and a limit C, no client can exceed C / L requests per second: the
 * figure to read is how close the stage gets to that ceiling.
 * Run: make bench B=synth   (BENCH_SYNTH_DOCS, BENCH_SYNTH_LATENCY_MS, BENCH_SYNTH_CONCURRENCY)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { runLocal } from '../src/executors/local.js';
import { chatServer, completion, type SeenRequest } from '../test/helpers/chat-server.js';
import { FIXTURES, request, tempDir, writePipeline } from '../test/helpers/pipelines.js';

const DOCS = Number(process.env.BENCH_SYNTH_DOCS ?? 1500);
const LATENCY_MS = Number(process.env.BENCH_SYNTH_LATENCY_MS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_SYNTH_CONCURRENCY ?? 32);
const RECIPES = ['qa', 'summarize'];

/**
 * Documents of five sentences drawn (seeded) from the UDHR in one language: realistic prose, and
 * few enough shared sentences that the near-duplicate gate passes most prompts.
 */
async function corpus(dir: string): Promise<string> {
  const pools = ['en', 'de', 'ar'].map((l) => gunzipSync(readFileSync(join(FIXTURES, 'quickstart', `udhr-${l}.jsonl.gz`))).toString('utf8').trim().split('\n')
    .flatMap((line) => (JSON.parse(line) as { text: string }).text.split('\n').slice(1))
    .flatMap((p) => p.split(/(?<=[.;])\s+/))
    .filter((s) => s.length >= 40));
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const lines: string[] = [];
  for (let i = 0; i < DOCS; i++) {
    const pool = pools[i % pools.length] ?? [];
    const sentences = Array.from({ length: 5 }, () => pool[next() % pool.length] ?? '');
    lines.push(JSON.stringify({ id: `udhr-mix-${i}`, text: `Compilation ${i}\n${sentences.slice(0, 2).join(' ')}\n\n${sentences.slice(2, 4).join(' ')}\n\n${sentences[4]}` }));
  }
  const file = join(dir, 'udhr.jsonl');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const firstWords = (s: string, n: number) => s.split(/\s+/).slice(0, n).join(' ');

/** A model that answers from the prompt's text: its first sentence; for qa, as JSON with a question on the other two articles. */
function model(r: SeenRequest) {
  const user = r.body.messages.at(-1)?.content ?? '';
  const text = user.includes('Text:\n') ? user.slice(user.indexOf('Text:\n') + 6) : user.slice(user.indexOf('\n\n') + 2);
  const paragraphs = text.split('\n\n');
  const answer = (/[^.!?]*[.!?]/.exec(text.split('\n').slice(1).join(' '))?.[0] ?? text).trim();
  const question = `What does the text say after "${firstWords(paragraphs[1] ?? '', 8)}" and "${firstWords(paragraphs[2] ?? '', 8)}"?`;
  const content = user.startsWith('Read the text below') ? JSON.stringify({ instruction: question, response: answer }) : answer;
  return { body: completion(content), delayMs: LATENCY_MS };
}

async function synthTask(out: string, runId: string): Promise<{ seconds: number; pairs: number; requests: number; cache_hits: number }> {
  const result = JSON.parse(await readFile(join(out, 'runs', runId, '01-synth', 'generate', 'results', '00000.json'), 'utf8')) as {
    seconds: number; stats: { synth: { pairs: number; usage: { requests: number; cache_hits: number } } };
  };
  return { seconds: result.seconds, pairs: result.stats.synth.pairs, requests: result.stats.synth.usage.requests, cache_hits: result.stats.synth.usage.cache_hits };
}

const dir = await tempDir('bench-synth');
const server = await chatServer(model);
const pipeline = await writePipeline(dir, {
  name: 'bench-synth',
  stages: [
    { stage: 'ingest', inputs: [{ uri: await corpus(dir), format: 'jsonl', id_field: 'id' }] },
    { stage: 'synth', recipes: RECIPES, min_source_chars: 50, backend: { kind: 'openai', base_url: server.url, model: 'bench-7b', concurrency: CONCURRENCY } },
    { stage: 'shard', seq_len: 2048, samples_per_shard: 256 },
  ],
});
const out = join(dir, 'out');
await runLocal(await request(pipeline, out, 'first'));
const first = await synthTask(out, 'first');
const served = server.requests.length;
const maxInFlight = server.maxInFlight;
await runLocal(await request(pipeline, out, 'rerun'));
const rerun = await synthTask(out, 'rerun');
const rerunRequests = server.requests.length - served;
await server.close();

const pairsPerS = Math.round((first.pairs / first.seconds) * 10) / 10;
const ceiling = Math.round((CONCURRENCY * 1000) / LATENCY_MS);
console.log(`synth: ${first.pairs} pairs from ${first.requests} requests in ${first.seconds} s (${pairsPerS} pairs/s); ` +
  `server saw at most ${maxInFlight} in flight (limit ${CONCURRENCY}); request ceiling ${ceiling}/s at ${LATENCY_MS} ms; ` +
  `rerun: ${rerunRequests} requests, ${rerun.cache_hits} cache hits, ${rerun.seconds} s`);
console.log(JSON.stringify({
  bench: 'synth', unit: 'pairs/s', ours: pairsPerS, peers: {}, ratios: {}, targets: {},
  pairs: first.pairs, pairs_per_s: pairsPerS, concurrency_limit: CONCURRENCY, max_in_flight: maxInFlight,
  requests: first.requests, requests_per_s: Math.round((first.requests / first.seconds) * 10) / 10, request_ceiling_per_s: ceiling,
  latency_ms: LATENCY_MS, docs: DOCS, recipes: RECIPES,
  rerun_requests: rerunRequests, rerun_cache_hits: rerun.cache_hits, rerun_seconds: rerun.seconds,
}));
