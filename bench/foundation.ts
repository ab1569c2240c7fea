/**
 * Foundation bench: our langid and tokenizer against the reference Python implementations, on
 * the same documents in the same run, one core each.
 *
 *   langid    stages/langid decision function (fastText lid.176 compiled to WASM, in-process)
 *             vs fastText's Python bindings loading the same lid.176.ftz, predict(k=3)
 *   tokenize  stages/shard tokenizer('cl100k_base') encode (our BPE over gpt-tokenizer's ranks)
 *             vs tiktoken cl100k_base encode_ordinary, with the BPE ranks written from gpt-tokenizer's
 *
 * Run with `make bench B=foundation`. Human-readable lines first; the last line is one JSON
 * object. See docs/benchmarks.md for the method and the figures.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LangidConfig } from '../schemas/stages/langid.js';
import type { Document } from '../schemas/document.js';
import { langid } from '../stages/langid/index.js';
import { tiktokenEncoding, tokenizer } from '../stages/shard/tokenizers.js';
import { buildCorpus, readCorpus, writeCorpus, type BenchDoc } from './corpus.js';
import { CL100K_TIKTOKEN_SHA256, writeTiktokenFile } from './tiktoken-file.js';
import { PythonPeer } from './python-peer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const DOCS = Number(process.env.CORPUSFLOW_BENCH_DOCS ?? 10_000);
const REPS = Number(process.env.CORPUSFLOW_BENCH_REPS ?? 3);
/** Documents per block of an interleaved pass: about a second of langid on one core. */
const BLOCK = Number(process.env.CORPUSFLOW_BENCH_BLOCK ?? 500);

interface Pass {
  seconds: number;
  cpu_seconds: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

function timed(run: () => void): Pass {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 };
}

/** [tokens, seconds] per kind of document, pooled over the timed passes. */
type ByKind = Map<string, [number, number]>;
function addKind(byKind: ByKind, kind: string, tokens: number, seconds: number): void {
  const acc = byKind.get(kind) ?? [0, 0];
  acc[0] += tokens;
  acc[1] += seconds;
  byKind.set(kind, acc);
}

/** One side's timing of one block or pass, with what it processed (documents or tokens). */
type Measured = Pass & { units: number };
type Runner = (lo: number, hi: number) => Promise<Measured>;
/** One pass per runner over the whole corpus, plus the ratio runner0/runner1 of each block's rates. */
type Paired = Pass[] & { blockRatios: number[] };

/**
 * Run every runner over the corpus in blocks of BLOCK documents, rotating which runner goes
 * first in each block, so the sides see the same load on a shared machine within seconds of
 * each other rather than minutes apart.
 */
async function interleavedPass(n: number, runners: Runner[]): Promise<Paired> {
  const totals: Pass[] = runners.map(() => ({ seconds: 0, cpu_seconds: 0 }));
  const blockRatios: number[] = [];
  for (let lo = 0, b = 0; lo < n; lo += BLOCK, b++) {
    const hi = Math.min(n, lo + BLOCK);
    const results: Measured[] = new Array<Measured>(runners.length);
    for (let j = 0; j < runners.length; j++) {
      const k = (j + b) % runners.length;
      const m = await (runners[k] as Runner)(lo, hi);
      results[k] = m;
      (totals[k] as Pass).seconds += m.seconds;
      (totals[k] as Pass).cpu_seconds += m.cpu_seconds;
    }
    const [a, z] = results;
    if (a && z) blockRatios.push(a.units / a.seconds / (z.units / z.seconds));
  }
  return Object.assign(totals, { blockRatios });
}

type TiktokenPass = Pass & { tokens: number; by_kind: Record<string, [number, number]> };

interface PeerReady {
  docs: number;
  load_seconds: { fasttext: number; tiktoken: number };
  versions: Record<string, string>;
}

