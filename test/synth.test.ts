import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ReleaseManifest } from '../schemas/release.js';
import { OpenAiBackend, SynthConfig } from '../schemas/stages/synth.js';
import { runLocal } from '../src/executors/local.js';
import { verifyRelease } from '../src/release/verify.js';
import { ConfigError, loadPipeline } from '../src/pipeline.js';
import { storageFor } from '../src/storage/index.js';
import { ResponseCache } from '../stages/synth/cache.js';
import { ChatClient, ChatRequestError } from '../stages/synth/chat-client.js';
import { checkPair, InstructionDedup, lshShape } from '../stages/synth/gates.js';
import type { SynthPair } from '../stages/synth/index.js';
import { tokenizer } from '../stages/shard/tokenizers.js';
import { query } from './helpers/catalog.js';
import { chatServer, completion, type SeenRequest } from './helpers/chat-server.js';
import { FIXTURES, QUICKSTART, request, tempDir, writePipeline } from './helpers/pipelines.js';

const ARTICLE_1 = 'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.';

async function client(url: string, options: Partial<OpenAiBackend> = {}, windowMs?: number) {
  const dir = await tempDir('synth-cache');
  const backend = OpenAiBackend.parse({ kind: 'openai', base_url: url, model: 'scripted-7b', backoff_ms: 10, ...options });
  return new ChatClient(backend, new ResponseCache(storageFor(dir), dir), windowMs);
}

const ask = (i: number) => [{ role: 'user' as const, content: `Question ${i}: ${ARTICLE_1}` }];

test('a 429 is retried after the Retry-After the server sent, and the retry is counted', async () => {
  const server = await chatServer((r) => (r.n === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'rate limited' } } } : { body: completion('Everyone is born free.') }));
  // With a minute of backoff, only honouring Retry-After brings the retry within the test's time.
  const c = await client(server.url, { backoff_ms: 60_000 });
  const reply = await c.complete(ask(0));
  await server.close();
  assert.equal(reply.content, 'Everyone is born free.');
  assert.equal(server.requests.length, 2);
  assert.ok((server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0) >= 950, 'the retry waited the second Retry-After asked for');
  assert.deepEqual(c.usage.retry_reasons, { http_429: 1 });
});

test('5xx replies are retried with backoff until one succeeds', async () => {
  const server = await chatServer((r) => (r.n < 2 ? { status: r.n === 0 ? 502 : 503, body: 'upstream unavailable' } : { body: completion('ok reply') }));
  const c = await client(server.url);
  assert.equal((await c.complete(ask(0))).content, 'ok reply');
  await server.close();
  assert.equal(server.requests.length, 3);
  assert.deepEqual(c.usage.retry_reasons, { http_502: 1, http_503: 1 });
});

test('a request the server never answers times out and is retried', async () => {
  const server = await chatServer((r) => (r.n === 0 ? { hang: true } : { body: completion('answered the second time') }));
  const c = await client(server.url, { timeout_ms: 300 });
  assert.equal((await c.complete(ask(0))).content, 'answered the second time');
  await server.close();
  assert.deepEqual(c.usage.retry_reasons, { timeout: 1 });
});

test('a malformed JSON body is retried, and a server that never sends valid JSON fails the request after max_retries', async () => {
  const once = await chatServer((r) => (r.n === 0 ? { body: '{"choices": [{"message": {"content": "cut of' } : { body: completion('whole reply') }));
  const c = await client(once.url);
  assert.equal((await c.complete(ask(0))).content, 'whole reply');
  await once.close();
  assert.deepEqual(c.usage.retry_reasons, { malformed_json: 1 });

  const always = await chatServer(() => ({ body: '<html>Bad gateway</html>' }));
  const d = await client(always.url, { max_retries: 2 });
  await assert.rejects(d.complete(ask(0)), /gave up after 3 attempts \(last: malformed_json\)/);
  await always.close();
  assert.equal(always.requests.length, 3);
});

