import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReleaseManifest } from '../schemas/release.js';
import { runLocal } from '../src/executors/local.js';
import { ConfigError, loadPipeline } from '../src/pipeline.js';
import { forgetRelease } from '../src/release/forget.js';
import { readTar } from '../src/release/tar-read.js';
import { samplesOf } from '../src/release/verify.js';
import { query } from './helpers/catalog.js';
import { FIXTURES, ROOT, tempDir, writePipeline } from './helpers/pipelines.js';

/** Real multilingual input: Common Crawl WET pages and the UDHR in 12 languages, labelled by lid.176. */
const stages = (shard: object) => [
  {
    stage: 'ingest',
    inputs: [
      { uri: join(FIXTURES, 'commoncrawl', '*.warc.wet.gz'), format: 'wet', license: 'CC-TOU' },
      { uri: join(FIXTURES, 'quickstart', '*.jsonl.gz'), format: 'jsonl', license: 'MIT', id_field: 'id' },
    ],
  },
  { stage: 'langid', languages: ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'zh', 'ja'], min_score: 0.5 },
  { stage: 'shard', seq_len: 256, samples_per_shard: 16, ...shard },
];

async function run(name: string, shard: object, seed = 3): Promise<{ dir: string; manifest: ReleaseManifest }> {
  const out = await tempDir(name);
  const { spec, baseDir } = await loadPipeline(await writePipeline(out, { name, seed, stages: stages(shard) }));
  const dir = (await runLocal({ run_id: name, pipeline: spec, base_dir: baseDir, out: join(out, 'out') })).release_dir;
  return { dir, manifest: ReleaseManifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))) };
}

interface Released {
  /** Tokens per language, counted from the samples' .json ranges. */
  tokens: Map<string, number>;
  /** Copies per document id: how many times the document starts in a sample. */
  copies: Map<string, number>;
  /** The largest document per language, in tokens. */
  largest: Map<string, number>;
  total: number;
}

/** What the shards themselves hold, read from every sample's .json. */
async function released(dir: string, manifest: ReleaseManifest): Promise<Released> {
  const r: Released = { tokens: new Map(), copies: new Map(), largest: new Map(), total: 0 };
  const docTokens = new Map<string, number>();
  for (const s of manifest.shards) {
    for (const [, files] of samplesOf(readTar(await readFile(join(dir, 'shards', s.name))))) {
      const json = JSON.parse((files.get('json') as Buffer).toString('utf8')) as { docs: { id: string; lang: string | null; range: [number, number]; doc_token_start: number }[] };
      for (const d of json.docs) {
        const lang = d.lang ?? 'unknown';
        const n = d.range[1] - d.range[0];
        r.tokens.set(lang, (r.tokens.get(lang) ?? 0) + n);
        r.total += n;
        if (d.doc_token_start === 0) r.copies.set(d.id, (r.copies.get(d.id) ?? 0) + 1);
        docTokens.set(d.id, Math.max(docTokens.get(d.id) ?? 0, d.doc_token_start + n));
        r.largest.set(lang, Math.max(r.largest.get(lang) ?? 0, docTokens.get(d.id) ?? 0));
      }
    }
  }
  return r;
}

const quotaOf = (manifest: ReleaseManifest, lang: string) => {
  const q = manifest.packing.quotas?.languages.find((l) => l.lang === lang);
  assert.ok(q, `the manifest reports the ${lang} quota`);
  return q;
};

test('language shares downsample every language to its target share of tokens, within half a document, and a rerun gives the same shards', async () => {
  const quotas = { shares: { en: 0.4, de: 0.2, fr: 0.2, '*': 0.2 } };
  const { dir, manifest } = await run('shares', { quotas });
  const r = await released(dir, manifest);
  assert.equal(r.total, manifest.totals.tokens);
  // The largest document of each quota group, dropped or kept, from the stage's provenance events.
  const sizes = await query(join(dir, 'provenance.duckdb'), "SELECT json_extract_string(detail, '$.quota') AS quota, max(CAST(json_extract(detail, '$.tokens') AS INTEGER)) AS largest FROM doc_events WHERE stage = 'shard' GROUP BY ALL");
  const largest = new Map(sizes.map((s) => [String(s.quota), Number(s.largest)]));
  const others = [...r.tokens].filter(([l]) => !['en', 'de', 'fr'].includes(l)).reduce((n, [, t]) => n + t, 0);
  for (const [lang, tokens] of [['en', r.tokens.get('en') ?? 0], ['de', r.tokens.get('de') ?? 0], ['fr', r.tokens.get('fr') ?? 0], ['*', others]] as const) {
    const q = quotaOf(manifest, lang);
    assert.equal(q.tokens, tokens, `${lang}: the manifest counts what the shards hold`);
    // English is the scarcest language for its share: all of it is kept, and it sets the output size.
    if (lang === 'en') assert.equal(tokens, q.available_tokens);
    else assert.ok(tokens < q.available_tokens, `${lang} is downsampled`);
    assert.ok(Math.abs(tokens - q.budget_tokens) * 2 <= (largest.get(lang) ?? 0), `${lang}: ${tokens} tokens for a budget of ${q.budget_tokens}`);
    assert.ok(Math.abs(tokens / r.total - (quotas.shares[lang] as number)) < 0.03, `${lang}: share ${tokens / r.total}`);
    assert.equal(q.share, Number((tokens / r.total).toFixed(6)));
  }
  // Downsampling never repeats a document.
  assert.ok([...r.copies.values()].every((n) => n === 1));

  const again = await run('shares', { quotas });
  assert.deepEqual(again.manifest.shards.map((s) => s.sha256), manifest.shards.map((s) => s.sha256));
  const reseeded = await run('shares', { quotas }, 4);
  assert.notDeepEqual(new Set((await released(reseeded.dir, reseeded.manifest)).copies.keys()), new Set(r.copies.keys()));
});

