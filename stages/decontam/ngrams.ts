import { isAbsolute, resolve } from 'node:path';
import { BenchmarkField, BenchmarkItem, type DecontamConfig } from '../../schemas/stages/decontam.js';
import type { Storage } from '../../src/storage/types.js';
import { normalisedWords, shingleHashes } from '../dedup/minhash.js';

/** A 64-bit n-gram hash folded to 53 bits, so it is an exact Map key (false match chance 2^-53 per lookup and n-gram). */
const key = (hi: number, lo: number): number => (hi >>> 11) * 4294967296 + lo;

/** The distinct n-gram keys of a text: words as the MinHash stage normalises them, so punctuation and case do not hide a match. */
export function ngramKeys(text: string, n: number): number[] {
  if (normalisedWords(text).length < n) return [];
  const { hi, lo } = shingleHashes(text, 'word', n);
  const keys = new Set<number>();
  for (let i = 0; i < lo.length; i++) keys.add(key(hi[i] as number, lo[i] as number));
  return [...keys];
}

/** Every n-gram of every benchmark, with the benchmarks (indexes into config.benchmarks) that hold it. */
export interface NgramIndex {
  owners: Map<number, number[]>;
  items: number;
  tooShort: number;
}

export async function loadIndex(config: DecontamConfig, baseDir: string, storage: (uri: string) => Storage): Promise<NgramIndex> {
  const owners = new Map<number, number[]>();
  let items = 0;
  let tooShort = 0;
  for (const [b, bench] of config.benchmarks.entries()) {
    const uri = bench.uri.startsWith('s3://') || isAbsolute(bench.uri) ? bench.uri : resolve(baseDir, bench.uri);
    const lines = (await storage(uri).read(uri)).toString('utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      const where = `benchmark ${bench.name} (${bench.uri}) line ${i + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (err) {
        throw new Error(`${where}: not JSON (${(err as Error).message})`);
      }
      const item = BenchmarkItem.safeParse(json);
      if (!item.success) throw new Error(`${where}: not a JSON object`);
      const parts: string[] = [];
      for (const f of bench.fields) {
        const value = BenchmarkField.safeParse(item.data[f]);
        if (!value.success) throw new Error(`${where}: field ${f} is not text or a list of text`);
        parts.push(...(typeof value.data === 'string' ? [value.data] : value.data));
      }
      items++;
      const keys = ngramKeys(parts.join('\n'), config.ngram);
      if (keys.length === 0) tooShort++;
      for (const k of keys) {
        const o = owners.get(k);
        if (!o) owners.set(k, [b]);
        else if (o.at(-1) !== b) o.push(b);
      }
    }
  }
  return { owners, items, tooShort };
}

/** Distinct n-grams a text shares with each benchmark, by benchmark index. */
export function overlaps(text: string, n: number, index: NgramIndex, benchmarks: number): number[] {
  const counts = new Array<number>(benchmarks).fill(0);
  for (const k of ngramKeys(text, n)) for (const b of index.owners.get(k) ?? []) counts[b] = (counts[b] as number) + 1;
  return counts;
}
