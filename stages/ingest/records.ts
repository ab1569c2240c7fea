import type { IngestInput } from '../../schemas/stages/ingest.js';
import type { SourceItem } from '../../src/stage.js';
import type { UrlPolicy } from './policy.js';

export type { SourceItem };
export type BadItem = Extract<SourceItem, { kind: 'bad' }>;

/** One input file and what its reader needs to know. */
export interface ReadInput {
  uri: string;
  source_key: string;
  bytes: Buffer;
  input: IngestInput;
  max_record_bytes: number;
  /** Cap on what one gzip member or zstd stream of a JSONL file may inflate to. */
  max_decompressed_bytes: number;
  html_time_budget_ms: number;
  policy: UrlPolicy;
  /** `bytes` start at file offset `base`; the reader owns the records that start in [start, end). */
  slice: { base: number; start: number; end: number };
}

/** Whether the file is gzip: from its first bytes, or, for a slice that starts mid-file, its name. */
export function gzipInput(src: ReadInput): boolean {
  return src.slice.base === 0 ? src.bytes.length >= 2 && src.bytes[0] === 0x1f && src.bytes[1] === 0x8b : /\.gz$/i.test(src.uri);
}

export function badItem(offset: number, reason: BadItem['reason'], message: string, recordId: string | null = null, url: string | null = null): BadItem {
  return { kind: 'bad', offset, reason, message, record_id: recordId, url };
}

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
    // lo is where decoding first fails; the bad sequence starts at its lead byte, up to 3 bytes back.
    for (let k = 1; k <= 3 && lo - k >= 0; k++) {
      const b = bytes[lo - k] as number;
      if ((b & 0xc0) === 0xc0) return { badByte: lo - k };
      if ((b & 0xc0) !== 0x80) break;
    }
    return { badByte: lo };
  }
}
