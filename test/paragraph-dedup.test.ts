import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ParagraphDedupConfig } from '../schemas/stages/paragraph_dedup.js';
import { runLocal } from '../src/executors/local.js';
import { readDocuments } from '../src/parts/documents.js';
import { storageFor } from '../src/storage/index.js';
import { dedupForm } from '../stages/paragraph_dedup/lines.js';
import { query } from './helpers/catalog.js';
import { request, tempDir, writePipeline } from './helpers/pipelines.js';

const LICENSES = '/usr/share/common-licenses';

/** News-site pages: a real paragraph body each (licence texts), framed by the site's boilerplate lines. */
async function pages(): Promise<{ id: string; text: string }[]> {
  const bodies: string[] = [];
  for (const name of ['GPL-3', 'Apache-2.0', 'MPL-2.0', 'Artistic', 'CC0-1.0']) {
    const paras = (await readFile(join(LICENSES, name), 'utf8')).split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 80);
    for (let i = 0; i + 3 <= paras.length && bodies.length < 40; i += 3) bodies.push(paras.slice(i, i + 3).join('\n\n'));
  }
  return bodies.map((body, i) => ({
    id: `page-${String(i).padStart(2, '0')}`,
    text: [
      `Posted on ${10 + (i % 18)} March 20${10 + (i % 14)} | Example Daily News`,
      '',
      body,
      '',
      'We use cookies to improve your experience. By continuing you accept our Cookie Policy.',
      i % 2 ? 'Share this article: Facebook · Twitter · Email' : 'SHARE THIS ARTICLE — facebook, twitter, email!',
      `© 20${10 + (i % 14)} Example Daily News. All rights reserved.`,
    ].join('\n'),
  }));
}