async function main(): Promise<void> {
  const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');
  if (!existsSync(python)) throw new Error(`no Python at ${python}: run \`make bench B=foundation\` (it creates .venv-bench)`);
  const work = mkdtempSync(join(tmpdir(), 'corpusflow-bench-'));
  try {
    await run(python, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function run(python: string, work: string): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`foundation bench: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpu}), node ${process.version}`);

  // --- one corpus, written once, read back by both sides ---
  const shared = resolve(ROOT, '..', 'shared', 'data', 'warc');
  const built = buildCorpus(ROOT, DOCS, existsSync(shared) ? shared : null);
  const corpusPath = join(work, 'corpus.jsonl');
  writeCorpus(corpusPath, built.docs);
  const corpus: BenchDoc[] = readCorpus(corpusPath);
  const bytes = corpus.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  console.log(`corpus: ${corpus.length} documents, ${(bytes / 1e6).toFixed(1)} MB, mean ${fmt(bytes / corpus.length)} bytes`);
  for (const s of built.sources) console.log(`  from ${s}`);

  const lidModel = require.resolve('fasttext.wasm.js/dist/models/language-identification/assets/lid.176.ftz');
  const lidSha = createHash('sha256').update(readFileSync(lidModel)).digest('hex');
  const bpePath = join(work, 'cl100k_base.tiktoken');
  const bpeSha = await writeTiktokenFile(bpePath);
  console.log(`lid.176.ftz (the file our stage loads, given to the peer too): sha256 ${lidSha.slice(0, 16)}…`);
  console.log(`cl100k_base.tiktoken written from gpt-tokenizer's ranks: sha256 ${bpeSha.slice(0, 16)}… ${bpeSha === CL100K_TIKTOKEN_SHA256 ? '= tiktoken\'s expected hash' : 'DIFFERS from tiktoken\'s expected hash'}`);

  // --- load both sides (timed apart from the passes) ---
  let t0 = performance.now();
  const decide = await langid.open(LangidConfig.parse({ stage: 'langid' }));
  const oursLidLoad = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const tok = await tokenizer('cl100k_base');
  tok.encode('warm up the regex and the rank table');
  const oursTokLoad = (performance.now() - t0) / 1000;

  const peer = new PythonPeer(python, 'foundation_peer.py', [corpusPath, lidModel, bpePath]);
  try {
    const ready = await peer.read<PeerReady>();
    if (ready.docs !== corpus.length) throw new Error(`peer read ${ready.docs} documents, we read ${corpus.length}`);
    console.log(`peer: python ${ready.versions.python}, fasttext-numpy2-wheel ${ready.versions.fasttext}, tiktoken ${ready.versions.tiktoken}, numpy ${ready.versions.numpy}; ours: ${tok.package}, fasttext.wasm.js@${(require('fasttext.wasm.js/package.json') as { version: string }).version}`);
    console.log(`load: ours langid ${oursLidLoad.toFixed(3)} s, fastText ${ready.load_seconds.fasttext.toFixed(3)} s; ours cl100k ${oursTokLoad.toFixed(3)} s, tiktoken ${ready.load_seconds.tiktoken.toFixed(3)} s`);

    const docs: Document[] = corpus.map((d, i) => ({
      id: d.id,
      text: d.text,
      url: null,
      source: { uri: corpusPath, offset: i, record_id: null, fetch_date: null, license: null },
      meta: {},
    }));
    const n = docs.length;
    const ourLabels: string[] = new Array<string>(n);
    const kinds = { ours: new Map() as ByKind, nocache: new Map() as ByKind, tiktoken: new Map() as ByKind };

    // Each side is one "runner" over a block of documents [lo, hi), returning its own timing.
    const oursLangid = (keep: boolean): Runner => async (lo, hi) => ({
      ...timed(() => {
        for (let i = lo; i < hi; i++) {
          const outcome = decide(docs[i] as Document);
          if (outcome instanceof Promise) throw new Error('langid decided asynchronously; this bench times a synchronous pass');
          if (keep) ourLabels[i] = String(outcome.meta?.lang);
        }
      }),
      units: hi - lo,
    });
    const peerLangid: Runner = async (lo, hi) => ({ ...(await peer.ask<Pass>(`langid ${lo} ${hi}`)), units: hi - lo });
    const oursEncode = (byKind?: ByKind): Runner => async (lo, hi) => {
      let tokens = 0;
      const pass = timed(() => {
        for (let i = lo; i < hi; i++) {
          const t = performance.now();
          const k = tok.encode((docs[i] as Document).text).length;
          tokens += k;
          if (byKind) addKind(byKind, (corpus[i] as BenchDoc).built_from, k, (performance.now() - t) / 1000);
        }
      });
      return { ...pass, units: tokens };
    };
    const peerEncode = (byKind?: ByKind): Runner => async (lo, hi) => {
      const pass = await peer.ask<TiktokenPass>(`tiktoken ${lo} ${hi}`);
      if (byKind) for (const [kind, [k, sec]] of Object.entries(pass.by_kind)) addKind(byKind, kind, k, sec);
      return { ...pass, units: pass.tokens };
    };
    // Our encoder keeps a piece cache that tiktoken has no counterpart for, and this corpus
    // repeats its articles, so also time an encoder with the cache off.
    const uncached = await tiktokenEncoding('cl100k_base', 0);
    const oursEncodeNoCache: Runner = async (lo, hi) => {
      let tokens = 0;
      const pass = timed(() => {
        for (let i = lo; i < hi; i++) {
          const t = performance.now();
          const k = uncached.encode((docs[i] as Document).text).length;
          tokens += k;
          addKind(kinds.nocache, (corpus[i] as BenchDoc).built_from, k, (performance.now() - t) / 1000);
        }
      });
      return { ...pass, units: tokens };
    };
    // What the shard stage's tokenize phase does in memory per document: encode, EOS, to uint32.
    const oursTokenizePhase: Runner = async (lo, hi) => {
      let tokens = 0;
      const pass = timed(() => {
        for (let i = lo; i < hi; i++) {
          const ids = tok.encode((docs[i] as Document).text);
          tokens += Uint32Array.from([...ids, tok.eos_id]).length;
        }
      });
      return { ...pass, units: tokens };
    };

    // --- first passes: cold caches, and the outputs compared for agreement ---
    const cold = {
      langid: await interleavedPass(n, [oursLangid(true), peerLangid]),
      encode: await interleavedPass(n, [oursEncode(), peerEncode()]),
    };

    const peerLabels = (await peer.ask<{ labels: string[] }>('langid_labels')).labels;
    let labelsSame = 0;
    const differ = new Map<string, number>();
    let udhrDocs = 0;
    let oursRight = 0;
    let peerRight = 0;
    corpus.forEach((d, i) => {
      if (ourLabels[i] === peerLabels[i]) labelsSame++;
      else differ.set(d.built_from, (differ.get(d.built_from) ?? 0) + 1);
      if (d.built_from !== 'mixed' && d.built_from !== 'wet') {
        udhrDocs++;
        if (ourLabels[i] === d.built_from) oursRight++;
        if (peerLabels[i] === d.built_from) peerRight++;
      }
    });
    const langidAgreement = labelsSame / n;

    const idsPath = join(work, 'tiktoken-ids.bin');
    await peer.ask('tiktoken_ids ' + idsPath);
    const peerIds = readFileSync(idsPath);
    let at = 0;
    let docsSame = 0;
    let ourTokens = 0;
    let peerTokens = 0;
    let firstDiff: string | null = null;
    for (const d of docs) {
      const count = peerIds.readUInt32LE(at);
      const theirs = new Uint32Array(peerIds.buffer.slice(peerIds.byteOffset + at + 4, peerIds.byteOffset + at + 4 + 4 * count));
      at += 4 + 4 * count;
      const ours = tok.encode(d.text);
      ourTokens += ours.length;
      peerTokens += count;
      if (ours.length === count && ours.every((id, j) => id === theirs[j])) docsSame++;
      else firstDiff ??= d.id;
    }
    const tokenAgreement = docsSame / n;

    // --- timed repetitions: every pass interleaves the two sides block by block ---
    const langidReps: Paired[] = [];
    const encodeReps: Paired[] = [];
    const phaseReps: Pass[] = [];
    let noCache: Pass | null = null;
    for (let r = 0; r < REPS; r++) {
      langidReps.push(await interleavedPass(n, [oursLangid(false), peerLangid]));
      encodeReps.push(await interleavedPass(n, [oursEncode(kinds.ours), peerEncode(kinds.tiktoken)]));
      // One cache-off pass shows the gap; it is the slowest pass of the run.
      if (r === 0) noCache = (await interleavedPass(n, [oursEncodeNoCache]))[0] ?? null;
      phaseReps.push((await interleavedPass(n, [oursTokenizePhase]))[0] as Pass);
    }

    const side = (reps: Paired[], k: 0 | 1) => reps.map((p) => p[k] as Pass);
    const rate = (passes: Pass[], units: number) => units / median(passes.map((p) => p.seconds));
    const best = (passes: Pass[], units: number) => units / Math.min(...passes.map((p) => p.seconds));
    const cpuShare = (passes: Pass[]) => median(passes.map((p) => p.cpu_seconds / p.seconds));
    const perCpu = (passes: Pass[], units: number) => units / median(passes.map((p) => p.cpu_seconds));
    const blockRatio = (reps: Paired[]) => median(reps.flatMap((p) => p.blockRatios));

    const oursDocs = rate(side(langidReps, 0), n);
    const ftDocs = rate(side(langidReps, 1), n);
    const oursTps = rate(side(encodeReps, 0), ourTokens);
    const tikTps = rate(side(encodeReps, 1), peerTokens);
    const phaseTps = rate(phaseReps, ourTokens + n);
    const noCacheTps = noCache ? ourTokens / noCache.seconds : NaN;
    // Units per CPU-second of the process, and the median of the ratios of adjacent blocks:
    // both less exposed than whole-pass wall clock to other load on a shared machine.
    const cpuRatios = {
      fasttext: perCpu(side(langidReps, 0), n) / perCpu(side(langidReps, 1), n),
      tiktoken: perCpu(side(encodeReps, 0), ourTokens) / perCpu(side(encodeReps, 1), peerTokens),
    };
    const blockRatios = { fasttext: blockRatio(langidReps), tiktoken: blockRatio(encodeReps) };
    const coldRate = (p: Paired, k: 0 | 1, units: number) => fmt(units / (p[k] as Pass).seconds);

    console.log('');
    console.log(`langid (docs/s on one core, median of ${REPS} passes; best in brackets; cpu/wall in braces):`);
    console.log(`  ours  stages/langid (fastText WASM) ${fmt(oursDocs)} [${fmt(best(side(langidReps, 0), n))}] {${cpuShare(side(langidReps, 0)).toFixed(2)}}   first pass ${coldRate(cold.langid, 0, n)}`);
    console.log(`  peer  fastText Python               ${fmt(ftDocs)} [${fmt(best(side(langidReps, 1), n))}] {${cpuShare(side(langidReps, 1)).toFixed(2)}}   first pass ${coldRate(cold.langid, 1, n)}`);
    console.log(`  ratio ours/peer ${(oursDocs / ftDocs).toFixed(3)} (per CPU-second ${cpuRatios.fasttext.toFixed(3)}, median of block ratios ${blockRatios.fasttext.toFixed(3)}); MB/s ours ${(bytes / 1e6 / (n / oursDocs)).toFixed(2)}, peer ${(bytes / 1e6 / (n / ftDocs)).toFixed(2)}`);
    console.log(`  per CPU-second of each process: ours ${fmt(perCpu(side(langidReps, 0), n))}, peer ${fmt(perCpu(side(langidReps, 1), n))} docs/s`);
    console.log(`  agreement on the top label: ${labelsSame}/${n} = ${langidAgreement.toFixed(4)}${differ.size ? ` (differing by document kind: ${[...differ].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`);
    console.log(`  top label = the UDHR language the document was built from: ours ${oursRight}/${udhrDocs}, peer ${peerRight}/${udhrDocs}`);
    console.log(`tokenize cl100k_base (tokens/s on one core, median of ${REPS} passes; best in brackets; cpu/wall in braces):`);
    console.log(`  ours  stages/shard encode          ${fmt(oursTps)} [${fmt(best(side(encodeReps, 0), ourTokens))}] {${cpuShare(side(encodeReps, 0)).toFixed(2)}}   first pass ${coldRate(cold.encode, 0, ourTokens)}`);
    console.log(`  peer  tiktoken encode_ordinary      ${fmt(tikTps)} [${fmt(best(side(encodeReps, 1), peerTokens))}] {${cpuShare(side(encodeReps, 1)).toFixed(2)}}   first pass ${coldRate(cold.encode, 1, peerTokens)}`);
    console.log(`  ours  stages/shard, piece cache off ${fmt(noCacheTps)} {${noCache ? (noCache.cpu_seconds / noCache.seconds).toFixed(2) : '-'}}   one pass`);
    console.log(`  ratio ours/peer ${(oursTps / tikTps).toFixed(3)} (per CPU-second ${cpuRatios.tiktoken.toFixed(3)}, median of block ratios ${blockRatios.tiktoken.toFixed(3)}); merge cache off ${(noCacheTps / tikTps).toFixed(3)}`);
    console.log(`  per CPU-second of each process: ours ${fmt(perCpu(side(encodeReps, 0), ourTokens))}, peer ${fmt(perCpu(side(encodeReps, 1), peerTokens))} tokens/s`);
    console.log(`  (encode only; with the shard stage's EOS + Uint32Array copy ours is ${fmt(phaseTps)} tokens/s)`);
    console.log(`  by kind of document (tokens/s pooled over the timed passes: ours | ours, merge cache off | tiktoken):`);
    for (const kind of [...kinds.tiktoken.keys()].sort()) {
      const r = (m: ByKind) => {
        const [k, sec] = m.get(kind) ?? [0, 0];
        return sec > 0 ? k / sec : NaN;
      };
      console.log(`    ${kind.padEnd(6)} ${fmt(r(kinds.ours)).padStart(10)} | ${fmt(r(kinds.nocache)).padStart(10)} | ${fmt(r(kinds.tiktoken)).padStart(10)}   (ours / tiktoken ${(r(kinds.ours) / r(kinds.tiktoken)).toFixed(2)}, cache off / tiktoken ${(r(kinds.nocache) / r(kinds.tiktoken)).toFixed(2)})`);
    }
    console.log(`  tokens: ours ${ourTokens}, tiktoken ${peerTokens}; documents with identical ids ${docsSame}/${n} = ${tokenAgreement.toFixed(4)}${firstDiff ? `, first difference in ${firstDiff}` : ''}`);

    const summary = {
      bench: 'foundation',
      unit: 'docs/s/core',
      ours: round(oursDocs, 1),
      peers: { fasttext: round(ftDocs, 1) },
      ratios: { fasttext: round(oursDocs / ftDocs, 3), tiktoken: round(oursTps / tikTps, 3) },
      targets: { fasttext: 1, tiktoken: 1 },
      tokens_per_s: { ours: round(oursTps, 0), tiktoken: round(tikTps, 0), ours_no_merge_cache: round(noCacheTps, 0) },
      per_cpu_second: {
        ours_docs: round(perCpu(side(langidReps, 0), n), 1),
        fasttext_docs: round(perCpu(side(langidReps, 1), n), 1),
        ours_tokens: round(perCpu(side(encodeReps, 0), ourTokens), 0),
        tiktoken_tokens: round(perCpu(side(encodeReps, 1), peerTokens), 0),
      },
      cpu_time_ratios: { fasttext: round(cpuRatios.fasttext, 3), tiktoken: round(cpuRatios.tiktoken, 3) },
      block_ratios: { fasttext: round(blockRatios.fasttext, 3), tiktoken: round(blockRatios.tiktoken, 3) },
      agreement: { langid: round(langidAgreement, 4), tokens: round(tokenAgreement, 4) },
      docs: n,
      tokens: ourTokens,
      bytes,
      load_s: {
        ours_langid: round(oursLidLoad, 3),
        fasttext: round(ready.load_seconds.fasttext, 3),
        ours_tokenizer: round(oursTokLoad, 3),
        tiktoken: round(ready.load_seconds.tiktoken, 3),
      },
      method: `median of ${REPS} passes after a warm-up pass, the two sides interleaved in blocks of ${BLOCK} documents, wall clock, one thread each`,
    };
    console.log(JSON.stringify(summary));
  } finally {
    peer.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
