import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Fakes } from './fakes.js';
import { labelledSet } from './labelled.js';

/**
 * Web-like documents of 2–5 KB for throughput: paragraphs of the UDHR fixtures (12 languages, real
 * text), a code or table block from the no-PII regression set in one document out of four, and the
 * sentences of labelled documents (0–3 PII values each) spliced between paragraphs.
 */
export function throughputCorpus(root: string, count: number, seed: number): string[] {
  const f = new Fakes(seed);
  const dir = join(root, 'fixtures', 'quickstart');
  const paragraphs = readdirSync(dir).filter((n) => /^udhr-(en|de|fr|es|it|nl)\.jsonl\.gz$/.test(n)).sort().flatMap((n) =>
    gunzipSync(readFileSync(join(dir, n))).toString('utf8').split('\n').filter((l) => l.trim())
      .flatMap((l) => String((JSON.parse(l) as { text: unknown }).text).split('\n').filter((p) => p.length > 40)));
  const blocks = readdirSync(join(root, 'fixtures', 'pii', 'no-pii')).sort().map((n) => readFileSync(join(root, 'fixtures', 'pii', 'no-pii', n), 'utf8'));
  const pii = labelledSet(count, seed + 1).filter((d) => d.lang === 'en').map((d) => d.text);
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = f.int(2000, 5000);
    const parts: string[] = [];
    let size = 0;
    const extras = [f.next() < 0.25 ? f.pick(blocks).slice(0, 1200) : '', ...Array.from({ length: f.int(0, 3) }, () => f.pick(pii))].filter(Boolean);
    while (size < target) {
      const p = extras.length > 0 && f.next() < 0.3 ? (extras.pop() ?? '') : f.pick(paragraphs);
      parts.push(p);
      size += p.length + 1;
    }
    docs.push(parts.join('\n').slice(0, 5000));
  }
  return docs;
}