async function run(docs: { id: string; text: string }[], name: string, opts: { taskBytes: number; countTasks: number; threads: number }) {
  const dir = await tempDir(`pdedup-${name}`);
  const corpus = join(dir, 'corpus.jsonl');
  await writeFile(corpus, docs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const pipeline = await writePipeline(dir, {
    name: 'paragraph-dedup-test',
    stages: [
      { stage: 'ingest', task_bytes: opts.taskBytes, inputs: [{ uri: corpus, format: 'jsonl', id_field: 'id' }] },
      { stage: 'paragraph_dedup', count_tasks: opts.countTasks },
      { stage: 'shard', seq_len: 4096 },
    ],
  });
  const summary = await runLocal(await request(pipeline, join(dir, 'out'), name), { threads: opts.threads });
  const partsDir = join(dir, 'out', 'runs', name, '01-paragraph_dedup', 'parts');
  const texts = new Map<string, string>();
  for (const f of (await readdir(partsDir)).sort()) {
    for (const d of await readDocuments(storageFor(join(partsDir, f)), join(partsDir, f))) texts.set(d.source.record_id as string, d.text);
  }
  return { summary, texts, db: join(summary.release_dir, 'provenance.duckdb') };
}

let docs: { id: string; text: string }[];
let a: Awaited<ReturnType<typeof run>>;

before(async () => {
  docs = await pages();
  // A page that is nothing but the site's boilerplate, and an exact copy of the first page's body.
  docs.push({ id: 'page-boilerplate', text: 'We use cookies to improve your experience. By continuing you accept our Cookie Policy.\n\n© 2024 Example Daily News. All rights reserved.' });
  a = await run(docs, 'a', { taskBytes: 8 * 1024, countTasks: 3, threads: 2 });
});

test('the paragraph dedup config rejects what it cannot run and names the path', () => {
  const bad = ParagraphDedupConfig.safeParse({ stage: 'paragraph_dedup', count_tasks: 0 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['count_tasks']);
});

test('lines that differ only in case, accents, digits and punctuation share a dedup form, and others do not', () => {
  assert.equal(dedupForm('SHARE THIS ARTICLE — facebook, twitter, email!'), dedupForm('Share this article: Facebook · Twitter · Email'));
  assert.equal(dedupForm('© 2013 Example Daily News.'), dedupForm('© 2021 example daily news'));
  assert.equal(dedupForm('Café crème'), dedupForm('cafe creme'));
  assert.notEqual(dedupForm('Posted on 3 March 2012'), dedupForm('Posted on 3 April 2012'));
  assert.equal(dedupForm(' — · ! '), '');
});

test('a line repeated across the corpus is kept only at its first occurrence, and unique paragraphs are untouched', () => {
  const first = a.texts.get('page-00') as string;
  assert.ok(first.includes('We use cookies'));
  assert.ok(first.includes('All rights reserved'));
  assert.ok(first.startsWith('Posted on 10 March 2010'));
  for (let i = 1; i < 40; i++) {
    const id = `page-${String(i).padStart(2, '0')}`;
    const text = a.texts.get(id) as string;
    const original = (docs[i] as { text: string }).text;
    assert.ok(!/cookies|all rights reserved|share this article/i.test(text), `${id} keeps boilerplate:\n${text}`);
    // The body paragraphs are the original's middle lines, in order.
    const body = original.split('\n').slice(2, -4).join('\n');
    assert.ok(text.includes(body), `${id} lost body text`);
  }
  // The dates differ only in digits (each folded to 0, as in CCNet): the dateline is kept once.
  assert.equal([...a.texts.values()].filter((t) => t.startsWith('Posted on')).length, 1);
});

test('each modified document records how many paragraphs and bytes were removed, and the bytes add up', async () => {
  const rows = await query(a.db, `
    SELECT d.record_id, e.action, e.reason, CAST(json_extract(e.detail, '$.paragraphs_removed') AS INTEGER) AS paragraphs,
           CAST(json_extract(e.detail, '$.bytes_removed') AS INTEGER) AS bytes
    FROM doc_events e JOIN documents d USING (doc_id) WHERE e.stage = 'paragraph_dedup' ORDER BY d.record_id`);
  assert.equal(rows.length, docs.length);
  const byId = new Map(rows.map((r) => [String(r.record_id), r]));
  assert.equal(byId.get('page-00')?.action, 'keep');
  for (let i = 1; i < 40; i++) {
    const id = `page-${String(i).padStart(2, '0')}`;
    const r = byId.get(id);
    assert.equal(r?.action, 'modify');
    assert.equal(r?.paragraphs, 4);
    const original = (docs[i] as { text: string }).text;
    assert.equal(r?.bytes, Buffer.byteLength(original) - Buffer.byteLength(a.texts.get(id) as string));
  }
  const [stage] = a.summary.stages.filter((s) => s.name === 'paragraph_dedup');
  assert.equal(stage?.docs_out, docs.length - 1);
});

test('a document made only of lines seen before is dropped as duplicate_paragraphs', async () => {
  const [row] = await query(a.db, `
    SELECT e.action, e.reason, CAST(json_extract(e.detail, '$.paragraphs_removed') AS INTEGER) AS paragraphs
    FROM doc_events e JOIN documents d USING (doc_id) WHERE e.stage = 'paragraph_dedup' AND d.record_id = 'page-boilerplate'`);
  assert.deepEqual(row, { action: 'drop', reason: 'duplicate_paragraphs', paragraphs: 2 });
  assert.equal(a.texts.has('page-boilerplate'), false);
  assert.deepEqual(a.summary.stages.find((s) => s.name === 'paragraph_dedup')?.dropped, { duplicate_paragraphs: 1 });
});

test('the same corpus keeps the same lines whatever the number of parts, count tasks and threads', async () => {
  const b = await run(docs, 'b', { taskBytes: 1024 * 1024, countTasks: 1, threads: 1 });
  assert.deepEqual([...b.texts.entries()].sort(), [...a.texts.entries()].sort());
  const [partsA] = await query(a.db, `SELECT count(*) AS n FROM tasks WHERE stage = 'paragraph_dedup' AND phase = 'hashes'`);
  const [partsB] = await query(b.db, `SELECT count(*) AS n FROM tasks WHERE stage = 'paragraph_dedup' AND phase = 'hashes'`);
  assert.ok((partsA?.n as number) > (partsB?.n as number), `${String(partsA?.n)} vs ${String(partsB?.n)} parts`);
});
