import { ShardConfig } from '../../schemas/stages/shard.js';
import { sha256Hex } from '../../src/hash.js';
import { readDocuments } from '../../src/parts/documents.js';
import { npyBytes } from '../../src/release/npy.js';
import { TarWriter } from '../../src/release/tar.js';
import type { GlobalStage, PhaseContext } from '../../src/stage.js';
import { joinUri } from '../../src/storage/index.js';
import { TokenBuffer } from './bpe.js';
import { tokenizer } from './tokenizers.js';

/** What the tokenize phase records per document, next to its tokens. */
interface TokenizedDoc {
  id: string;
  tokens: number;
  url: string | null;
  source: string;
  offset: number;
  lang: string | null;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const shard: GlobalStage<ShardConfig> = {
  kind: 'global',
  name: 'shard',
  version: 1,
  config: ShardConfig,
  phases: [
    {
      name: 'tokenize',
      kind: 'per-part',
      async run(ctx) {
        if (ctx.spec.kind !== 'part') throw new Error('tokenize runs per part');
        const tok = await tokenizer(ctx.config.tokenizer);
        const { bos, eos } = ctx.config;
        const docs = await readDocuments(ctx.storage(ctx.spec.part), ctx.spec.part);
        const ids = new TokenBuffer();
        const index: TokenizedDoc[] = [];
        for (const doc of docs) {
          const start = ids.length;
          if (bos) ids.push(tok.bos_id as number);
          tok.encodeInto(doc.text, ids);
          if (eos) ids.push(tok.eos_id);
          const tokens = ids.length - start;
          const lang = typeof doc.meta.lang === 'string' ? doc.meta.lang : null;
          index.push({ id: doc.id, tokens, url: doc.url, source: doc.source.uri, offset: doc.source.offset, lang });
          ctx.event(doc.id, 'keep', null, { tokens });
        }
        const bin = Buffer.from(ids.ids.buffer, 0, ids.length * 4);
        const base = joinUri(ctx.stageDir, 'tokens', `part-${pad(ctx.taskIndex, 5)}`);
        await ctx.storage(base).write(`${base}.bin`, bin);
        await ctx.storage(base).write(`${base}.json`, JSON.stringify(index));
        return { docs_in: docs.length, docs_out: docs.length, outputs: [{ uri: `${base}.bin`, rows: docs.length, sha256: sha256Hex(bin), bytes: bin.length }] };
      },
    },
    {
      name: 'pack',
      kind: 'reduce',
      run: pack,
    },
  ],
};

/**
 * Concatenate documents (EOS-separated) in dataset order and cut them into samples of seq_len
 * tokens; the last sample holds the remainder. Every shard but the last holds samples_per_shard.
 */
async function pack(ctx: PhaseContext<ShardConfig>): Promise<{ docs_in: number; docs_out: number; outputs: [] }> {
  if (ctx.spec.kind !== 'reduce') throw new Error('pack is a reduce');
  const { seq_len, samples_per_shard } = ctx.config;
  const tok = await tokenizer(ctx.config.tokenizer);
  const Dtype = tok.vocab_size <= 65536 ? Uint16Array : Uint32Array;
  const name = ctx.plan.pipeline.name;
  const shards: { name: string; sha256: string; bytes: number; samples: number; tokens: number }[] = [];

  const sample = new Uint32Array(seq_len);
  let fill = 0;
  let sampleDocs: (Omit<TokenizedDoc, 'tokens'> & { range: [number, number]; doc_token_start: number })[] = [];
  let sampleIndex = 0;
  let tar = new TarWriter();
  let shardSamples = 0;
  let shardTokens = 0;
  let docs = 0;

  const closeShard = async () => {
    if (shardSamples === 0) return;
    const bytes = tar.finish();
    const shardName = `${name}-${pad(shards.length, 6)}.tar`;
    const uri = joinUri(ctx.plan.release_dir, 'shards', shardName);
    await ctx.storage(uri).write(uri, bytes);
    const info = { name: shardName, sha256: sha256Hex(bytes), bytes: bytes.length, samples: shardSamples, tokens: shardTokens };
    shards.push(info);
    ctx.row('shards', { shard: info.name, sha256: info.sha256, bytes: info.bytes, samples: info.samples, tokens: info.tokens });
    tar = new TarWriter();
    shardSamples = 0;
    shardTokens = 0;
  };

  const emitSample = async () => {
    const key = pad(sampleIndex, 9);
    const shardName = `${name}-${pad(shards.length, 6)}.tar`;
    tar.add(`${key}.tokens.npy`, npyBytes(Dtype.from(sample.subarray(0, fill))));
    tar.add(`${key}.json`, Buffer.from(JSON.stringify({ sample: sampleIndex, tokens: fill, docs: sampleDocs })));
    for (const d of sampleDocs) {
      ctx.row('samples', { shard: shardName, key, doc_id: d.id, sample_start: d.range[0], sample_end: d.range[1], doc_token_start: d.doc_token_start });
    }
    shardTokens += fill;
    shardSamples++;
    sampleIndex++;
    fill = 0;
    sampleDocs = [];
    if (shardSamples === samples_per_shard) await closeShard();
  };

  for (const part of ctx.spec.parts) {
    const store = ctx.storage(part);
    const raw = await store.read(part);
    // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
    const tokens = new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const index = JSON.parse((await store.read(part.replace(/\.bin$/, '.json'))).toString('utf8')) as TokenizedDoc[];
    let offset = 0;
    for (const { tokens: count, ...doc } of index) {
      docs++;
      let pos = 0;
      while (pos < count) {
        const take = Math.min(seq_len - fill, count - pos);
        sample.set(tokens.subarray(offset + pos, offset + pos + take), fill);
        sampleDocs.push({ ...doc, range: [fill, fill + take], doc_token_start: pos });
        fill += take;
        pos += take;
        if (fill === seq_len) await emitSample();
      }
      offset += count;
    }
  }
  if (fill > 0) await emitSample();
  await closeShard();

  ctx.stats.tokenizer = {
    name: tok.name,
    package: tok.package,
    vocab_size: tok.vocab_size,
    vocab_sha256: tok.vocab_sha256,
    eos_id: tok.eos_id,
    ...(tok.bos_id === null ? {} : { bos_id: tok.bos_id }),
    bos: ctx.config.bos,
    eos: ctx.config.eos,
    dtype: Dtype === Uint16Array ? 'uint16' : 'uint32',
  };
  ctx.stats.packing = { seq_len, samples_per_shard, separator: 'eos', remainder: 'last sample is shorter' };
  ctx.stats.shards = shards;
  ctx.stats.samples = sampleIndex;
  ctx.stats.tokens = shards.reduce((n, s) => n + s.tokens, 0);
  return { docs_in: docs, docs_out: docs, outputs: [] };
}