test('every document a quota leaves out is a quota:<lang> drop in provenance, and no sample holds it', async () => {
  const { dir, manifest } = await run('drops', { quotas: { shares: { de: 0.5, fr: 0.5 } }, shuffle: { buckets: 4 } });
  const r = await released(dir, manifest);
  // Languages with no share are left out whole: only German and French remain.
  assert.deepEqual([...r.tokens.keys()].sort(), ['de', 'fr']);
  const db = join(dir, 'provenance.duckdb');
  const events = await query(db, "SELECT doc_id, action, reason, json_extract_string(detail, '$.quota') AS quota FROM doc_events WHERE stage = 'shard'");
  const drops = events.filter((e) => e.action === 'drop');
  assert.ok(drops.length > 200);
  for (const d of drops) {
    assert.match(String(d.reason), /^quota:[a-z]+$/);
    assert.ok(!r.copies.has(String(d.doc_id)), `${String(d.doc_id)} was dropped but is in a sample`);
  }
  const kept = events.filter((e) => e.action === 'keep').map((e) => String(e.doc_id)).sort();
  assert.deepEqual(kept, [...r.copies.keys()].sort());
  // The manifest's per-language drop counts and the stage's drop reasons agree with the events.
  for (const q of manifest.packing.quotas?.languages ?? []) {
    assert.equal(q.dropped, drops.filter((d) => d.quota === q.lang).length, q.lang);
  }
  const reasons = await query(db, "SELECT reason, documents FROM drop_reasons WHERE stage = 'shard' AND reason = 'quota:en'");
  assert.equal(Number(reasons[0]?.documents), drops.filter((d) => d.reason === 'quota:en').length);
  assert.equal(manifest.stages.find((s) => s.name === 'shard')?.docs_out, r.copies.size);
  // The data card puts each target share next to the share the release holds.
  const card = await readFile(join(dir, 'DATACARD.md'), 'utf8');
  for (const lang of ['de', 'fr']) {
    const q = quotaOf(manifest, lang);
    const share = `${((100 * q.tokens) / manifest.totals.tokens).toFixed(1)}%`;
    assert.ok(card.includes(`| ${lang} | 50.0% | ${share} | ${q.tokens.toLocaleString('en-US')} | ${q.documents} | 0 | ${q.dropped} |`), `${lang} row in the card`);
  }
  assert.match(card, /\| en \| - \| 0\.0% \| 0 \| 0 \| 0 \| \d+ \|/);
  assert.match(card, /\| quota \| quota:en \| \d+ \|/);

  // After forget, the new version's manifest counts what each quota group still holds.
  const victim = [...r.copies.keys()].sort()[0] as string;
  const [victimEvent] = await query(db, `SELECT json_extract_string(detail, '$.quota') AS quota, CAST(json_extract(detail, '$.tokens') AS INTEGER) AS tokens FROM doc_events WHERE stage = 'shard' AND doc_id = '${victim}'`);
  const forgotten = await forgetRelease(dir, { doc_id: victim }, { reason: 'test' });
  const v2 = ReleaseManifest.parse(JSON.parse(await readFile(join(forgotten.release_dir, 'manifest.json'), 'utf8')));
  const [before, after] = [quotaOf(manifest, String(victimEvent?.quota)), quotaOf(v2, String(victimEvent?.quota))];
  assert.equal(after.tokens, before.tokens - Number(victimEvent?.tokens));
  assert.equal(after.documents, before.documents - 1);
  assert.equal(after.share, Number((after.tokens / v2.totals.tokens).toFixed(6)));
  assert.equal(after.budget_tokens, before.budget_tokens);
});

