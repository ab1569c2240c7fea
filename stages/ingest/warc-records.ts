import { gzipMembers, isGzip } from './gzip-members.js';
import type { SourceItem } from './records.js';

export type BadItem = Extract<SourceItem, { kind: 'bad' }>;

/** One WARC record as stored: its headers (lower-cased names) and its block, not yet interpreted. */
export interface WarcRecord {
  /** Byte offset in the input file: the gzip member start, or the record's first byte in a plain file. */
  offset: number;
  /** Unique within the file even when a gzip member holds several records. */
  position: string;
  headers: Map<string, string>;
  block: Buffer;
}

export type WarcItem = { kind: 'record'; record: WarcRecord } | BadItem;

const LF = 0x0a, CR = 0x0d;
const VERSION = Buffer.from('WARC/');

/**
 * Every WARC record of a file, plain or gzip (one record per member as Common Crawl writes them, or
 * one member for the whole file), with each unreadable one reported where it sits and reading
 * resumed at the next record: a cut member, a record cut short, a Content-Length that disagrees
 * with where the next record starts, and a record larger than `maxRecordBytes`, which is skipped
 * without being copied. A missing blank line between records is tolerated (the record is whole).
 */
export function* warcRecords(bytes: Buffer, maxRecordBytes: number, slice?: { base: number; start: number; end: number; gzip: boolean }): Generator<WarcItem> {
  if (!(slice ? slice.gzip : isGzip(bytes))) {
    if (slice && (slice.base > 0 || slice.end < bytes.length)) throw new Error('plain WARC/ARC files are read whole, not in slices');
    yield* recordsIn(bytes, 0, false, false, maxRecordBytes);
    return;
  }
  // Headers can add a few KB to a block; the member cap leaves room for them.
  for (const member of gzipMembers(bytes, { maxBytes: maxRecordBytes + 64 * 1024, ...slice })) {
    if (member.oversized) {
      yield bad(member.offset, 'oversized_record', member.error ?? '', null, null);
      continue;
    }
    yield* recordsIn(member.data, member.offset, true, member.error !== null, maxRecordBytes);
    if (member.error) yield bad(member.offset, 'corrupt_gzip', member.error, null, null);
  }
}

function bad(offset: number, reason: BadItem['reason'], message: string, recordId: string | null, url: string | null): BadItem {
  return { kind: 'bad', offset, reason, message, record_id: recordId, url };
}

/** Index of the next `WARC/` at a line start at or after `from`, or -1. */
export function seekRecord(data: Buffer, from: number): number {
  for (let at = data.indexOf(VERSION, from); at >= 0; at = data.indexOf(VERSION, at + 1)) {
    if (at === 0 || data[at - 1] === LF) return at;
  }
  return -1;
}

/** End of the header block starting at `from`: where the blank line starts and how long it is. */
export function findHeaderEnd(data: Buffer, from: number): { at: number; length: number } | null {
  const crlf = data.indexOf('\r\n\r\n', from);
  // A bare-LF blank line counts only before the CRLF one: searching the whole block for it would scan
  // every record's payload.
  const lf = (crlf >= 0 ? data.subarray(0, crlf) : data).indexOf('\n\n', from);
  if (lf >= 0) return { at: lf, length: 2 };
  if (crlf >= 0) return { at: crlf, length: 4 };
  return null;
}

/** Header lines after the first (version or status) line; continuation lines join the one before. */
export function parseHeaderLines(raw: string): Map<string, string> {
  const headers = new Map<string, string>();
  let last = '';
  // Scanned by index rather than split by a regex: this runs for every record, and WET records are small.
  let at = raw.indexOf('\n') + 1;
  if (at === 0) return headers;
  while (at < raw.length) {
    let end = raw.indexOf('\n', at);
    if (end < 0) end = raw.length;
    const line = raw.slice(at, end > at && raw.charCodeAt(end - 1) === 13 ? end - 1 : end);
    at = end + 1;
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // Repeated headers (two X-Robots-Tag lines) are combined as HTTP says they may be.
    headers.set(last, headers.has(last) ? `${headers.get(last)}, ${value}` : value);
  }
  return headers;
}

/** Whether the bytes at `end` close a record: end of data, blank line(s), or straight into the next record. */
function endsCleanly(data: Buffer, end: number): boolean {
  let p = end;
  while (p < data.length && p < end + 4 && (data[p] === CR || data[p] === LF)) p++;
  if (p >= data.length) return true;
  return data.indexOf(VERSION, p) === p;
}

function* recordsIn(data: Buffer, base: number, compressed: boolean, cut: boolean, maxRecordBytes: number): Generator<WarcItem> {
  let pos = seekRecord(data, 0);
  if (pos < 0 && data.subarray(0, 64).toString('latin1').trim() !== '' && !cut) {
    yield bad(base, 'malformed_record', `no WARC record in the ${compressed ? 'gzip member' : 'file'}`, null, null);
  }
  while (pos >= 0) {
    const offset = compressed ? base : base + pos;
    const headerEnd = findHeaderEnd(data, pos);
    if (!headerEnd) {
      if (!cut) yield bad(offset, 'truncated_record', 'record ends inside its headers', null, null);
      return;
    }
    const headers = parseHeaderLines(data.subarray(pos, headerEnd.at).toString('latin1'));
    const recordId = headers.get('warc-record-id') ?? null;
    const url = headers.get('warc-target-uri') ?? null;
    const length = Number(headers.get('content-length'));
    const blockStart = headerEnd.at + headerEnd.length;
    if (!headers.has('content-length') || !Number.isSafeInteger(length) || length < 0) {
      yield bad(offset, 'malformed_record', 'missing or invalid Content-Length', recordId, url);
      pos = seekRecord(data, blockStart);
      continue;
    }
    const end = blockStart + length;
    if (length > maxRecordBytes) {
      yield bad(offset, 'oversized_record', `record of ${length} bytes exceeds max_record_bytes ${maxRecordBytes}`, recordId, url);
      pos = seekRecord(data, Math.min(end, data.length));
      continue;
    }
    if (end > data.length || !endsCleanly(data, end)) {
      // Either the record is cut short, or its Content-Length is wrong: a record starting inside
      // the claimed block (or no record boundary where the block ends) tells which.
      const next = seekRecord(data, blockStart);
      if (next >= 0) {
        const why = next < end ? `runs ${end - next} bytes into the next record` : `ends ${next - end} bytes before the next record`;
        yield bad(offset, 'malformed_record', `Content-Length ${length} is wrong: it ${why}`, recordId, url);
        pos = next;
        continue;
      }
      if (end <= data.length) {
        yield bad(offset, 'malformed_record', `Content-Length ${length} does not end at a record boundary`, recordId, url);
        return;
      }
      // A cut gzip member reports the cut itself; a plain file ends inside the record.
      if (!cut) yield bad(offset, 'truncated_record', `Content-Length ${length} runs ${end - data.length} bytes past the end of the ${compressed ? 'gzip member' : 'file'}`, recordId, url);
      return;
    }
    yield { kind: 'record', record: { offset, position: compressed ? `${base}:${pos}` : String(pos), headers, block: data.subarray(blockStart, end) } };
    pos = seekRecord(data, end);
  }
}
