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
  html_work_budget: number;
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
    return { badByte: firstInvalidUtf8(bytes) };
  }
}

/**
 * Where the first ill-formed sequence starts (its lead byte, or a stray continuation byte), by the
 * well-formed byte sequences of Unicode Table 3-7: overlong forms, encoded surrogates and code points
 * past U+10FFFF are refused by the second byte's range. One pass: bisecting with fresh decoders cost
 * a millisecond per bad line, which a file of bad lines turns into minutes (a fuzz finding).
 */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return b.length;
}
