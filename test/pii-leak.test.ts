import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Fakes } from '../bench/pii/fakes.js';
import type { RunSummary } from '../schemas/run.js';
import { runLocal } from '../src/executors/local.js';
import { query } from './helpers/catalog.js';
import { request, ROOT, tempDir, writePipeline } from './helpers/pipelines.js';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const run = promisify(execFile);
const KEY = 'leak-test-release-key-5f1e2d3c4b5a';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Every readable form of a file: raw bytes, and for Parquet and DuckDB files every row as JSON. */
async function contents(file: string): Promise<string> {
  const raw = (await readFile(file)).toString('latin1');
  if (!file.endsWith('.parquet') && !file.endsWith('.duckdb')) return raw;
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    if (file.endsWith('.parquet')) return raw + JSON.stringify((await conn.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson());
    await conn.run(`ATTACH '${file}' AS p (READ_ONLY)`);
    const tables = (await conn.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'p'")).getRowObjectsJson();
    let text = raw;
    for (const t of tables) text += JSON.stringify((await conn.runAndReadAll(`SELECT * FROM p."${String(t.table_name)}"`)).getRowObjectsJson());
    return text;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

test('planted PII never reaches provenance, rejected parts, outputs or logs; the pseudonym key never does either', async () => {
  const f = new Fakes(2024);
  const dir = await tempDir('pii-leak');
  const planted = { email: f.email(), phone: f.phone(), card: f.creditCard(), iban: f.iban(), ssn: f.ssn(), jwt: f.jwt(), key: f.privateKey(), cn: f.cnResidentId() };
  const dump = Array.from({ length: 8 }, () => f.phone());
  const urlEmail = f.email();
  const docs = [
    { id: 'kept-1', text: `Dear support, please refund card ${planted.card} to IBAN ${planted.iban}. My email is ${planted.email}, phone ${planted.phone}.` },
    { id: 'kept-2', text: `Form data: SSN: ${planted.ssn}; session Bearer ${planted.jwt}; 身份证号码：${planted.cn}. Reply to ${planted.email}.` },
    { id: 'dropped-key', text: `Key:\n${planted.key}` },
    { id: 'dropped-dump', text: `directory:\n${dump.join('\n')}` },
    { id: 'clean', text: 'The Universal Declaration of Human Rights was adopted in 1948 by the UN General Assembly in Paris.' },
    { id: 'url-only', text: 'Posts of this member, newest first.', url: `https://forum.acme-store.com/u/${urlEmail}/posts?sort=new` },
  ];
  await writeFile(join(dir, 'in.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const pipeline = await writePipeline(dir, {
    name: 'pii-leak',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(dir, 'in.jsonl'), format: 'jsonl', id_field: 'id' }] },
      // A phone list (a scraped directory) and any private key drop the document; one phone in a letter does not.
      { stage: 'pii', modes: { EMAIL: 'pseudonym', PHONE: 'drop', PRIVATE_KEY: 'drop', CREDIT_CARD: 'mask' }, drop_density: { PHONE: 10 }, pseudonym_key_env: 'CF_LEAK_TEST_KEY' },
      { stage: 'shard', seq_len: 64, samples_per_shard: 4 },
    ],
  });
  const out = join(dir, 'out');
  const { stdout, stderr } = await run('node', [CLI, 'run', pipeline, '--out', out, '--json'], { env: { ...process.env, CF_LEAK_TEST_KEY: KEY } });
  const summary = JSON.parse(stdout) as RunSummary;

  const db = join(summary.release_dir, 'provenance.duckdb');
  const events = await query(db, "SELECT d.record_id, e.action, e.reason, e.detail FROM doc_events e JOIN documents d USING (doc_id) WHERE e.stage = 'pii' ORDER BY d.record_id");
  assert.deepEqual(events.map((e) => [e.record_id, e.action, e.reason]), [
    ['clean', 'keep', null], ['dropped-dump', 'drop', 'pii_density'], ['dropped-key', 'drop', 'pii_density'], ['kept-1', 'modify', null], ['kept-2', 'modify', null],
    ['url-only', 'modify', null],
  ]);
  const urls = await query(db, "SELECT url FROM documents WHERE record_id = 'url-only'");
  assert.match(String(urls[0]?.url), /^https:\/\/forum\.acme-store\.com\/u\/%3CEMAIL_[0-9a-f]{12}%3E\/posts\?sort=new$/);
  const kept1 = JSON.parse(String(events[3]?.detail)) as { pii: { counts: Record<string, number>; spans: unknown[] } };
  assert.deepEqual(kept1.pii.counts, { CREDIT_CARD: 1, IBAN: 1, EMAIL: 1, PHONE: 1 });
  assert.equal(kept1.pii.spans.length, 4);

  const haystacks: [string, string][] = [['stdout', stdout], ['stderr', stderr]];
  // Every file the run left, the stages before pii included: their parts, copies of the input, are gone.
  const files = await filesUnder(out);
  assert.ok(!files.some((file) => /\/00-ingest\/(parts|rejected)\//.test(file)), 'ingest parts are deleted once pii has committed');
  assert.ok(files.some((file) => file.includes('/00-ingest/')), 'ingest keeps its provenance and results');
  assert.ok(files.some((file) => file.includes('/01-pii/rejected/')) && files.some((file) => file.endsWith('provenance.duckdb')));
  // Ingest's own provenance fragment in the work dir is the one place the url as crawled stays (docs/pii.md).
  const crawledUrl = (file: string) => /\/00-ingest\/provenance\/documents\//.test(file);
  for (const file of files) {
    const text = await contents(file);
    haystacks.push([file.slice(out.length), text]);
    if (crawledUrl(file)) assert.ok(text.includes(urlEmail), 'the check below can see a url value');
    else assert.ok(!text.includes(urlEmail), `the email in a url leaked into ${file.slice(out.length)}`);
  }
  for (const [where, hay] of [['stdout', stdout], ['stderr', stderr]]) assert.ok(!hay?.includes(urlEmail), `the email in a url leaked into ${where}`);
  const needles = [...Object.values(planted), ...dump, KEY];
  // A line of the private key block is enough to count as a leak.
  needles.push(...planted.key.split('\n').filter((l) => l.length > 40));
  for (const needle of needles) {
    for (const [where, hay] of haystacks) assert.ok(!hay.includes(needle), `a planted value leaked into ${where} (${needle.length} chars, starting ${needle.slice(0, 3)}…)`);
  }
  // The check above must be able to fail: the input itself holds every planted value.
  const input = docs.map((d) => d.text).join('\n');
  for (const needle of needles.filter((n) => n !== KEY)) assert.ok(input.includes(needle));
});

test('with delete_upstream_parts false the parts of the stages before pii stay in the work dir', async () => {
  const dir = await tempDir('pii-keep-parts');
  await writeFile(join(dir, 'in.jsonl'), `${JSON.stringify({ id: 'a', text: 'Write to ana.silva@gmail.com for the minutes of the meeting.' })}\n`);
  const pipeline = await writePipeline(dir, {
    name: 'pii-keep-parts',
    stages: [
      { stage: 'ingest', inputs: [{ uri: join(dir, 'in.jsonl'), format: 'jsonl', id_field: 'id' }] },
      { stage: 'pii', delete_upstream_parts: false },
      { stage: 'shard', seq_len: 64, samples_per_shard: 4 },
    ],
  });
  const out = join(dir, 'out');
  await runLocal(await request(pipeline, out, 'keep-parts'));
  const files = await filesUnder(out);
  assert.ok(files.some((file) => /\/00-ingest\/parts\/part-\d+\.parquet$/.test(file)), 'ingest parts are kept when asked');
  assert.ok(files.some((file) => /\/01-pii\/parts\/part-\d+\.parquet$/.test(file)));
});
