/**
 * The order documents are packed in: dataset order, reweighted per source or language
 * (deterministic up/down-sampling), and optionally shuffled across the whole corpus in bounded
 * memory with a two-pass bucket shuffle: pass 1 sends every document copy to one of B buckets by
 * a seeded hash and spills the buckets to storage in chunks; pass 2 loads one bucket at a time,
 * shuffles it with a seeded Fisher-Yates, and yields it. A document's position is uniformly
 * random over the corpus while memory holds one bucket plus the spill budget.
 */
import { createHash } from 'node:crypto';
import type { ShardConfig } from '../../schemas/stages/shard.js';
import type { Storage } from '../../src/storage/index.js';
import { joinUri } from '../../src/storage/index.js';
import type { DocMeta } from './pack.js';

export interface TokenizedDoc extends DocMeta {
  tokens: number;
}

export interface OrderedDoc {
  doc: DocMeta;
  tokens: Uint32Array;
}

/** Buffered bytes of all buckets before they spill to storage. */
const SPILL_BYTES = 64 * 1024 * 1024;

/** A uniform number in [0, 1) from the seed and the parts, the same on every machine. */
export function unit(...parts: (string | number)[]): number {
  const h = createHash('sha256').update(parts.join('\0')).digest();
  return (h.readUInt32BE(0) * 2 ** 21 + (h.readUInt32BE(4) >>> 11)) / 2 ** 53;
}

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/**
 * How many copies of a document go into the release: the weight of the first `mix` rule that
 * matches it (1 when none does); a fractional weight keeps one more copy with that probability,
 * decided by a seeded hash of the document id so reruns agree.
 */
export function copiesOf(mix: ShardConfig['mix'], seed: number): (doc: DocMeta) => number {
  const rules = mix.map((r) => ({ ...r, source: r.source === undefined ? null : globRegex(r.source) }));
  return (doc) => {
    const rule = rules.find((r) => (r.source === null || r.source.test(doc.source)) && (r.lang === undefined || r.lang === doc.lang));
    const w = rule ? rule.weight : 1;
    const whole = Math.floor(w);
    return whole + (w > whole && unit(seed, 'mix', doc.id) < w - whole ? 1 : 0);
  };
}

/** The tokenize phase's index of documents (no tokens), in dataset order. */
export async function* documentIndex(parts: readonly string[], storage: (uri: string) => Storage): AsyncGenerator<TokenizedDoc> {
  for (const part of parts) {
    const json = part.replace(/\.bin$/, '.json');
    yield* JSON.parse((await storage(json).read(json)).toString('utf8')) as TokenizedDoc[];
  }
}

/** Documents from the tokenize phase's parts, in dataset order. */
async function* datasetOrder(parts: readonly string[], storage: (uri: string) => Storage): AsyncGenerator<OrderedDoc> {
  for (const part of parts) {
    const store = storage(part);
    const raw = await store.read(part);
    // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
    const tokens = new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const index = JSON.parse((await store.read(part.replace(/\.bin$/, '.json'))).toString('utf8')) as TokenizedDoc[];
    let offset = 0;
    for (const { tokens: count, ...doc } of index) {
      yield { doc, tokens: tokens.subarray(offset, offset + count) };
      offset += count;
    }
  }
}

interface Bucket {
  docs: OrderedDoc[];
  bytes: number;
  chunks: string[];
}

/**
 * Documents in packing order. `copies` counts how often each appears (called once per document); with `shuffle`, chunks of
 * buckets are written under `workDir` and read back one bucket at a time.
 */
export async function* packingOrder(
  parts: readonly string[],
  storage: (uri: string) => Storage,
  copies: (doc: DocMeta, tokens: number) => number,
  shuffle: { seed: number; buckets: number; workDir: string } | null,
): AsyncGenerator<OrderedDoc> {
  if (!shuffle) {
    for await (const d of datasetOrder(parts, storage)) for (let c = copies(d.doc, d.tokens.length); c > 0; c--) yield d;
    return;
  }
  const buckets: Bucket[] = Array.from({ length: shuffle.buckets }, () => ({ docs: [], bytes: 0, chunks: [] }));
  let buffered = 0;
  const spill = async () => {
    for (const [b, bucket] of buckets.entries()) {
      if (!bucket.docs.length) continue;
      const uri = joinUri(shuffle.workDir, `bucket-${String(b).padStart(5, '0')}-${String(bucket.chunks.length).padStart(5, '0')}`);
      const bin = Buffer.concat(bucket.docs.map((d) => Buffer.from(d.tokens.buffer, d.tokens.byteOffset, d.tokens.byteLength)));
      await storage(uri).write(`${uri}.bin`, bin);
      await storage(uri).write(`${uri}.json`, JSON.stringify(bucket.docs.map((d) => ({ ...d.doc, tokens: d.tokens.length }))));
      bucket.chunks.push(`${uri}.bin`);
      bucket.docs = [];
      bucket.bytes = 0;
    }
    buffered = 0;
  };
  for await (const d of datasetOrder(parts, storage)) {
    const n = copies(d.doc, d.tokens.length);
    for (let c = 0; c < n; c++) {
      const bucket = buckets[Math.floor(unit(shuffle.seed, 'bucket', d.doc.id, c) * shuffle.buckets)] as Bucket;
      // The parts' buffer is dropped after this loop, so keep a copy of the span.
      bucket.docs.push({ doc: d.doc, tokens: d.tokens.slice() });
      bucket.bytes += d.tokens.byteLength;
      buffered += d.tokens.byteLength;
    }
    if (buffered > SPILL_BYTES) await spill();
  }
  for (const [b, bucket] of buckets.entries()) {
    const docs: OrderedDoc[] = [];
    for await (const d of datasetOrder(bucket.chunks, storage)) docs.push({ doc: d.doc, tokens: d.tokens });
    docs.push(...bucket.docs);
    bucket.docs = [];
    // Fisher-Yates driven by the seeded hash: the same order for the same inputs, seed and bucket count.
    for (let i = docs.length - 1; i > 0; i--) {
      const j = Math.floor(unit(shuffle.seed, 'shuffle', b, i) * (i + 1));
      const t = docs[i] as OrderedDoc;
      docs[i] = docs[j] as OrderedDoc;
      docs[j] = t;
    }
    yield* docs;
  }
}