test('a backend whose key variable is unset is a config error naming the variable, not its value', async () => {
  delete process.env.CORPUSFLOW_TEST_UNSET_KEY;
  await assert.rejects(client('http://127.0.0.1:9/v1', { api_key_env: 'CORPUSFLOW_TEST_UNSET_KEY' }), (e: unknown) => e instanceof ConfigError && /CORPUSFLOW_TEST_UNSET_KEY is not set/.test(e.message));
});

test('a 400 is not retried: the request itself is wrong', async () => {
  const server = await chatServer(() => ({ status: 400, body: { error: { message: 'model not found' } } }));
  const c = await client(server.url);
  await assert.rejects(c.complete(ask(0)), (e: unknown) => e instanceof ChatRequestError && /HTTP 400/.test(e.message));
  await server.close();
  assert.equal(server.requests.length, 1);
});

test('no more requests are in flight than the concurrency limit, and the limit is reached', async () => {
  const server = await chatServer(() => ({ body: completion('reply'), delayMs: 40 }));
  const c = await client(server.url, { concurrency: 3 });
  await Promise.all(Array.from({ length: 12 }, (_, i) => c.complete(ask(i))));
  await server.close();
  assert.equal(server.requests.length, 12);
  assert.equal(server.maxInFlight, 3);
  assert.equal(c.usage.max_in_flight, 3);
});

/** The client's "minute" in the rate-limit tests, so the limits show within a test. */
const WINDOW_MS = 1000;
/**
 * The client limits when requests start; the server sees them arrive after a delivery delay that
 * varies (a new loopback connection on a loaded machine: up to ~150 ms), so windows are shortened by this.
 */
const DELIVERY_SLACK_MS = 200;

/** The most request arrivals inside any window of WINDOW_MS less the delivery slack. */
function mostInWindow(requests: SeenRequest[]): number {
  const at = requests.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (const start of at) most = Math.max(most, at.filter((t) => t >= start && t < start + WINDOW_MS - DELIVERY_SLACK_MS).length);
  return most;
}

test('requests per minute hold in every rolling window, retries included', async () => {
  const server = await chatServer((r) => (r.n === 1 ? { status: 500 } : { body: completion('reply') }));
  const c = await client(server.url, { rpm: 4, concurrency: 10 }, WINDOW_MS);
  await Promise.all(Array.from({ length: 10 }, (_, i) => c.complete(ask(i))));
  await server.close();
  assert.equal(server.requests.length, 11);
  assert.equal(mostInWindow(server.requests), 4);
  const span = (server.requests.at(-1)?.at ?? 0) - (server.requests[0]?.at ?? 0);
  assert.ok(span >= 2 * WINDOW_MS - DELIVERY_SLACK_MS, `11 requests at 4 per window need two full windows after the first (took ${Math.round(span)} ms)`);
});

test('tokens per minute hold: a request waits until its prompt and max_tokens fit the window', async () => {
  const server = await chatServer(() => ({ body: completion('reply', { prompt_tokens: 60, completion_tokens: 40 }) }));
  // Each request reserves its estimated prompt (about 51 tokens) + 100 max_tokens, then keeps its
  // actual 100: two reservations fit in 320, a third only once the window has moved on.
  const c = await client(server.url, { tpm: 320, max_tokens: 100, concurrency: 10 }, WINDOW_MS);
  await Promise.all(Array.from({ length: 6 }, (_, i) => c.complete(ask(i))));
  await server.close();
  assert.equal(mostInWindow(server.requests), 2);
  assert.equal(c.usage.prompt_tokens, 6 * 60);
  assert.equal(c.usage.completion_tokens, 6 * 40);
});

