import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** (column, key, id hash, document index): one bucket record, four float64. */
const WIDTH = 4;
/** Records read at a time from each run while merging: 128 KB per run. */
const BLOCK = 4096;

function compare(a: Float64Array, i: number, b: Float64Array, j: number): number {
  return (a[i] as number) - (b[j] as number) || (a[i + 1] as number) - (b[j + 1] as number) || (a[i + 2] as number) - (b[j + 2] as number) || (a[i + 3] as number) - (b[j + 3] as number);
}

/** One spilled run being merged: a block of its records in memory and where the next block starts. */
interface Cursor {
  fd: number;
  block: Float64Array;
  at: number;
  end: number;
  offset: number;
}

function refill(c: Cursor): void {
  const bytes = readSync(c.fd, c.block, 0, c.block.byteLength, c.offset);
  c.offset += bytes;
  c.at = 0;
  c.end = (bytes / 8) | 0;
}

/**
 * Sorts bucket records out of core: records fill a buffer of `maxRecords`; a full buffer is sorted
 * and spilled to a local file as one run; `forEach` merges the runs (k-way, a binary heap of run
 * cursors) and visits every record in (column, key, id hash, document) order. Memory: 32 bytes per
 * buffered record, plus 128 KB per run while merging.
 */
export class BucketSorter {
  private buf: Float64Array;
  private n = 0;
  private readonly files: string[] = [];
  private dir: string | null = null;
  records = 0;

  constructor(private readonly maxRecords: number) {
    this.buf = new Float64Array(Math.min(maxRecords, 1 << 16) * WIDTH);
  }

  get runs(): number {
    return this.files.length + (this.n > 0 ? 1 : 0);
  }

  push(column: number, key: number, idHash: number, doc: number): void {
    if (this.n === this.maxRecords) this.spill();
    if (this.n * WIDTH === this.buf.length) {
      const grown = new Float64Array(Math.min(this.maxRecords, this.n * 2) * WIDTH);
      grown.set(this.buf);
      this.buf = grown;
    }
    const o = this.n++ * WIDTH;
    this.buf[o] = column;
    this.buf[o + 1] = key;
    this.buf[o + 2] = idHash;
    this.buf[o + 3] = doc;
    this.records++;
  }

  private sortBuffer(): Float64Array {
    const { buf, n } = this;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => compare(buf, a * WIDTH, buf, b * WIDTH));
    const out = new Float64Array(n * WIDTH);
    for (let i = 0; i < n; i++) out.set(buf.subarray((order[i] as number) * WIDTH, (order[i] as number) * WIDTH + WIDTH), i * WIDTH);
    return out;
  }

  private spill(): void {
    this.dir ??= mkdtempSync(join(tmpdir(), 'corpusflow-buckets-'));
    const file = join(this.dir, `run-${this.files.length}`);
    const fd = openSync(file, 'w');
    const sorted = this.sortBuffer();
    writeSync(fd, sorted, 0, sorted.byteLength);
    closeSync(fd);
    this.files.push(file);
    this.n = 0;
  }

  /** Visit every record in order, then delete the spilled runs. */
  forEach(visit: (column: number, key: number, idHash: number, doc: number) => void): void {
    if (this.files.length === 0) {
      const sorted = this.sortBuffer();
      for (let o = 0; o < sorted.length; o += WIDTH) visit(sorted[o] as number, sorted[o + 1] as number, sorted[o + 2] as number, sorted[o + 3] as number);
      this.n = 0;
      return;
    }
    if (this.n > 0) this.spill();
    this.buf = new Float64Array(0);
    const cursors: Cursor[] = this.files.map((f) => {
      const c = { fd: openSync(f, 'r'), block: new Float64Array(BLOCK * WIDTH), at: 0, end: 0, offset: 0 };
      refill(c);
      return c;
    });
    try {
      const heap = cursors.filter((c) => c.end > 0);
      const less = (x: Cursor, y: Cursor) => compare(x.block, x.at, y.block, y.at) < 0;
      const down = (i: number) => {
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && less(heap[l] as Cursor, heap[m] as Cursor)) m = l;
          if (r < heap.length && less(heap[r] as Cursor, heap[m] as Cursor)) m = r;
          if (m === i) return;
          [heap[i], heap[m]] = [heap[m] as Cursor, heap[i] as Cursor];
          i = m;
        }
      };
      for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
      while (heap.length > 0) {
        const c = heap[0] as Cursor;
        const b = c.block;
        visit(b[c.at] as number, b[c.at + 1] as number, b[c.at + 2] as number, b[c.at + 3] as number);
        c.at += WIDTH;
        if (c.at >= c.end) refill(c);
        if (c.end === 0) {
          heap[0] = heap[heap.length - 1] as Cursor;
          heap.pop();
        }
        if (heap.length > 0) down(0);
      }
    } finally {
      for (const c of cursors) closeSync(c.fd);
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.files.length = 0;
      this.dir = null;
    }
  }
}
