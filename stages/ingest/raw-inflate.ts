import zlib from 'node:zlib';

/** What inflating one raw deflate stream gave: its bytes, and how many input bytes the stream used. */
export interface Inflated {
  data: Buffer;
  consumed: number;
}

/** The native zlib handle behind a Node zlib stream (Node 20's `lib/zlib.js`). */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

/**
 * One raw-inflate stream reused for every gzip member. `zlib.inflateRawSync` builds a zlib stream
 * (a Transform, a native handle, a 32 KiB window) per call and collects output in 16 KiB chunks; on
 * Common Crawl WET members (about 1.6 KB inflated) that was 11 µs of a member's 13 µs. Resetting one
 * native handle and inflating into a reused buffer takes 6 µs (docs/ingest.md). Node offers no public
 * way to reset a synchronous stream, so this drives the handle its stream wraps, as
 * `zlibBufferSync` does, and falls back to `inflateRawSync` on a Node whose stream has no such handle.
 */
export class RawInflater {
  private readonly handle: ZlibHandle | null;
  private readonly state: Uint32Array | null;
  /** Kept referenced: the handle is closed when its stream is collected. */
  private readonly stream: zlib.InflateRaw;
  private out = Buffer.allocUnsafe(64 * 1024);
  private error: string | null = null;

  constructor() {
    this.stream = zlib.createInflateRaw();
    const inner = this.stream as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const usable = typeof inner._handle?.writeSync === 'function' && typeof inner._handle.reset === 'function' && inner._writeState instanceof Uint32Array;
    this.handle = usable ? (inner._handle as ZlibHandle) : null;
    this.state = usable ? (inner._writeState as Uint32Array) : null;
    if (this.handle) {
      this.handle.onerror = (message) => {
        this.error = message;
      };
    }
  }

  /** Whether the reused native handle is in use (a test checks it is on the Node we ship for). */
  get reusesHandle(): boolean {
    return this.handle !== null;
  }

  /**
   * Inflate the raw deflate stream at the start of `input`, stopping at its end (the bytes after it
   * are left) or at the end of the input (a cut stream gives what it had). Throws on corrupt data, and
   * with code `ERR_BUFFER_TOO_LARGE` when the output would exceed `maxOutputLength`, as
   * `inflateRawSync` does.
   */
  inflate(input: Buffer, maxOutputLength = 2 ** 31): Inflated {
    if (!this.handle || !this.state) {
      const out = zlib.inflateRawSync(input, { info: true, finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      return { data: out.buffer, consumed: out.engine.bytesWritten };
    }
    const handle = this.handle, state = this.state;
    handle.reset();
    this.error = null;
    let inOff = 0, inLen = input.length, outOff = 0;
    const limit = maxOutputLength + 1;
    for (;;) {
      const room = Math.min(this.out.length, limit) - outOff;
      handle.writeSync(zlib.constants.Z_SYNC_FLUSH, input, inOff, inLen, this.out, outOff, room);
      if (this.error !== null) throw new Error(this.error);
      const availOut = state[0] as number, availIn = state[1] as number;
      inOff += inLen - availIn;
      inLen = availIn;
      outOff += room - availOut;
      // Room left over means the stream ended or the input ran out; none means more output may follow.
      if (availOut !== 0) break;
      if (outOff >= limit) throw Object.assign(new RangeError(`inflated output exceeds ${maxOutputLength} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' });
      const grown = Buffer.allocUnsafe(Math.min(this.out.length * 2, limit));
      this.out.copy(grown, 0, 0, outOff);
      this.out = grown;
    }
    // A copy: records point into a member's bytes after the next member has been inflated.
    return { data: Buffer.from(this.out.subarray(0, outOff)), consumed: inOff };
  }

  /**
   * Inflate the raw deflate stream at the start of `input` a piece of at most `pieceBytes` at a time,
   * so a member of any size is read in bounded memory; returns how many input bytes the stream used.
   * Each piece is its own buffer. Throws on corrupt data. Use one inflater per stream read this way:
   * the handle is busy until the generator finishes.
   */
  *pieces(input: Buffer, pieceBytes: number): Generator<Buffer, number> {
    if (!this.handle || !this.state) {
      const whole = this.inflate(input);
      for (let at = 0; at < whole.data.length; at += pieceBytes) yield whole.data.subarray(at, at + pieceBytes);
      return whole.consumed;
    }
    const handle = this.handle, state = this.state;
    handle.reset();
    this.error = null;
    let inOff = 0, inLen = input.length;
    for (;;) {
      const out = Buffer.allocUnsafe(pieceBytes);
      handle.writeSync(zlib.constants.Z_SYNC_FLUSH, input, inOff, inLen, out, 0, pieceBytes);
      if (this.error !== null) throw new Error(this.error);
      const availOut = state[0] as number, availIn = state[1] as number;
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut < pieceBytes) yield out.subarray(0, pieceBytes - availOut);
      if (availOut !== 0) return inOff;
    }
  }
}
