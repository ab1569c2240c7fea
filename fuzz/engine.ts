import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * A coverage-guided mutation fuzzer on V8's own block coverage. Jazzer.js 4.0.0 installs from npm
 * but its only native fuzzer ships as prebuilt binaries linked against glibc 2.38 (Debian 12 has
 * 2.36) and the package carries no C++ sources to rebuild it from, so libFuzzer is out of reach
 * offline. V8 counts every executed block when precise coverage is on; after each input the
 * counters are read (and reset), bucketed as AFL does (1, 2, 3, 4-7, 8-15, ...), and an input that
 * reaches a new (block, bucket) pair joins the corpus, so mutations build on what got further.
 */
export interface FuzzTarget {
  name: string;
  /** Throws only on a defect: expected rejections of bad input are caught inside. */
  run(data: Buffer): void | Promise<void>;
  seeds: Buffer[];
  /** Tokens the mutator splices in (format keywords a random byte flip would rarely hit). */
  dictionary: string[];
  /** Script URLs whose coverage guides the search. */
  covers: RegExp;
  maxLength?: number;
}

export interface FuzzOptions {
  seconds: number;
  /** A single input over this many ms is a finding: the time budget is part of the contract. */
  slowMs: number;
  /** Growth of the resident set over the start by more than this is a finding. */
  rssGrowthMb: number;
  outDir: string;
  seed: number;
}

export interface FuzzReport {
  target: string;
  seconds: number;
  executions: number;
  corpus: number;
  features: number;
  crashes: number;
  slow: number;
  memory: number;
  unique_findings: string[];
}

/** xorshift32: a seeded generator so a run can be repeated. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const INTERESTING = ['0', '-1', '1', '255', '65535', '2147483647', '2147483648', '4294967296', '9007199254740993', '1e309', 'NaN', '0x10', '99999999999999999999'];
const BYTES = [0x00, 0x01, 0x0a, 0x0d, 0x20, 0x7f, 0x80, 0xbf, 0xc0, 0xe0, 0xf0, 0xf8, 0xff];

function bucket(count: number): number {
  if (count <= 3) return count;
  return 32 - Math.clz32(count) + 2;
}

export class Mutator {
  readonly random: () => number;
  constructor(seed: number, private readonly dictionary: Buffer[], private readonly maxLength: number) {
    this.random = rng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  mutate(input: Buffer, corpus: Buffer[]): Buffer {
    let out: Buffer = Buffer.from(input);
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) out = this.once(out, corpus);
    return out.length > this.maxLength ? out.subarray(0, this.maxLength) : out;
  }

  private once(b: Buffer, corpus: Buffer[]): Buffer {
    const at = b.length === 0 ? 0 : this.int(b.length);
    switch (this.int(11)) {
      case 0: // flip a bit
        if (b.length) b[at] = (b[at] as number) ^ (1 << this.int(8));
        return b;
      case 1: // an edge byte value
        if (b.length) b[at] = BYTES[this.int(BYTES.length)] as number;
        return b;
      case 2: // random byte
        if (b.length) b[at] = this.int(256);
        return b;
      case 3: { // delete a run
        const n = 1 + this.int(Math.min(64, Math.max(1, b.length - at)));
        return Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
      }
      case 4: { // insert a dictionary token
        const token = this.dictionary[this.int(this.dictionary.length)] ?? Buffer.from('\n');
        return Buffer.concat([b.subarray(0, at), token, b.subarray(at)]);
      }
      case 5: { // duplicate a run (nesting, repetition)
        const n = 1 + this.int(Math.min(256, Math.max(1, b.length - at)));
        const copies = 1 + this.int(this.random() < 0.1 ? 200 : 4);
        const run = b.subarray(at, at + n);
        return Buffer.concat([b.subarray(0, at), ...Array.from({ length: copies }, () => run), b.subarray(at)]);
      }
      case 6: { // splice with another corpus entry
        const other = corpus[this.int(corpus.length)] ?? b;
        const from = this.int(Math.max(1, other.length));
        return Buffer.concat([b.subarray(0, at), other.subarray(from, from + 1 + this.int(512))]);
      }
      case 7: { // rewrite a number
        const text = b.toString('latin1');
        const digits = [...text.matchAll(/\d+/g)];
        const m = digits[this.int(digits.length)];
        if (!m || m.index === undefined) return b;
        const repl = this.random() < 0.5 ? INTERESTING[this.int(INTERESTING.length)] as string : String(Number(m[0]) + this.int(21) - 10);
        return Buffer.concat([b.subarray(0, m.index), Buffer.from(repl, 'latin1'), b.subarray(m.index + m[0].length)]);
      }
      case 8: { // overwrite with a little-endian integer (gzip sizes, CRCs, tar sizes)
        if (b.length < 4) return b;
        const p = this.int(b.length - 3);
        b.writeUInt32LE([0, 1, 0x7fffffff, 0xffffffff, this.int(2 ** 32)][this.int(5)] as number, p);
        return b;
      }
      case 9: // truncate
        return b.subarray(0, at);
      default: { // insert random bytes
        const n = 1 + this.int(16);
        const bytes = Buffer.alloc(n);
        for (let i = 0; i < n; i++) bytes[i] = this.int(256);
        return Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)]);
      }
    }
  }
}

/** What a thrown value says, as one line: the key findings are grouped by. */
function signature(err: unknown): string {
  if (err instanceof Error) {
    const frame = (err.stack ?? '').split('\n').find((l) => l.includes(' at ')) ?? '';
    return `${err.name}: ${err.message.slice(0, 120)} ${frame.trim()}`;
  }
  return `non-error thrown: ${String(err).slice(0, 120)}`;
}

