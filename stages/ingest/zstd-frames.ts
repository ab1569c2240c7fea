import { Decompress } from 'fzstd';

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0, SKIPPABLE_MAGIC = 0x184d2a50;

export function isZstd(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === FRAME_MAGIC;
}

/**
 * fzstd allocates the window a frame header declares before decoding a byte: ten bytes can ask for
 * a gigabyte (a fuzz finding). The reference decoder refuses windows over 2^27 bytes unless told
 * otherwise (ZSTD_WINDOWLOG_LIMIT_DEFAULT, the `--long` switch), and so does this reader.
 */
const MAX_WINDOW = 2 ** 27;

/** Window size a frame declares (RFC 8878 §3.1.1.1.2), or null when its header is cut short. */
function frameWindow(b: Buffer): number | null {
  if (b.length < 5) return null;
  const fhd = b[4] as number;
  if (!(fhd & 0x20)) {
    const wd = b[5];
    if (wd === undefined) return null;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  // A single-segment frame's window is its content size, stored in 1, 2, 4 or 8 bytes after the dictionary id.
  const fcsBytes = [1, 2, 4, 8][fhd >> 6] as number;
  const at = 5 + ([0, 1, 2, 4][fhd & 3] as number);
  if (b.length < at + fcsBytes) return null;
  if (fcsBytes === 8) return Number(b.readBigUInt64LE(at));
  const v = b.readUIntLE(at, fcsBytes);
  return fcsBytes === 2 ? v + 256 : v;
}

/** Why a frame must not be decoded, or null: its window is over what zstd decoders allow by default. */
export function zstdWindowProblem(frame: Buffer): string | null {
  const window = frameWindow(frame);
  return window !== null && window > MAX_WINDOW
    ? `zstd frame asks for a ${window}-byte window, over the ${MAX_WINDOW} bytes zstd decoders allow by default`
    : null;
}

/** A frame inflates past its cap: decoding stopped there, before the output was held in memory. */
export class ZstdTooLarge extends Error {}

export type ZstdFrameWalk = { frames: { start: number; end: number }[]; error: { offset: number; message: string } | null };

/**
 * Where each Zstandard frame starts and ends, found from frame and block headers (RFC 8878 §3.1)
 * without decompressing: a frame is where a reader can start, so it is a record's offset. Skippable
 * frames hold no data and are passed over. Walking stops at the first structure that does not parse.
 */
export function zstdFrames(buf: Buffer): ZstdFrameWalk {
  const frames: { start: number; end: number }[] = [];
  let pos = 0;
  const fail = (message: string): ZstdFrameWalk => ({ frames, error: { offset: pos, message } });
  while (pos < buf.length) {
    if (pos + 4 > buf.length) return fail('file ends inside a zstd frame magic number');
    const magic = buf.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > buf.length) return fail('file ends inside a skippable frame header');
      pos += 8 + buf.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) return fail('bytes that are not a zstd frame');
    if (pos + 5 > buf.length) return fail('file ends inside a zstd frame header');
    const descriptor = buf[pos + 4] as number;
    const singleSegment = (descriptor >> 5) & 1;
    const fcsBytes = [singleSegment, 2, 4, 8][descriptor >> 6] as number;
    const dictBytes = [0, 1, 2, 4][descriptor & 3] as number;
    const checksum = (descriptor >> 2) & 1;
    let p = pos + 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
    for (let last = 0; !last;) {
      if (p + 3 > buf.length) return fail('file ends inside a zstd frame');
      const header = (buf[p] as number) | ((buf[p + 1] as number) << 8) | ((buf[p + 2] as number) << 16);
      last = header & 1;
      const type = (header >> 1) & 3;
      if (type === 3) return fail('zstd block of the reserved type');
      // An RLE block stores one byte that is repeated `size` times.
      p += 3 + (type === 1 ? 1 : header >>> 3);
    }
    p += checksum * 4;
    if (p > buf.length) return fail('file ends inside a zstd frame');
    frames.push({ start: pos, end: p });
    pos = p;
  }
  return { frames, error: null };
}

/** Input is handed to the decoder this many bytes at a time; it returns each block (up to 128 KiB) as decoded. */
const INPUT_PIECE = 64 * 1024;

/**
 * One frame decompressed a block at a time: memory is the frame's window, not its content size.
 * Throws as fzstd does on corrupt data, and ZstdTooLarge as soon as the output passes `maxBytes`:
 * a few KB of RLE blocks can declare terabytes, so the cap is checked as each block is decoded.
 */
export function* zstdFramePieces(frame: Buffer, maxBytes = Infinity): Generator<Buffer> {
  const out: Uint8Array[] = [];
  let total = 0;
  const decoder = new Decompress((data) => {
    total += data.length;
    if (total > maxBytes) throw new ZstdTooLarge(`zstd stream inflates to more than ${maxBytes} bytes`);
    out.push(data);
  });
  for (let at = 0; at < frame.length; at += INPUT_PIECE) {
    decoder.push(frame.subarray(at, at + INPUT_PIECE), at + INPUT_PIECE >= frame.length);
    // Copied: a line held across pieces must not see the decoder reuse its memory.
    for (const data of out.splice(0)) yield Buffer.from(data);
  }
}
