import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import { ReleaseManifest } from '../schemas/release.js';
import type { RunSummary } from '../schemas/run.js';
import { sha256Hex } from '../src/hash.js';
import { runLocal } from '../src/executors/local.js';
import { forgetRelease } from '../src/release/forget.js';
import { query } from './helpers/catalog.js';
import { pixelsOfColor, screenshot } from './helpers/chromium.js';
import { FIXTURES, QUICKSTART, request, tempDir, writePipeline } from './helpers/pipelines.js';

let summary: RunSummary;
let markdown: string;
let html: string;

before(async () => {
  summary = await runLocal(await request(QUICKSTART, await tempDir('card'), 'card-test'));
  markdown = await readFile(join(summary.release_dir, 'DATACARD.md'), 'utf8');
  html = await readFile(join(summary.release_dir, 'datacard.html'), 'utf8');
});

test('the release manifest lists DATACARD.md and datacard.html', async () => {
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(summary.release_dir, 'manifest.json'), 'utf8')));
  assert.deepEqual(manifest.files.datacard, { markdown: 'DATACARD.md', html: 'datacard.html' });
});

test('DATACARD.md opens with a Hugging Face YAML header and its figures are those of the catalog', async () => {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(markdown);
  assert.ok(match, 'a YAML front matter block');
  const header = parse(match[1] ?? '') as { license: string[]; language: string[]; size_categories: string[]; configs: { data_files: { path: string }[] }[] };
  assert.deepEqual(header.license, ['mit', 'other'], 'MIT maps to mit, the Common Crawl terms to other');
  const db = join(summary.release_dir, 'provenance.duckdb');
  const langs = await query(db, 'SELECT lang FROM language_distribution ORDER BY documents DESC, lang');
  assert.deepEqual(header.language, langs.map((l) => l.lang));
  assert.deepEqual(header.size_categories, ['n<1K']);
  assert.equal(header.configs[0]?.data_files[0]?.path, 'shards/*.tar');

  const sections = [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(sections, ['Sources and licences', 'Collection', 'Processing', 'Languages', 'Document lengths', 'Deduplication',
    'Personal information', 'Synthetic data', 'Tokens and shards', 'Limitations', 'Erasures', 'How to audit']);
  const [langid] = await query(db, "SELECT docs_in, docs_out FROM stages WHERE name = 'langid'");
  assert.match(markdown, new RegExp(`### 2\\. langid \\(v\\d+, config [0-9a-f]+\\)\\n\\n${langid?.docs_in} documents in, ${langid?.docs_out} out`));
  assert.match(markdown, /\| lang_not_allowed \| lang_not_allowed \| 62 \| 16\.5% \|/);
  assert.match(markdown, /\| cl100k_base \| 512 \| 314 \| 71 \| 36,327 \| 5 \|/);
  assert.ok(markdown.includes('../fixtures/commoncrawl/CC-MAIN-20140820021334-00006.warc.wet.gz'), 'inputs relative to the pipeline file');
  assert.ok(markdown.includes('No PII stage ran'), 'a missing PII stage is stated as a limitation');
});

test('after forget, the card\'s data_files name every shard a training job reads for that version, carried ones where their bytes are', async () => {
  const forgotten = await forgetRelease(summary.release_dir, { url: 'http://0pointer.de/photos/?gallery=Australia&photo=496' }, { reason: 'test' });
  assert.ok(forgotten.carried.length > 0 && forgotten.rewritten.length > 0);
  const v2 = ReleaseManifest.parse(JSON.parse(await readFile(join(forgotten.release_dir, 'manifest.json'), 'utf8')));
  const card = await readFile(join(forgotten.release_dir, 'DATACARD.md'), 'utf8');
  const header = parse(/^---\n([\s\S]*?)\n---\n/.exec(card)?.[1] ?? '') as { configs: { data_files: { split: string; path: string | string[] }[] }[] };
  const [files] = header.configs[0]?.data_files ?? [];
  assert.equal(files?.split, 'train');
  const patterns = [files?.path ?? []].flat();
  // Each path resolves from the card's folder; the one glob is the version's own shards/ folder.
  const resolved: string[] = [];
  for (const p of patterns) {
    if (p === 'shards/*.tar') resolved.push(...(await readdir(join(forgotten.release_dir, 'shards'))).filter((f) => f.endsWith('.tar')).map((f) => join(forgotten.release_dir, 'shards', f)));
    else resolved.push(resolve(forgotten.release_dir, p));
  }
  const shas = await Promise.all(resolved.map(async (f) => sha256Hex(await readFile(f))));
  assert.deepEqual(shas.sort(), v2.shards.map((s) => s.sha256).sort());
  assert.equal(patterns.length, 1 + forgotten.carried.length);
  // The rewritten shards' old bytes in v1 still hold the erased document: no path may reach them.
  for (const name of forgotten.rewritten) assert.ok(!patterns.some((p) => p.endsWith(name) && p.startsWith('..')), name);
  assert.match(card, new RegExp(`${forgotten.carried.length} of the ${v2.shards.length} shards were left untouched by an erasure and are read from \`\\.\\./v1/shards/\``));
});

test('unreadable input records are counted by reason in the card and named as a limitation', async () => {
  const dir = await tempDir('card-broken');
  const pipeline = await writePipeline(dir, {
    name: 'broken',
    stages: [{ stage: 'ingest', inputs: [{ uri: join(FIXTURES, 'broken', '*'), format: 'jsonl', id_field: 'id' }] }, { stage: 'shard', seq_len: 64, samples_per_shard: 4 }],
  });
  const broken = await runLocal(await request(pipeline, join(dir, 'out'), 'broken-card'));
  const card = await readFile(join(broken.release_dir, 'DATACARD.md'), 'utf8');
  for (const reason of ['bad_json', 'corrupt_gzip', 'invalid_utf8']) assert.match(card, new RegExp(`^\\| ${reason} \\| 1 \\|$`, 'm'));
  assert.match(card, /^- 3 input records were unreadable and are not in the release/m);
  assert.match(card, /^license:\n {2}- unknown\n/m, 'inputs without a declared licence are not passed off as licensed');
});

test('the data card is the same for the same inputs and config, whatever the run id and output folder', async () => {
  const again = await runLocal(await request(QUICKSTART, await tempDir('card2'), 'another-run'));
  assert.equal(await readFile(join(again.release_dir, 'DATACARD.md'), 'utf8'), markdown);
  assert.equal(await readFile(join(again.release_dir, 'datacard.html'), 'utf8'), html);
});

test('datacard.html is self-contained: no script, and nothing loaded from elsewhere', () => {
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|url\(|@import/i);
  assert.doesNotMatch(html, /(src|href)="/i);
  assert.equal((html.match(/<figure class="chart"/g) ?? []).length, 5);
});

test('datacard.html renders in headless Chromium, and every chart draws its bars', async () => {
  const dir = await tempDir('shots');
  const style = /<style>[\s\S]*?<\/style>/.exec(html)?.[0] ?? '';
  const page = await screenshot(join(summary.release_dir, 'datacard.html'), 1000, 1400);
  const ink = (img: typeof page) => img.rgba.filter((v, i) => i % 4 !== 3 && v < 128).length;
  assert.ok(ink(page) > 10_000, 'the page renders');
  const figures = [...html.matchAll(/<figure class="chart" id="chart-([a-z-]+)">[\s\S]*?<\/figure>/g)];
  assert.deepEqual(figures.map((f) => f[1]), ['funnel', 'languages', 'length-bytes', 'length-tokens', 'licences']);
  for (const [figure, id] of figures) {
    // Each chart alone on a page, with the card's own style: its bars must show in their colours.
    const colors = [...new Set([...figure.matchAll(/<rect class="bar"[^>]* fill="(#[0-9a-f]{6})"/g)].map((m) => m[1] as string))];
    assert.ok(colors.length > 0, `chart ${id} has bars`);
    const file = join(dir, `${id}.html`);
    await writeFile(file, `<!doctype html><html><head><meta charset="utf-8">${style}</head><body>${figure}</body></html>`);
    const img = await screenshot(file, 1000, 700);
    for (const color of colors) assert.ok(pixelsOfColor(img, color) > 200, `chart ${id} shows bars in ${color}`);
  }
});
