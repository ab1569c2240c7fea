import { Decompress } from 'fzstd';

const ZSTD_MAGIC = 0xfd2fb528;

export function isZstd(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === ZSTD_MAGIC;
}

/** The stream inflates past the cap: decoding stopped there, before the output was held in memory. */
export class ZstdTooLarge extends Error {}

/**
 * Decode a Zstandard stream block by block (at most 128 KB each), stopping as soon as the output
 * passes `maxBytes`: a few KB of zstd can declare terabytes (a decompression bomb), and decoding it
 * whole first would exhaust memory before any limit could be checked.
 */
export function zstdDecompressBounded(bytes: Buffer, maxBytes: number): Buffer {
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
