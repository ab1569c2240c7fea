import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, test } from 'node:test';
import { DecontamConfig } from '../schemas/stages/decontam.js';
import { runLocal } from '../src/executors/local.js';
import { storageFor } from '../src/storage/index.js';
import { loadIndex } from '../stages/decontam/ngrams.js';
import { query } from './helpers/catalog.js';
import { FIXTURES, request, tempDir, writePipeline } from './helpers/pipelines.js';

const SCIENCE_QA = join(FIXTURES, 'benchmarks', 'science-qa.jsonl');
interface Item { id: string; question: string; choices: string[]; answer: string }

/** Words as a reader counts them: the test's own split, sharing no code with the stage. */
const words = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** The first 19 words of the reading benchmark's passage, as a document quotes them. */
const LIGHTHOUSE = 'the lighthouse keeper climbed the one hundred and twelve steps every evening at dusk to light the great lamp';

let items: Item[];
let dir: string;
let db: string;
let summary: Awaited<ReturnType<typeof runLocal>>;

async function runDecontam(name: string, docs: { id: string; text: string }[], extra: object) {
  const corpus = join(dir, `${name}.jsonl`);
  await writeFile(corpus, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  // A second benchmark with another field layout, written next to the pipeline and named relative to it.
  await writeFile(join(dir, 'reading.jsonl'), JSON.stringify({ passage: 'The lighthouse keeper climbed the one hundred and twelve steps every evening at dusk to light the great lamp that warned ships away from the rocks.', q: 'Why did the keeper climb the steps?' }) + '\n');
  const pipeline = await writePipeline(dir, {
    name: 'decontam-test',
    stages: [
      { stage: 'ingest', task_bytes: 4096, inputs: [{ uri: corpus, format: 'jsonl', id_field: 'id' }] },
      {
        stage: 'decontam',
        benchmarks: [
          { name: 'science-qa', uri: relative(dir, SCIENCE_QA), fields: ['question', 'choices', 'answer'] },
          { name: 'reading', uri: 'reading.jsonl', fields: ['passage', 'q'] },
        ],
        ...extra,
      },
      { stage: 'shard', seq_len: 4096 },
    ],
  });
  return runLocal(await request(pipeline, join(dir, `out-${name}`), name), { threads: 2 });
}

function corpus(): { id: string; text: string }[] {
  const [q3, q8] = [items[2] as Item, items[7] as Item];
  const q3Words = q3.question.split(' ');
  return [
    // A homework forum copying one question verbatim, then unrelated replies.
    { id: 'forum-copy', text: `Homework help thread\n\n${q3.question}\n\nReply: I think it has to do with gravity but I am not sure, can someone check my work before Friday?` },
    // The same question in capitals with punctuation changed: still the same words.
    { id: 'shouted-copy', text: `QUIZ!!! ${q3.question.toUpperCase().replaceAll(',', ' ;').replaceAll('?', '...')} ANSWERS BELOW` },
    // A question with its options and answer, and a passage of the reading benchmark: science-qa shares more n-grams.
    { id: 'two-benchmarks', text: `${q8.question} ${q8.choices.join(' ')} ${q8.answer}\nAlso: ${LIGHTHOUSE}.` },
    // Twelve consecutive words of a question: one short of a 13-gram.
    { id: 'twelve-words', text: `Notes from class: ${q3Words.slice(0, 12).join(' ')} and then we talked about lunch plans for the trip.` },
    // A paraphrase of a question: the same topic and many of the same words, no 13 in a row.
    { id: 'paraphrase', text: 'If you drop a ball off a school roof, its kinetic energy goes up while its potential energy goes down as it falls to the ground.' },
  ];
}

before(async () => {
  items = (await readFile(SCIENCE_QA, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Item);
  dir = await tempDir('decontam');
  summary = await runDecontam('drop', corpus(), {});
  db = join(summary.release_dir, 'provenance.duckdb');
});

test('the decontam config needs a benchmark and names the path of a bad one', () => {
  assert.deepEqual(DecontamConfig.safeParse({ stage: 'decontam', benchmarks: [] }).error?.issues[0]?.path, ['benchmarks']);
  const bad = DecontamConfig.safeParse({ stage: 'decontam', benchmarks: [{ name: 'Bad Name', uri: 'x.jsonl', fields: ['q'] }] });
  assert.deepEqual(bad.error?.issues[0]?.path, ['benchmarks', 0, 'name']);
  assert.equal(DecontamConfig.parse({ stage: 'decontam', benchmarks: [{ name: 'x', uri: 'x.jsonl', fields: ['q'] }] }).ngram, 13);
});

test('documents sharing a 13-gram with a benchmark are dropped with a reason naming the benchmark and the n-gram count', async () => {
  const rows = await query(db, `
    SELECT d.record_id, e.action, e.reason, json_extract_string(e.detail, '$.benchmark') AS benchmark,
           CAST(json_extract(e.detail, '$.matching_ngrams') AS INTEGER) AS ngrams, json_extract(e.detail, '$.benchmarks') AS benchmarks
    FROM doc_events e JOIN documents d USING (doc_id) WHERE e.stage = 'decontam' ORDER BY d.record_id`);
  const by = new Map(rows.map((r) => [String(r.record_id), r]));
  const q3 = words((items[2] as Item).question).length;
  assert.equal(by.get('forum-copy')?.reason, 'contaminated:science-qa');
  // Every 13-gram inside the copied question, none across its edges.
  assert.equal(by.get('forum-copy')?.ngrams, q3 - 12);
  assert.equal(by.get('shouted-copy')?.reason, 'contaminated:science-qa');
  assert.equal(by.get('shouted-copy')?.ngrams, q3 - 12);
  const two = by.get('two-benchmarks');
  assert.equal(two?.reason, 'contaminated:science-qa');
  const item8 = items[7] as Item;
  const w8 = words([item8.question, ...item8.choices, item8.answer].join(' ')).length;
  // Question, choices and answer copied in order: every 13-gram of the item. The passage quote is its first words.
  assert.deepEqual(JSON.parse(String(two?.benchmarks)), { 'science-qa': w8 - 12, reading: words(LIGHTHOUSE).length - 12 });
  assert.equal(by.get('twelve-words')?.action, 'keep');
  assert.equal(by.get('paraphrase')?.action, 'keep');
  assert.deepEqual(summary.stages.find((s) => s.name === 'decontam')?.dropped, { 'contaminated:science-qa': 3 });
});

test('flag mode keeps contaminated documents with meta.contamination and a keep event', async () => {
  const flagged = await runDecontam('flag', corpus(), { action: 'flag', min_ngrams: 10 });
  const fdb = join(flagged.release_dir, 'provenance.duckdb');
  const rows = await query(fdb, `
    SELECT d.record_id, json_extract_string(e.detail, '$.contamination.benchmark') AS benchmark
    FROM doc_events e JOIN documents d USING (doc_id) WHERE e.stage = 'decontam' AND e.action = 'keep' ORDER BY d.record_id`);
  assert.equal(rows.length, 5);
  // With 10 n-grams required, the reading quote alone (7) would not count; the science-qa copies do.
  assert.deepEqual(rows.filter((r) => r.benchmark !== null).map((r) => r.record_id), ['forum-copy', 'shouted-copy', 'two-benchmarks']);
  assert.deepEqual(flagged.stages.find((s) => s.name === 'decontam')?.dropped, {});
});

test('a benchmark line without the configured field fails naming the benchmark, file and line', async () => {
  const uri = join(dir, 'broken.jsonl');
  await writeFile(uri, `${JSON.stringify({ question: 'ok' })}\n${JSON.stringify({ prompt: 'no question field' })}\n`);
  const config = DecontamConfig.parse({ stage: 'decontam', benchmarks: [{ name: 'broken', uri, fields: ['question'] }] });
  await assert.rejects(loadIndex(config, dir, storageFor), /benchmark broken \(.*broken\.jsonl\) line 2: field question is not text/);
});

test('benchmark items shorter than the n-gram are counted, not matched', async () => {
  const config = DecontamConfig.parse({ stage: 'decontam', benchmarks: [{ name: 'science-qa', uri: SCIENCE_QA, fields: ['answer'] }] });
  const index = await loadIndex(config, dir, storageFor);
  assert.equal(index.items, 12);
  assert.equal(index.tooShort, items.filter((i) => words(i.answer).length < 13).length);
  assert.ok(index.tooShort > 0 && index.tooShort < 12);
});
