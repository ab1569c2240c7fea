/** A line of a stream, by its start within the stream; an overlong one is skipped, keeping only its length. */
export type Line = { start: number; bytes: Buffer } | { start: number; overlong: number };

/**
 * Lines of a byte stream that arrives in pieces, holding at most one line (up to `maxLine` bytes)
 * between pieces: a longer line is dropped as it streams past and reported with its start and
 * length, so one runaway line cannot exhaust memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private start = 0;
  private pos = 0;
  private overlong = false;

  constructor(private readonly maxLine: number) {}

  *push(chunk: Buffer): Generator<Line> {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(0x0a, from);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(from, end));
      if (nl < 0) break;
      yield this.finish();
      this.start = this.pos + nl + 1;
      from = nl + 1;
    }
    this.pos += chunk.length;
  }

  /** The last line, when the stream does not end with a newline. */
  *end(): Generator<Line> {
    if (this.overlong || this.held > 0) yield this.finish();
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (!this.overlong && this.held + piece.length > this.maxLine) {
      this.overlong = true;
      this.parts = [];
    }
    this.held += piece.length;
    if (!this.overlong) this.parts.push(piece);
  }

  private finish(): Line {
    const line: Line = this.overlong ? { start: this.start, overlong: this.held } : { start: this.start, bytes: this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts) };
    this.parts = [];
    this.held = 0;
    this.overlong = false;
    return line;
  }
}