test('identical prompts share one request and a second client on the same cache sends none', async () => {
  const server = await chatServer(() => ({ body: completion('cached reply') }));
  const dir = await tempDir('synth-cache');
  const backend = OpenAiBackend.parse({ kind: 'openai', base_url: server.url, model: 'scripted-7b', price: { input_per_mtok: 1, output_per_mtok: 2 } });
  const first = new ChatClient(backend, new ResponseCache(storageFor(dir), dir));
  await Promise.all([first.complete(ask(1)), first.complete(ask(1)), first.complete(ask(2))]);
  assert.equal(server.requests.length, 2);
  assert.equal(first.usage.cost_usd, (2 * 50 * 1 + 2 * 20 * 2) / 1e6);
  const second = new ChatClient({ ...backend, temperature: backend.temperature }, new ResponseCache(storageFor(dir), dir));
  assert.equal((await second.complete(ask(2))).content, 'cached reply');
  assert.equal(server.requests.length, 2);
  assert.equal(second.usage.cache_hits, 1);
  // Other sampling params are another request.
  const hotter = new ChatClient({ ...backend, temperature: 1.2 }, new ResponseCache(storageFor(dir), dir));
  await hotter.complete(ask(2));
  await server.close();
  assert.equal(server.requests.length, 3);
});

test('quality gates drop empty answers, refusals, out-of-bounds lengths and ungrounded answers', () => {
  const gates = SynthConfig.parse({ stage: 'synth' }).gates;
  const q = 'What does Article 1 of the Universal Declaration of Human Rights say?';
  assert.deepEqual(checkPair(q, ARTICLE_1.slice(0, 64), ARTICLE_1, true, gates), { pass: true, grounding: 1 });
  assert.equal(checkPair(q, '   ', ARTICLE_1, true, gates).pass, false);
  const refusal = checkPair(q, "I'm sorry, but I can't help with that request.", ARTICLE_1, true, gates);
  assert.equal(refusal.pass === false && refusal.reason, 'refusal');
  const short = checkPair(q, 'Freedom.', ARTICLE_1, true, gates);
  assert.equal(short.pass === false && short.reason, 'response_too_short');
  const made = checkPair(q, 'The article sets the minimum wage at twelve euros per hour for every worker.', ARTICLE_1, true, gates);
  assert.equal(made.pass === false && made.reason, 'ungrounded');
  assert.equal(checkPair(q, 'The article sets the minimum wage at twelve euros per hour for every worker.', ARTICLE_1, false, gates).pass, true, 'Self-Instruct answers need no grounding');
});

test('near-duplicate instructions are found with the dedup stage\'s MinHash: a reworded ending and a number-only change are caught, other questions kept', () => {
  const dedup = new InstructionDedup(0.7);
  assert.equal(dedup.check('What does Article 1 of the Universal Declaration of Human Rights say?'), null);
  assert.ok((dedup.check('What does Article 1 of the Universal Declaration of Human Rights say about it?') ?? 0) >= 0.7);
  // Digits fold to 0 as in document dedup: a templated question per article is one question.
  assert.equal(dedup.check('What does Article 7 of the Universal Declaration of Human Rights say?'), 1);
  assert.equal(dedup.check('Which rights does Article 3 protect?'), null);
  assert.equal(dedup.check('Which duties does the Declaration place on everyone towards the community?'), null);
});

/** Exact Jaccard of word 3-gram sets, digits folded: what the MinHash estimate stands for. */
function exactJaccard(a: string, b: string): number {
  const grams = (s: string) => {
    const w = s.toLowerCase().replace(/\p{N}/gu, '0').match(/[\p{L}\p{N}]+/gu) ?? [];
    return new Set(w.length < 3 ? [w.join(' ')] : w.slice(2).map((_, i) => w.slice(i, i + 3).join(' ')));
  };
  const x = grams(a);
  const y = grams(b);
  const inter = [...x].filter((g) => y.has(g)).length;
  return inter / (x.size + y.size - inter);
}

