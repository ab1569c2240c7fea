import { documentId } from '../../src/hash.js';
import { gzipMembers } from './gzip-members.js';
import { decodeUtf8, gzipInput, type ReadInput, type SourceItem } from './records.js';
import { isZstd, zstdDecompressBounded, ZstdTooLarge } from './zstd.js';

/**
 * JSON Lines, plain, zstd or gzip (one or many members). A record's offset is its line start in a plain
 * file, or its gzip member's start in a compressed one (the place a reader can seek to).
 */
export function* readJsonl(src: ReadInput): Generator<SourceItem> {
  if (isZstd(src.bytes)) {
    let data: Buffer;
    try {
      data = zstdDecompressBounded(src.bytes, src.max_decompressed_bytes);
    } catch (err) {
      if (err instanceof ZstdTooLarge) {
        yield { kind: 'bad', offset: 0, reason: 'oversized_record', message: `${err.message} (max_decompressed_bytes)`, record_id: null, url: null };
        return;
      }
      yield { kind: 'bad', offset: 0, reason: 'corrupt_zstd', message: `zstd stream cannot be decoded (${(err as Error).message})`, record_id: null, url: null };
      return;
    }
    // Zstandard frames are not walked one by one: every line's offset is the stream start.
    yield* linesOf(src, data, 0, true);
    return;
  }
  if (!gzipInput(src)) {
    yield* ownedLines(src);
    return;
  }
  for (const member of gzipMembers(src.bytes, { maxBytes: src.max_decompressed_bytes, ...src.slice })) {
    if (member.oversized) {
      yield { kind: 'bad', offset: member.offset, reason: 'oversized_record', message: `${member.error} (max_decompressed_bytes)`, record_id: null, url: null };
      continue;
    }
    // A truncated member still gives up its complete lines; the cut one is reported below.
    yield* linesOf(src, member.data, member.offset, true, member.error !== null);
    if (member.error) {
      yield { kind: 'bad', offset: member.offset, reason: 'corrupt_gzip', message: member.error, record_id: null, url: null };
    }
  }
}

/**
 * The lines of a plain file that start in the slice [start, end): the first is the first line start at
 * or after `start` (the byte before it is a newline), the last is the one that starts before `end`.
 */
function* ownedLines(src: ReadInput): Generator<SourceItem> {
  const { base, start, end } = src.slice;
  let from = start - base;
  if (start > 0) {
    const nl = src.bytes.indexOf(0x0a, from - 1);
    if (nl < 0) return;
    from = nl + 1;
  }
  const stop = Math.min(src.bytes.length, end - base);
  if (from >= stop) return;
  // The last owned line may run past `end`; it ends at the first newline at or after `stop`.
  const nl = src.bytes.indexOf(0x0a, stop - 1);
  const until = nl < 0 ? src.bytes.length : nl + 1;
  yield* linesOf(src, src.bytes.subarray(from, until), base + from, false);
}

function* linesOf(src: ReadInput, data: Buffer, base: number, compressed: boolean, cut = false): Generator<SourceItem> {
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) {
      if (cut) return; // the partial last line of a truncated member belongs to the member's error
      end = data.length;
    }
    const line = data.subarray(start, end);
    const offset = compressed ? base : base + start;
    const position = compressed ? `${base}:${start}` : base + start;
    start = end + 1;
    if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) continue;
    const item = parseLine(src, line, offset, position);
    if (item) yield item;
  }
}

function parseLine(src: ReadInput, line: Buffer, offset: number, position: string | number): SourceItem | null {
  const bad = (reason: Extract<SourceItem, { kind: 'bad' }>['reason'], message: string): SourceItem => ({
    kind: 'bad', offset, reason, message, record_id: null, url: null,
  });
  if (line.length > src.max_record_bytes) return bad('oversized_record', `line exceeds max_record_bytes ${src.max_record_bytes}`);
  const decoded = decodeUtf8(line);
  if ('badByte' in decoded) return bad('invalid_utf8', `invalid UTF-8 at byte ${decoded.badByte} of the line`);
  let value: unknown;
  try {
    value = JSON.parse(decoded.text);
  } catch (err) {
    return bad('bad_json', (err as Error).message);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('bad_json', 'line is not a JSON object');
  const obj = value as Record<string, unknown>;
  const { text_field, id_field, url_field, license } = src.input;
  const text = obj[text_field];
  if (typeof text !== 'string') return bad('missing_text', `field "${text_field}" is missing or not a string`);
  const recordId = id_field && obj[id_field] !== undefined && obj[id_field] !== null ? String(obj[id_field]) : null;
  const url = url_field && typeof obj[url_field] === 'string' ? (obj[url_field] as string) : null;
  return {
    kind: 'doc',
    doc: {
      id: recordId ? documentId(src.source_key, `id:${recordId}`) : documentId(src.source_key, position),
      text,
      url,
      source: { uri: src.uri, offset, record_id: recordId, fetch_date: null, license },
      meta: {},
    },
  };
}
