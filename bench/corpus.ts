import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Document } from '../schemas/document.js';
import { IngestInput } from '../schemas/stages/ingest.js';
import { urlPolicy } from '../stages/ingest/policy.js';
import { readWet } from '../stages/ingest/warc.js';
import { mulberry32 } from '../src/prng.js';

/** One benchmark document: what both sides of a comparison read from the same JSONL file. */
export interface BenchDoc {
  id: string;
  /** UDHR language code the text was built from, `mixed` for two-language documents, `wet` for web text. */
  built_from: string;
  text: string;
}

export interface BenchCorpus {
  docs: BenchDoc[];
  bytes: number;
  /** Human-readable account of where the texts came from. */
  sources: string[];
}

function udhrArticles(root: string): Map<string, string[]> {
  const dir = join(root, 'fixtures', 'quickstart');
  const byLang = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => /^udhr-[a-z]+\.jsonl\.gz$/.test(f)).sort()) {
    const lang = basename(file).replace(/^udhr-/, '').replace(/\.jsonl\.gz$/, '');
    const lines = gunzipSync(readFileSync(join(dir, file))).toString('utf8').split('\n').filter((l) => l.trim());
    byLang.set(lang, lines.map((l) => String((JSON.parse(l) as { text: unknown }).text)));
  }
  if (byLang.size === 0) throw new Error(`no UDHR fixtures under ${dir}`);
  return byLang;
}

/** The documents of one WET file with text, read by the ingest stage's own reader. */
export function readWetFile(uri: string): Document[] {
  const items = readWet({
    uri,
    source_key: uri,
    bytes: readFileSync(uri),
    input: IngestInput.parse({ uri, format: 'wet' }),
    max_record_bytes: 16 * 1024 * 1024,
    max_decompressed_bytes: 2 ** 31,
    html_work_budget: 10_000_000,
    html_time_budget_ms: 1000,
    policy: urlPolicy({ license_rules: [] }, new Set(), new Set()),
    slice: { base: 0, start: 0, end: Infinity },
  });
  return [...items].flatMap((item) => (item.kind === 'doc' && item.doc.text ? [item.doc] : []));
}

/** Conversion-record texts of every WET file in `dir`. */
function wetTexts(dir: string, seen: Set<string>): { texts: string[]; files: string[] } {
  const texts: string[] = [];
  const files: string[] = [];
  if (!existsSync(dir)) return { texts, files };
  for (const file of readdirSync(dir).filter((f) => /\.wet(\.gz)?$/.test(f)).sort()) {
    const uri = join(dir, file);
    let added = 0;
    for (const doc of readWetFile(uri)) {
      // The shared folder holds a copy of a record that is also a fixture: count each record once.
      const key = doc.source.record_id ?? doc.text;
      if (seen.has(key)) continue;
      seen.add(key);
      texts.push(doc.text);
      added++;
    }
    files.push(`${uri} (${added} new record${added === 1 ? '' : 's'})`);
  }
  return { texts, files };
}

/**
 * Deterministic documents of 2–5 KB (a document stops at the first whole article past its
 * target size, so a few run to ~6 KB) built from the committed fixtures: UDHR articles of one
 * language concatenated in a seeded order, 5% two-language documents (half one language, half
 * another, as web pages with a translated block are), and every 50th document a real Common
 * Crawl WET record. `sharedWarcDir`, when it exists, adds its WET records to that pool.
 */
export function buildCorpus(root: string, count: number, sharedWarcDir: string | null): BenchCorpus {
  const articles = udhrArticles(root);
  const langs = [...articles.keys()];
  const seen = new Set<string>();
  const fixtureWet = wetTexts(join(root, 'fixtures', 'commoncrawl'), seen);
  const sharedWet = sharedWarcDir ? wetTexts(sharedWarcDir, seen) : { texts: [], files: [] };
  const wet = [...fixtureWet.texts, ...sharedWet.texts];
  const rand = mulberry32(0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

  const fill = (lang: string, target: number): string => {
    const pool = articles.get(lang) as string[];
    const parts: string[] = [];
    let bytes = 0;
    let next = Math.floor(rand() * pool.length);
    while (bytes < target) {
      const article = pool[next % pool.length] as string;
      parts.push(article);
      bytes += Buffer.byteLength(article) + 2;
      // Skip ahead by 1–3 articles so documents of one language differ in content and order.
      next += 1 + Math.floor(rand() * 3);
    }
    return parts.join('\n\n');
  };

  const docs: BenchDoc[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const target = 2000 + Math.floor(rand() * 3000);
    let doc: BenchDoc;
    if (wet.length > 0 && i % 50 === 25) {
      doc = { id: `wet-${i}`, built_from: 'wet', text: wet[(i / 50 | 0) % wet.length] as string };
    } else if (i % 20 === 7) {
      const a = pick(langs);
      const b = pick(langs.filter((l) => l !== a));
      doc = { id: `mixed-${a}-${b}-${i}`, built_from: 'mixed', text: `${fill(a, target / 2)}\n\n${fill(b, target / 2)}` };
    } else {
      const lang = langs[i % langs.length] as string;
      doc = { id: `udhr-${lang}-${i}`, built_from: lang, text: fill(lang, target) };
    }
    bytes += Buffer.byteLength(doc.text);
    docs.push(doc);
  }
  return {
    docs,
    bytes,
    sources: [
      `fixtures/quickstart: UDHR, ${langs.length} languages (${langs.join(' ')}), ${[...articles.values()].reduce((n, a) => n + a.length, 0)} articles`,
      ...fixtureWet.files,
      ...(sharedWarcDir && existsSync(sharedWarcDir) ? sharedWet.files : ['../shared/data/warc: absent, not used']),
    ],
  };
}

export function writeCorpus(path: string, docs: readonly BenchDoc[]): void {
  writeFileSync(path, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
}

export function readCorpus(path: string): BenchDoc[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as BenchDoc);
}