test('MinHash instruction dedup agrees with exact Jaccard away from the threshold on UDHR sentences and their edits', async () => {
  assert.deepEqual(lshShape(0.7), { bands: 32, rows: 4 }, '99% of pairs at Jaccard 0.7 meet in a band: 1-(1-0.7^4)^32');
  const sentences = (await readFile(join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz')).then((b) => gunzipSync(b).toString('utf8')))
    .trim().split('\n').flatMap((l) => (JSON.parse(l) as { text: string }).text.split(/(?<=\.)\s+|\n/))
    .map((t) => t.trim()).filter((t) => t.split(' ').length >= 12 && t.split(' ').length <= 40);
  const unique = [...new Set(sentences)];
  assert.ok(unique.length >= 40, `enough sentences (${unique.length})`);
  // Each sentence, then a copy with its last word replaced (high Jaccard) and one with every 4th word replaced (low).
  let checked = 0;
  for (const edit of [(w: string[]) => [...w.slice(0, -1), 'indeed'], (w: string[]) => w.map((x, i) => (i % 4 === 1 ? `word${'x'.repeat(i)}` : x))]) {
    const dedup = new InstructionDedup(0.7);
    const kept: string[] = [];
    for (const s of unique) {
      if (kept.some((k) => exactJaccard(k, s) >= 0.6)) continue; // near-duplicates inside the UDHR itself are not the question here
      assert.equal(dedup.check(s), null, s);
      kept.push(s);
    }
    for (const s of kept) {
      const variant = edit(s.split(' ')).join(' ');
      const exact = Math.max(...kept.map((k) => exactJaccard(k, variant)));
      const found = dedup.check(variant);
      if (exact >= 0.8) assert.ok(found !== null, `missed a duplicate at Jaccard ${exact.toFixed(2)}: ${variant}`);
      if (exact <= 0.55) assert.equal(found, null, `false duplicate at Jaccard ${exact.toFixed(2)}: ${variant}`);
      if (exact >= 0.8 || exact <= 0.55) checked++;
    }
  }
  assert.ok(checked >= 60, `${checked} decisions away from the threshold`);
});

test('a model recipe with the template backend is a config error naming the recipe', async () => {
  const dir = await tempDir('synth-config');
  const file = await writePipeline(dir, { name: 'bad', stages: [{ stage: 'ingest', inputs: [{ uri: 'x.jsonl', format: 'jsonl' }] }, { stage: 'synth', recipes: ['lead_summary', 'qa'] }, { stage: 'shard' }] });
  await assert.rejects(loadPipeline(file), /stages\[1\]\.recipes\[1\]: recipe qa needs a model/);
});

test('custom recipes from the pipeline config are checked: placeholders, the document in the prompt, names, seeds and the backend, each error naming its path', async () => {
  const dir = await tempDir('synth-custom-config');
  const backend = { kind: 'openai', base_url: 'http://127.0.0.1:9/v1', model: 'm' };
  const errorsOf = async (synth: object) => {
    const file = await writePipeline(dir, { name: 'custom', stages: [{ stage: 'ingest', inputs: [{ uri: 'x.jsonl', format: 'jsonl' }] }, { stage: 'synth', backend, ...synth }, { stage: 'shard' }] });
    return loadPipeline(file).then(() => '', (e: unknown) => (e instanceof ConfigError ? e.message : String(e)));
  };
  const glossary = { user: 'List the terms the text defines.\n\n{{text}}', instruction: 'Define the terms used in the following text.\n\n{{text}}' };
  assert.equal(await errorsOf({ recipes: ['glossary'], custom_recipes: { glossary } }), '');
  assert.match(await errorsOf({ recipes: ['glossary'], custom_recipes: { glossary: { ...glossary, user: 'Terms of {{source}}: {{text}}' } } }),
    /stages\[1\]\.custom_recipes\.glossary\.user: unknown placeholder \{\{source\}\}: use \{\{text\}\} or \{\{seeds\}\}/);
  assert.match(await errorsOf({ recipes: ['glossary'], custom_recipes: { glossary: { ...glossary, user: 'List some terms.' } } }), /custom_recipes\.glossary\.user: the prompt must include the document as \{\{text\}\}/);
  assert.match(await errorsOf({ recipes: ['glossary'], custom_recipes: { glossary: { ...glossary, instruction: 'Define {{seeds}}' } } }), /custom_recipes\.glossary\.instruction: unknown placeholder \{\{seeds\}\}: use \{\{text\}\}/);
  assert.match(await errorsOf({ recipes: ['glossary'], custom_recipes: { glossary: { user: glossary.user } } }), /custom_recipes\.glossary\.instruction: reply: text needs the instruction/);
  assert.match(await errorsOf({ recipes: ['qa'], custom_recipes: { qa: glossary } }), /custom_recipes\.qa: qa is a built-in recipe/);
  assert.match(await errorsOf({ recipes: ['glosary'], custom_recipes: { glossary } }), /recipes\[0\]: unknown recipe glosary: use one of qa, .* or define it under custom_recipes/);
  assert.match(await errorsOf({ recipes: ['glossary'], custom_recipes: { glossary: { ...glossary, user: 'Like these:\n{{seeds}}\n\n{{text}}' } } }), /seed_tasks: the glossary recipe needs seed tasks/);
  assert.match(await errorsOf({ backend: { kind: 'template' }, recipes: ['glossary'], custom_recipes: { glossary } }), /recipes\[0\]: recipe glossary needs a model/);
});

test('a custom recipe sends its own prompt, and its pairs name it with its version and the hash of its wording', async () => {
  const server = await chatServer((r) => ({ body: completion(firstSentence((r.body.messages.at(-1)?.content ?? '').split('\n').slice(3).join(' '))) }));
  const dir = await tempDir('synth-custom');
  const glossary = { version: 2, system: 'You explain legal texts.', user: 'Restate the first sentence of this article.\n\n{{text}}', instruction: 'Restate the first sentence of the following article.\n\n{{text}}' };
  const file = await writePipeline(dir, {
    name: 'synth-custom',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'synth', recipes: ['restate'], custom_recipes: { restate: glossary }, backend: { kind: 'openai', base_url: server.url, model: 'scripted-7b' }, min_source_chars: 100 },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(file, join(dir, 'out'), 'custom'));
  await server.close();
  const first = server.requests[0]?.body.messages;
  assert.equal(first?.[0]?.content, 'You explain legal texts.');
  assert.match(first?.[1]?.content ?? '', /^Restate the first sentence of this article\.\n\n(Preamble|Article \d+)\n/);
  const pairs = (await readFile(join(summary.release_dir, 'synth', 'pairs-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SynthPair);
  assert.ok(pairs.length >= 20, `${pairs.length} pairs`);
  const wording = createHash('sha256').update(JSON.stringify([glossary.system, glossary.user, glossary.instruction, false])).digest('hex').slice(0, 12);
  for (const p of pairs) {
    assert.equal(p.recipe, 'restate');
    assert.equal(p.template, `restate@v2:${wording}`);
    assert.match(p.messages[0].content, /^Restate the first sentence of the following article\.\n\n/);
  }
});

const firstSentence = (text: string) => /[^.]*\./.exec(text.trim())?.[0]?.trim() ?? text;

/** Answers like a model would: qa as JSON, summaries as prose, both taken from the text; one refusal, one answer in German. */
function scriptedModel(r: SeenRequest) {
  const user = r.body.messages.at(-1)?.content ?? '';
  const text = user.includes('Text:\n') ? user.slice(user.indexOf('Text:\n') + 6) : user.slice(user.indexOf('\n\n') + 2);
  const [heading = '', ...rest] = text.split('\n');
  const answer = firstSentence(rest.join(' '));
  // A question per article that differs only in its number would be one near-duplicate question: quote the article's end instead.
  const ending = rest.join(' ').split(/\s+/).slice(-14).join(' ');
  if (user.startsWith('Read the text below')) return { body: completion(`\`\`\`json\n${JSON.stringify({ instruction: `Which article ends with the words "${ending}"?`, response: `${heading}: ${answer}` })}\n\`\`\``) };
  if (heading === 'Article 30') return { body: completion("I'm sorry, but I can't summarize this text.") };
  if (heading === 'Article 29') return { body: completion('Jeder Mensch hat Pflichten gegenüber der Gemeinschaft, in der allein die freie und volle Entfaltung seiner Persönlichkeit möglich ist.') };
  return { body: completion(answer), delayMs: 5 };
}

test('a pipeline run writes chat-format pairs with provenance, keeps the API key out of every file, and a rerun sends no request', async () => {
  const server = await chatServer(scriptedModel);
  const dir = await tempDir('synth-run');
  process.env.CORPUSFLOW_TEST_SYNTH_KEY = 'sk-test-0123456789abcdef';
  const file = await writePipeline(dir, {
    name: 'synth-test',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'langid' },
      { stage: 'synth', recipes: ['qa', 'summarize', 'title_body'], backend: { kind: 'openai', base_url: server.url, model: 'scripted-7b', api_key_env: 'CORPUSFLOW_TEST_SYNTH_KEY', concurrency: 4 }, min_source_chars: 100 },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const out = join(dir, 'out');
  const first = await runLocal(await request(file, out, 'synth-1'));
  const paid = server.requests.length;
  assert.ok(paid > 20, `the model was asked per document and recipe (${paid} requests)`);
  assert.ok(server.requests.every((r) => r.headers.authorization === 'Bearer sk-test-0123456789abcdef' && r.body.model === 'scripted-7b'));

  const readPairs = async (releaseDir: string) => {
    const files = (await readdir(join(releaseDir, 'synth'))).sort();
    const text = (await Promise.all(files.map((f) => readFile(join(releaseDir, 'synth', f), 'utf8')))).join('');
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SynthPair);
  };
  const pairs = await readPairs(first.release_dir);
  const recipes = new Set(pairs.map((p) => p.recipe));
  assert.deepEqual([...recipes].sort(), ['qa', 'summarize', 'title_body']);
  for (const p of pairs) {
    assert.deepEqual(p.messages.map((m) => m.role), ['user', 'assistant']);
    assert.match(p.template, new RegExp(`^${p.recipe}@v1:[0-9a-f]{12}$`));
    if (p.recipe === 'title_body') assert.equal(p.generator, 'template');
    else {
      assert.equal(p.generator, 'scripted-7b');
      assert.match(p.cache_key ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(p.params, { temperature: 0.7, max_tokens: 512 });
    }
  }
  assert.ok(!pairs.some((p) => p.recipe === 'summarize' && p.messages[0].content.includes('Article 30\n')), 'the refusal was dropped');

  const db = join(first.release_dir, 'provenance.duckdb');
  const rows = await query(db, 'SELECT synth_doc_id, source_doc_id, generator, template FROM synth_pairs ORDER BY synth_doc_id');
  assert.deepEqual(rows.map((r) => r.synth_doc_id), pairs.map((p) => p.id).sort());
  const orphans = await query(db, 'SELECT count(*) AS n FROM synth_pairs p LEFT JOIN documents d ON d.doc_id = p.source_doc_id WHERE d.doc_id IS NULL');
  assert.equal(Number(orphans[0]?.n), 0, 'every pair names a source document of the run');
  const results = JSON.parse(await readFile(join(out, 'runs', 'synth-1', '02-synth', 'generate', 'results', '00000.json'), 'utf8')) as { stats: { synth: { rejected: Record<string, number>; usage: { requests: number } } } };
  // Digits fold to 0 as in document dedup, so "Article 2" repeats "Article 1" and "Article 11" repeats "Article 10".
  const titledArticle = (p: SynthPair) => /^Write an article titled "Article \d+"\.$/.test(p.messages[0].content);
  const rejectedPairs = (await readFile(join(out, 'runs', 'synth-1', '02-synth', 'rejected-pairs', 'pairs-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SynthPair & { reason: string });
  const nearDuplicates = rejectedPairs.filter((p) => p.reason === 'near_duplicate_instruction');
  assert.ok(nearDuplicates.length >= 20 && nearDuplicates.every(titledArticle), 'the near-duplicates are the numbered titles');
  assert.deepEqual(pairs.filter(titledArticle).map((p) => p.messages[0].content), ['Write an article titled "Article 1".', 'Write an article titled "Article 10".']);
  assert.deepEqual(results.stats.synth.rejected, { refusal: 1, lang_mismatch: 1, near_duplicate_instruction: nearDuplicates.length });

  const card = await readFile(join(first.release_dir, 'DATACARD.md'), 'utf8');
  const modelPairs = pairs.filter((p) => p.generator !== 'template').length;
  assert.match(card, new RegExp(`${pairs.length} synthetic documents .*? ${modelPairs} of them \\(\\d+(\\.\\d+)?%\\) were written by a model`));

  const everyFile = async (d: string): Promise<string[]> => (await readdir(d, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  for (const f of await everyFile(out)) assert.ok(!(await readFile(f)).includes('sk-test-0123456789abcdef'), `${f} holds no API key`);

  const second = await runLocal(await request(file, out, 'synth-2'));
  await server.close();
  assert.equal(server.requests.length, paid, 'the rerun was answered from the cache');
  assert.deepEqual((await readPairs(second.release_dir)).map((p) => p.id), pairs.map((p) => p.id));
});

test('the template backend makes pairs without a model: title to body', async () => {
  const dir = await tempDir('synth-template');
  const file = await writePipeline(dir, {
    name: 'synth-template',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'synth', min_source_chars: 100 },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(file, join(dir, 'out'), 'tmpl'));
  const text = await readFile(join(summary.release_dir, 'synth', 'pairs-00000.jsonl'), 'utf8');
  const pairs = text.trim().split('\n').map((l) => JSON.parse(l) as SynthPair);
  const article1 = pairs.find((p) => p.messages[0].content === 'Write an article titled "Article 1".');
  assert.equal(article1?.messages[1].content, ARTICLE_1);
  assert.ok(pairs.every((p) => p.generator === 'template' && p.cache_key === null));
});

test('tokenized pair shards carry a loss mask that covers exactly the response and its EOS', async () => {
  const dir = await tempDir('synth-shards');
  const file = await writePipeline(dir, {
    name: 'synth-shards',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'synth', min_source_chars: 100, shards: { samples_per_shard: 16 } },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(file, join(dir, 'out'), 'shards'));
  const pairs = (await readFile(join(summary.release_dir, 'synth', 'pairs-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SynthPair);
  const tars = (await readdir(join(summary.release_dir, 'synth', 'shards'))).sort();
  assert.equal(tars.length, Math.ceil(pairs.length / 16));
  const members = untar(await readFile(join(summary.release_dir, 'synth', 'shards', tars[0] ?? '')));
  const first = pairs[0];
  assert.ok(first);
  const ids = npyValues(members.get(`${first.id}.tokens.npy`));
  const mask = npyValues(members.get(`${first.id}.loss_mask.npy`));
  const tok = await tokenizer('cl100k_base');
  const response = [...tok.encode(first.messages[1].content), tok.eos_id];
  assert.equal(ids.length, mask.length);
  assert.deepEqual(ids.slice(ids.length - response.length), response);
  assert.deepEqual(mask, [...Array<number>(ids.length - response.length).fill(0), ...Array<number>(response.length).fill(1)]);
});

test('pairs are also written as Parquet with messages as a list of role/content structs, holding the same rows as the JSON lines', async () => {
  const dir = await tempDir('synth-parquet');
  const file = await writePipeline(dir, {
    name: 'synth-parquet',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'synth', min_source_chars: 100, formats: ['jsonl', 'parquet'], shards: { samples_per_shard: 16 } },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(file, join(dir, 'out'), 'parquet'));
  const jsonl = (await readFile(join(summary.release_dir, 'synth', 'pairs-00000.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SynthPair);
  const parquet = join(summary.release_dir, 'synth', 'pairs-00000.parquet');
  // Read by a DuckDB of the test's own, not through the stage's writer.
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const types = (await conn.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${parquet}'))`)).getRowObjectsJS();
    assert.deepEqual(Object.fromEntries(types.map((t) => [t.column_name, t.column_type])), {
      id: 'VARCHAR', messages: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]', source_doc_id: 'VARCHAR', recipe: 'VARCHAR', generator: 'VARCHAR',
      template: 'VARCHAR', params: 'MAP(VARCHAR, DOUBLE)', cache_key: 'VARCHAR', grounding: 'DOUBLE',
    });
    const rows = (await conn.runAndReadAll(`SELECT id, messages[1].role AS r1, messages[1].content AS user, messages[2].role AS r2, messages[2].content AS assistant, source_doc_id, template, grounding FROM read_parquet('${parquet}')`)).getRowObjectsJS();
    assert.ok(jsonl.length >= 5, `${jsonl.length} pairs`);
    assert.deepEqual(rows, jsonl.map((p) => ({ id: p.id, r1: 'user', user: p.messages[0].content, r2: 'assistant', assistant: p.messages[1].content, source_doc_id: p.source_doc_id, template: p.template, grounding: p.grounding })));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

test('every synth file is in the release manifest with its sha256, and verify names a synth file that changed', async () => {
  const dir = await tempDir('synth-manifest');
  const file = await writePipeline(dir, {
    name: 'synth-manifest',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'quickstart', 'udhr-en.jsonl.gz'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'synth', min_source_chars: 100, formats: ['jsonl', 'parquet'], shards: { samples_per_shard: 16 } },
      { stage: 'shard', seq_len: 256, samples_per_shard: 8 },
    ],
  });
  const summary = await runLocal(await request(file, join(dir, 'out'), 'manifest'));
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(summary.release_dir, 'manifest.json'), 'utf8')));
  const synth = manifest.synth;
  assert.ok(synth);
  const onDisk = (await readdir(join(summary.release_dir, 'synth'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(summary.release_dir, join(e.parentPath, e.name))).sort();
  assert.deepEqual([...synth.files, ...synth.shards].map((f) => f.name).sort(), onDisk);
  for (const f of [...synth.files, ...synth.shards]) {
    const bytes = await readFile(join(summary.release_dir, f.name));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, f.name);
    assert.equal(bytes.length, f.bytes);
  }
  assert.deepEqual(synth.files.map((f) => f.rows), [synth.pairs, synth.pairs]);
  assert.equal(synth.shards.reduce((n, s) => n + s.samples, 0), synth.pairs);
  assert.deepEqual((await verifyRelease(summary.release_dir)).problems, []);

  const jsonl = join(summary.release_dir, 'synth', 'pairs-00000.jsonl');
  await writeFile(jsonl, (await readFile(jsonl, 'utf8')).replace('Article 1', 'Article I'));
  assert.deepEqual((await verifyRelease(summary.release_dir)).problems.map((p) => p.replace(/[0-9a-f]{64}/g, '<sha>')), ['synth/pairs-00000.jsonl: sha256 <sha>, manifest says <sha>']);

  // A pipeline without synth keeps the manifest it had: no synth key at all.
  const plain = JSON.parse(await readFile(join((await runLocal(await request(QUICKSTART, join(dir, 'plain'), 'plain'))).release_dir, 'manifest.json'), 'utf8')) as object;
  assert.equal('synth' in plain, false);
});

/** Members of an uncompressed ustar archive by name. */
function untar(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= buf.length;) {
    const name = buf.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(buf.subarray(at + 124, at + 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    out.set(name, buf.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** The values of a 1-D little-endian uint16 or uint32 .npy array. */
function npyValues(buf: Buffer | undefined): number[] {
  assert.ok(buf);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLen).toString('latin1');
  const data = buf.subarray(10 + headerLen);
  const wide = header.includes("'<u4'");
  return Array.from({ length: data.length / (wide ? 4 : 2) }, (_, i) => (wide ? data.readUInt32LE(i * 4) : data.readUInt16LE(i * 2)));
}