test('a scarce language is upsampled to its share, repeating each document at most max_repeats times, and each repeat is recorded', async () => {
  const { dir, manifest } = await run('upsample', { quotas: { shares: { ja: 0.3, zh: 0.2, '*': 0.5 }, max_repeats: 3 } });
  const r = await released(dir, manifest);
  const zh = quotaOf(manifest, 'zh');
  const ja = quotaOf(manifest, 'ja');
  // Chinese is the scarcest for its share: three whole repeats, and it sets the output size.
  assert.equal(zh.repeats, 3);
  assert.equal(r.tokens.get('zh'), 3 * zh.available_tokens);
  assert.ok(ja.repeats >= 2 && ja.repeats < 3);
  assert.ok(Math.abs((r.tokens.get('ja') ?? 0) / r.total - 0.3) < 0.01);
  const events = await query(join(dir, 'provenance.duckdb'), "SELECT doc_id, reason, CAST(json_extract(detail, '$.copies') AS INTEGER) AS copies FROM doc_events WHERE stage = 'shard' AND action = 'keep' AND json_extract_string(detail, '$.quota') IN ('ja', 'zh')");
  assert.ok(events.length > 50);
  for (const e of events) {
    const n = r.copies.get(String(e.doc_id));
    assert.equal(e.copies, n, `${String(e.doc_id)}: provenance says ${String(e.copies)} copies`);
    assert.ok(n !== undefined && n >= 2 && n <= 3);
    assert.match(String(e.reason), /^quota:(ja|zh)$/);
  }
  assert.equal(manifest.packing.copies, [...r.copies.values()].reduce((a, b) => a + b, 0));
});

test('a token cap keeps at most that many tokens of its language and leaves the other languages as they are', async () => {
  const cap = 1500;
  const { dir, manifest } = await run('capped', { quotas: { max_tokens: { ja: cap } } });
  const r = await released(dir, manifest);
  const ja = r.tokens.get('ja') ?? 0;
  assert.ok(quotaOf(manifest, 'ja').available_tokens > cap);
  const events = await query(join(dir, 'provenance.duckdb'), "SELECT action, reason, json_extract_string(detail, '$.quota') AS quota, CAST(json_extract(detail, '$.tokens') AS INTEGER) AS tokens, json_extract(detail, '$.copies') AS copies FROM doc_events WHERE stage = 'shard'");
  const largest = Math.max(...events.filter((e) => e.quota === 'ja').map((e) => Number(e.tokens)));
  assert.ok(ja <= cap && ja > cap - largest, `${ja} Japanese tokens under a cap of ${cap}`);
  // Every document of another language is kept once, with no quota.
  const others = events.filter((e) => e.quota === null);
  assert.ok(others.length > 250);
  for (const e of others) assert.deepEqual([e.action, e.reason, e.copies], ['keep', null, null]);
  assert.equal(r.total - ja, others.reduce((n, e) => n + Number(e.tokens), 0));
  assert.deepEqual(manifest.packing.quotas?.languages.map((l) => l.lang), ['ja']);
});

test('quota configs that cannot be met are refused with the config path and what to change', async () => {
  const refused = async (quotas: object, mix: object[] = []) => {
    const dir = await tempDir('quota-config');
    const err = await loadPipeline(await writePipeline(dir, { name: 'q', stages: stages({ quotas, mix }) })).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ConfigError, 'a ConfigError');
    return err.message;
  };
  assert.match(await refused({ shares: { en: 0.7, de: 0.5 } }), /stages\[2\]\.quotas\.shares: shares sum to 1\.2; .*lower some shares/);
  assert.match(await refused({ shares: { en: 0.5, de: 0.3 } }), /stages\[2\]\.quotas\.shares: shares sum to 0\.8; .*give the rest to "\*"/);
  assert.match(await refused({ shares: { en: 0.5, '*': 0.5 }, max_tokens: { de: 100 } }), /quotas\.max_tokens\.de: de has a cap but no share/);
  assert.match(await refused({ total_tokens: 1000, max_tokens: { de: 100 } }), /quotas\.total_tokens: total_tokens needs shares/);
  assert.match(await refused({ shares: { English: 1 } }), /quotas\.shares\.English: a language code/);
  assert.match(await refused({ shares: { en: 1 } }, [{ lang: 'en', weight: 2 }]), /stages\[2\]\.quotas: quotas and mix rules with lang/);
  // 0.1 + 0.2 + 0.7 is not 1 in binary; a person's decimals are accepted.
  const dir = await tempDir('quota-config');
  await loadPipeline(await writePipeline(dir, { name: 'q', stages: stages({ quotas: { shares: { en: 0.1, de: 0.2, '*': 0.7 } } }) }));
  await loadPipeline(join(ROOT, 'pipelines', 'multilingual-quotas.yaml'));
});

test('a share for a language no document has fails the run and names it', async () => {
  await assert.rejects(run('missing', { quotas: { shares: { en: 0.5, sv: 0.5 } } }), /quotas\.shares\.sv: no document in language sv reached the shard stage/);
});
