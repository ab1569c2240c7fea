import type { SourceItem } from '../../src/stage.js';

export type { SourceItem };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode UTF-8, or return the byte offset (within `bytes`) of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { badByte: number } {
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    // Bisect for the first bad byte so the error names a place a person can look at.
    let lo = 0, hi = bytes.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        lo = mid;
      } catch {
        hi = mid;
      }
    }
    return { badByte: lo };
  }
}
