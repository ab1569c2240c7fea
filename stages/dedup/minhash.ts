import type { MinhashConfig } from '../../schemas/stages/dedup.js';

/**
 * MinHash signatures on 64-bit shingle hashes. Each word is hashed once into two independent 32-bit
 * lanes (a 64-bit hash); a shingle combines the lanes of its n words; permutation i maps a shingle to
 * fmix32((lo ^ a_i) + hi * b_i), so both lanes decide every minimum. Values are 32-bit: the chance
 * that two different shingles share a minimum by accident is 2^-32, far under any Jaccard we resolve.
 */

const WORD = /[\p{L}\p{N}]+/gu;

/** Lower case, digits folded to 0, punctuation and spacing dropped (as datatrove's simplify_text). */
export function normalisedWords(text: string): string[] {
  return text.toLowerCase().replace(/\p{N}/gu, '0').match(WORD) ?? [];
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 units, seeded: two seeds give the two lanes of a 64-bit hash. */
function fnv(s: string, start: number, end: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The 64-bit shingle hashes of a text, as lo/hi lanes. */
export function shingleHashes(text: string, unit: MinhashConfig['unit'], n: number): { lo: Uint32Array; hi: Uint32Array } {
  if (unit === 'char') {
    const s = normalisedWords(text).join(' ');
    const count = Math.max(1, s.length - n + 1);
    const lo = new Uint32Array(count);
    const hi = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      lo[i] = fnv(s, i, Math.min(s.length, i + n), 0x9e3779b9);
      hi[i] = fnv(s, i, Math.min(s.length, i + n), 0x7f4a7c15);
    }
    return { lo, hi };
  }
  const words = normalisedWords(text);
  const wl = new Uint32Array(words.length);
  const wh = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    wl[i] = fnv(w, 0, w.length, 0x9e3779b9);
    wh[i] = fnv(w, 0, w.length, 0x7f4a7c15);
  }
  // A text shorter than n words is one shingle of all its words.
  const count = Math.max(1, words.length - n + 1);
  const lo = new Uint32Array(count);
  const hi = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let a = 0x2545f491;
    let b = 0x6b43a9b5;
    for (let j = i; j < Math.min(words.length, i + n); j++) {
      a = fmix32(Math.imul(a, 0x01000193) ^ (wl[j] as number));
      b = fmix32(Math.imul(b, 0x01000193) ^ (wh[j] as number));
    }
    lo[i] = a;
    hi[i] = b;
  }
  return { lo, hi };
}

/** The permutation constants of a configuration: a pure function of the seed. */
export function permutations(count: number, seed: number): { a: Uint32Array; b: Uint32Array } {
  const a = new Uint32Array(count);
  const b = new Uint32Array(count);
  let state = fmix32(seed ^ 0x5bd1e995) || 1;
  const next = () => (state = fmix32(state + 0x9e3779b9));
  for (let i = 0; i < count; i++) {
    a[i] = next();
    b[i] = next() | 1;
  }
  return { a, b };
}

export function minhashSignature(text: string, cfg: MinhashConfig, perm: { a: Uint32Array; b: Uint32Array }, out: Uint32Array): void {
  const { lo, hi } = shingleHashes(text, cfg.unit, cfg.ngram);
  const k = perm.a.length;
  out.fill(0xffffffff);
  for (let s = 0; s < lo.length; s++) {
    const l = lo[s] as number;
    const h = hi[s] as number;
    for (let i = 0; i < k; i++) {
      const v = fmix32(((l ^ (perm.a[i] as number)) + Math.imul(h, perm.b[i] as number)) | 0);
      if (v < (out[i] as number)) out[i] = v;
    }
  }
}

/**
 * A band's bucket key: its rows hashed to 53 bits so a key is an exact double (sortable in a
 * Float64Array). Two unrelated documents share a key with chance 2^-53 per band.
 */
export function bandKey(sig: Uint32Array, band: number, rows: number): number {
  let a = 0x243f6a88 ^ band;
  let b = 0x85a308d3 ^ band;
  for (let r = band * rows; r < (band + 1) * rows; r++) {
    a = fmix32(Math.imul(a, 0x01000193) ^ (sig[r] as number));
    b = fmix32(Math.imul(b, 0x01000193) ^ (sig[r] as number) ^ 0x13198a2e);
  }
  return (a >>> 11) * 4294967296 + b;
}

/** Share of equal minima: the unbiased Jaccard estimate of two signatures. */
export function estimatedJaccard(x: Uint32Array, y: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
  return same / x.length;
}

/** Probability that a pair of Jaccard s collides in at least one band: 1 - (1 - s^rows)^bands. */
export function collisionProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands;
}
