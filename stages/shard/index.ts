import { ShardConfig } from '../../schemas/stages/shard.js';
import { sha256Hex } from '../../src/hash.js';
import { readDocuments } from '../../src/parts/documents.js';
import { npyBytes } from '../../src/release/npy.js';
import { TarWriter } from '../../src/release/tar.js';
import type { GlobalStage, PhaseContext, PhaseOutput } from '../../src/stage.js';
import { joinUri } from '../../src/storage/index.js';
import { TokenBuffer } from './bpe.js';
import { copiesOf, documentIndex, packingOrder, type TokenizedDoc } from './order.js';
import { SequencePacker, type DocMeta, type PackedSample } from './pack.js';
import { planQuotas } from './quota.js';
import { tokenizer } from './tokenizers.js';


const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const shard: GlobalStage<ShardConfig> = {
  kind: 'global',
  name: 'shard',
  version: 2,
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
        // cl100k_base averages ~4 characters per token on English web text; a shortfall just grows the buffer.
        ids.reserve(Math.ceil(docs.reduce((n, d) => n + d.text.length, 0) / 4) + 2 * docs.length);
        const index: TokenizedDoc[] = [];
        for (const doc of docs) {
          const start = ids.length;
          if (bos) ids.push(tok.bos_id as number);
          tok.encodeInto(doc.text, ids);
          if (eos) ids.push(tok.eos_id);
          const tokens = ids.length - start;
          const lang = typeof doc.meta.lang === 'string' ? doc.meta.lang : null;
          index.push({ id: doc.id, tokens, url: doc.url, source: doc.source.uri, offset: doc.source.offset, lang });
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
 * Lay out documents in dataset order as samples (see pack.ts) and write them into tars. Every
 * shard but the last holds the same number of samples: samples_per_shard, or with shard_bytes
 * as many as fit the first shard within that size.
 */
async function pack(ctx: PhaseContext<ShardConfig>): Promise<PhaseOutput> {
  if (ctx.spec.kind !== 'reduce') throw new Error('pack is a reduce');
  const { seq_len, layout, loss_mask, shard_bytes } = ctx.config;
  const tok = await tokenizer(ctx.config.tokenizer);
  const dtype = tok.vocab_size <= 65536 ? 'uint16' : 'uint32';
  const name = ctx.plan.pipeline.name;
  const shards: { name: string; sha256: string; bytes: number; samples: number; tokens: number }[] = [];
  const sample_tokens = ctx.config.sample_tokens === 'seq_len+1' ? seq_len + 1 : seq_len;
  const packer = new SequencePacker({ layout, sample_tokens, loss_mask });

  let perShard: number | null = shard_bytes === undefined ? ctx.config.samples_per_shard : null;
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
    perShard ??= shardSamples;
    tar = new TarWriter();
    shardSamples = 0;
    shardTokens = 0;
  };

  const emitSample = async (s: PackedSample) => {
    const key = pad(sampleIndex, 9);
    const members: [string, Buffer][] = [[`${key}.tokens.npy`, npyBytes(s.tokens, dtype)]];
    if (s.loss_mask) members.push([`${key}.loss_mask.npy`, npyBytes(s.loss_mask)]);
    members.push([`${key}.json`, Buffer.from(JSON.stringify({ sample: sampleIndex, tokens: s.tokens.length, docs: s.docs }))]);
    // The first shard under a byte target closes before the sample that would overflow it; its count is every shard's.
    if (perShard === null && shardSamples > 0 && tar.bytes + members.reduce((n, [, d]) => n + TarWriter.memberBytes(d), 0) > (shard_bytes as number)) await closeShard();
    for (const [member, data] of members) tar.add(member, data);
    const shardName = `${name}-${pad(shards.length, 6)}.tar`;
    for (const d of s.docs) {
      ctx.row('samples', { shard: shardName, key, doc_id: d.id, sample_start: d.range[0], sample_end: d.range[1], doc_token_start: d.doc_token_start });
    }
    shardTokens += s.tokens.length;
    shardSamples++;
    sampleIndex++;
    if (shardSamples === perShard) await closeShard();
  };

  const { seed } = ctx.plan.pipeline;
  const parts = ctx.spec.parts;
  const mixCopies = copiesOf(ctx.config.mix, seed);
  const quotas = ctx.config.quotas
    ? await planQuotas(ctx.config.quotas, seed, async function* () {
      for await (const { tokens, ...doc } of documentIndex(parts, ctx.storage)) yield { doc, tokens, mixCopies: mixCopies(doc) };
    })
    : null;
  let docsIn = 0;
  let docsOut = 0;
  const dropped: Record<string, number> = {};
  const released = new Map<string, { tokens: number; documents: number; dropped: number; repeated: number }>();
  // The one provenance event per document of this stage: how many copies it got, and why when not one.
  const counted = (doc: DocMeta, tokens: number) => {
    const m = mixCopies(doc);
    const group = quotas?.groupOf(doc.lang) ?? null;
    const n = quotas ? quotas.copies(doc, m) : m;
    docsIn++;
    const lang = doc.lang ?? 'unknown';
    const reason = group !== null && n !== m ? `quota:${lang}` : n === 0 ? 'mix' : null;
    const detail = { tokens, ...(n === 1 ? {} : { copies: n }), ...(ctx.config.mix.length ? { mix_copies: m } : {}), ...(group === null ? {} : { quota: group }) };
    if (n > 0) {
      docsOut++;
      ctx.event(doc.id, 'keep', reason, detail);
    } else {
      dropped[reason as string] = (dropped[reason as string] ?? 0) + 1;
      ctx.event(doc.id, 'drop', reason, detail);
    }
    if (group !== null) {
      const r = released.get(group) ?? { tokens: 0, documents: 0, dropped: 0, repeated: 0 };
      r.tokens += n * tokens;
      if (n > 0) r.documents++;
      if (n === 0) r.dropped++;
      if (n > m) r.repeated++;
      released.set(group, r);
    }
    return n;
  };
  const shuffle = ctx.config.shuffle ? { seed, buckets: ctx.config.shuffle.buckets, workDir: joinUri(ctx.stageDir, 'shuffle') } : null;
  for await (const { doc, tokens } of packingOrder(parts, ctx.storage, counted, shuffle)) {
    docs++;
    for (const s of packer.add(doc, tokens)) await emitSample(s);
  }
  for (const s of packer.finish()) await emitSample(s);
  await closeShard();

  const totalTokens = shards.reduce((n, s) => n + s.tokens, 0);
  // The quotas as configured, then what they decided and what the shards hold per quota group.
  const quotaReport = quotas && ctx.config.quotas
    ? {
      ...ctx.config.quotas,
      languages: quotas.groups.map((g) => {
        const r = released.get(g.lang) ?? { tokens: 0, documents: 0, dropped: 0, repeated: 0 };
        return { ...g, tokens: r.tokens, share: totalTokens ? Number((r.tokens / totalTokens).toFixed(6)) : 0, documents: r.documents, dropped: r.dropped, repeated: r.repeated };
      }),
    }
    : null;
  ctx.stats.tokenizer = {
    name: tok.name,
    package: tok.package,
    vocab_size: tok.vocab_size,
    vocab_sha256: tok.vocab_sha256,
    eos_id: tok.eos_id,
    ...(tok.bos_id === null ? {} : { bos_id: tok.bos_id }),
    bos: ctx.config.bos,
    eos: ctx.config.eos,
    dtype,
  };
  ctx.stats.packing = {
    seq_len,
    samples_per_shard: perShard ?? sampleIndex,
    separator: ctx.config.eos ? 'eos' : 'none',
    remainder: layout === 'packed' ? 'last sample is shorter' : 'none',
    layout,
    sample_tokens: layout === 'packed' ? sample_tokens : null,
    loss_mask,
    ...(shard_bytes === undefined ? {} : { shard_bytes }),
    ...(ctx.config.mix.length ? { mix: ctx.config.mix } : {}),
    ...(ctx.config.mix.length || ctx.config.quotas ? { copies: docs } : {}),
    ...(shuffle ? { shuffle: { seed: shuffle.seed, buckets: shuffle.buckets } } : {}),
    ...(quotaReport ? { quotas: quotaReport } : {}),
  };
  ctx.stats.shards = shards;
  ctx.stats.samples = sampleIndex;
  ctx.stats.tokens = totalTokens;
  // docs_out counts distinct documents released; `packing.copies` counts them with their repeats.
  return { docs_in: docsIn, docs_out: docsOut, outputs: [], dropped };
}
