import { Decompress } from 'fzstd';

const ZSTD_MAGIC = 0xfd2fb528;

export function isZstd(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === ZSTD_MAGIC;
}

/**
 * fzstd allocates the window a frame header declares before decoding a byte: ten bytes can ask for
 * a gigabyte (a fuzz finding). The reference decoder refuses windows over 2^27 bytes unless told
 * otherwise (ZSTD_WINDOWLOG_LIMIT_DEFAULT, the `--long` switch), and so does this reader.
 */
const MAX_WINDOW = 2 ** 27;

/** Window size of the first frame (RFC 8878 §3.1.1.1.2), or null when the header is cut short. */
function frameWindow(b: Buffer): number | null {
  if (b.length < 5) return null;
  const fhd = b[4] as number;
  const singleSegment = (fhd & 0x20) !== 0;
  if (!singleSegment) {
    const wd = b[5];
    if (wd === undefined) return null;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  // A single-segment frame's window is its content size, stored in 1, 2, 4 or 8 bytes after the dictionary id.
  const fcsBytes = [1, 2, 4, 8][fhd >> 6] as number;
  const at = 5 + [0, 1, 2, 4][fhd & 3]!;
  if (b.length < at + fcsBytes) return null;
  if (fcsBytes === 8) return Number(b.readBigUInt64LE(at));
  const v = b.readUIntLE(at, fcsBytes);
  return fcsBytes === 2 ? v + 256 : v;
}

/** The stream inflates past the cap: decoding stopped there, before the output was held in memory. */
export class ZstdTooLarge extends Error {}

/**
 * Decode a Zstandard stream block by block (at most 128 KB each), stopping as soon as the output
 * passes `maxBytes`: a few KB of zstd can declare terabytes (a decompression bomb), and decoding it
 * whole first would exhaust memory before any limit could be checked.
 */
export function zstdDecompressBounded(bytes: Buffer, maxBytes: number): Buffer {
  const window = frameWindow(bytes);
  if (window !== null && window > MAX_WINDOW) {
    throw new ZstdTooLarge(`zstd frame asks for a ${window}-byte window, over the ${MAX_WINDOW} bytes zstd decoders allow by default`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new ZstdTooLarge(`zstd stream inflates to more than ${maxBytes} bytes`);
    chunks.push(chunk);
  });
  // Pushed in slices so the cap is checked while decoding, not after a whole frame is in memory.
  const SLICE = 64 * 1024;
  for (let at = 0; at < bytes.length; at += SLICE) stream.push(bytes.subarray(at, at + SLICE), at + SLICE >= bytes.length);
  if (bytes.length === 0) stream.push(bytes, true);
  return Buffer.concat(chunks, total);
}