export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const dir = join(options.outDir, target.name);
  const corpusDir = join(dir, 'corpus');
  const findingsDir = join(dir, 'findings');
  mkdirSync(corpusDir, { recursive: true });
  mkdirSync(findingsDir, { recursive: true });

  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): T => {
    let result: T | undefined;
    let error: Error | null = null;
    // An in-thread session answers synchronously.
    session.post(method, params, (err, res) => {
      error = err;
      result = res as T;
    });
    if (error) throw error;
    return result as T;
  };
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });

  type Coverage = { result: { url: string; functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[] }[] };
  const seen = new Set<string>();
  const newFeatures = (): number => {
    const { result } = post<Coverage>('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const script of result) {
      if (!target.covers.test(script.url)) continue;
      for (const fn of script.functions) {
        for (const r of fn.ranges) {
          if (r.count === 0) continue;
          const key = `${script.url}:${r.startOffset}:${r.endOffset}:${bucket(r.count)}`;
          if (!seen.has(key)) {
            seen.add(key);
            fresh++;
          }
        }
      }
    }
    return fresh;
  };

  const report: FuzzReport = { target: target.name, seconds: 0, executions: 0, corpus: 0, features: 0, crashes: 0, slow: 0, memory: 0, unique_findings: [] };
  const findings = new Set<string>();
  const record = (kind: 'crash' | 'slow' | 'memory', data: Buffer, what: string) => {
    report[kind === 'crash' ? 'crashes' : kind]++;
    const key = `${kind}: ${what}`;
    if (findings.has(key)) return;
    findings.add(key);
    report.unique_findings.push(key);
    const name = `${kind}-${createHash('sha1').update(data).digest('hex').slice(0, 12)}`;
    writeFileSync(join(findingsDir, name), data);
    writeFileSync(join(findingsDir, `${name}.txt`), `${key}\n`);
    console.log(`[${target.name}] NEW ${key} -> ${join(findingsDir, name)}`);
  };

  const baseRss = process.memoryUsage().rss;
  const execute = async (data: Buffer): Promise<number> => {
    const t0 = performance.now();
    try {
      await target.run(data);
    } catch (err) {
      record('crash', data, signature(err));
    }
    const ms = performance.now() - t0;
    report.executions++;
    if (ms > options.slowMs) record('slow', data, `input of ${data.length} bytes took ${Math.round(ms)} ms`);
    const rss = process.memoryUsage().rss;
    if (rss - baseRss > options.rssGrowthMb * 2 ** 20) {
      (globalThis as { gc?: () => void }).gc?.();
      if (process.memoryUsage().rss - baseRss > options.rssGrowthMb * 2 ** 20) record('memory', data, `resident set grew by more than ${options.rssGrowthMb} MB`);
    }
    return newFeatures();
  };

  const corpus: Buffer[] = [];
  const keep = (data: Buffer) => {
    corpus.push(data);
    writeFileSync(join(corpusDir, createHash('sha1').update(data).digest('hex').slice(0, 16)), data);
  };
  // A previous run's corpus resumes the search where it stopped.
  const earlier = readdirSync(corpusDir).map((f) => readFileSync(join(corpusDir, f)));
  for (const s of [...target.seeds, ...earlier]) {
    if ((await execute(s)) > 0 || corpus.length === 0) keep(s);
  }

  const mutator = new Mutator(options.seed, target.dictionary.map((t) => Buffer.from(t, 'latin1')), target.maxLength ?? 64 * 1024);
  const started = performance.now();
  let lastLog = started;
  while (performance.now() - started < options.seconds * 1000) {
    // Recent finds are mutated more often: they sit on the frontier.
    const pick = mutator.random() < 0.5 ? corpus.length - 1 - Math.floor(mutator.random() * Math.min(16, corpus.length)) : Math.floor(mutator.random() * corpus.length);
    const input = mutator.mutate(corpus[pick] as Buffer, corpus);
    if ((await execute(input)) > 0) keep(input);
    const now = performance.now();
    if (now - lastLog > 30_000) {
      lastLog = now;
      console.log(`[${target.name}] ${Math.round((now - started) / 1000)} s: ${report.executions} execs, corpus ${corpus.length}, features ${seen.size}, crashes ${report.crashes}, slow ${report.slow}, memory ${report.memory}`);
    }
  }
  post('Profiler.stopPreciseCoverage');
  session.disconnect();
  report.seconds = Math.round((performance.now() - started) / 1000);
  report.corpus = corpus.length;
  report.features = seen.size;
  return report;
}
