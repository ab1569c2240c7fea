import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './warc-corpus.js';

/**
 * A Python peer (bench/python/<script>) as a long-lived process answering one JSON line per command,
 * so its timed passes interleave with ours on the same machine state.
 */
export class PythonPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(python: string, script: string, args: string[]) {
    this.child = spawn(python, [join(ROOT, 'bench', 'python', script), ...args], {
      env: {
        ...process.env,
        // One core: no OpenMP/BLAS/rayon pools.
        OMP_NUM_THREADS: '1',
        OPENBLAS_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
        RAYON_NUM_THREADS: '1',
        TOKENIZERS_PARALLELISM: 'false',
        // An empty cache dir makes tiktoken read files directly and never write a cache.
        TIKTOKEN_CACHE_DIR: '',
        PYTHONHASHSEED: '0',
      },
    });
    this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[peer] ${chunk.toString()}`));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async read<T>(): Promise<T> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`the Python peer exited (code ${this.child.exitCode ?? 'unknown'}); see [peer] lines above`);
    const reply = JSON.parse(next.value) as T & { error?: string };
    if (reply.error) throw new Error(`Python peer: ${reply.error}`);
    return reply;
  }

  ask<T>(command: string): Promise<T> {
    this.child.stdin.write(`${command}\n`);
    return this.read<T>();
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }
}
