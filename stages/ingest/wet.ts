import { documentId } from '../../src/hash.js';
import { gzipMembers, isGzip } from './gzip-members.js';
import type { ReadInput } from './jsonl.js';
import { decodeUtf8, type SourceItem } from './records.js';

/** Record types whose payload is a document; warcinfo, request and metadata records are skipped. */
const DOCUMENT_TYPES = new Set(['conversion']);
const RECORD_START = Buffer.from('WARC/1.');

/**
 * WET files (WARC `conversion` records of extracted text), plain or gzip with one record per
 * member as Common Crawl writes them. A record's offset is its member's start, or its first
 * byte in a plain file.
 */
export function* readWet(src: ReadInput): Generator<SourceItem> {
  if (!isGzip(src.bytes)) {
    yield* recordsOf(src, src.bytes, 0, false);
    return;
  }
  for (const member of gzipMembers(src.bytes)) {
    if (member.error) {
      yield { kind: 'bad', offset: member.offset, reason: 'corrupt_gzip', message: member.error, record_id: null, url: null };
      continue;
    }
    yield* recordsOf(src, member.data, member.offset, true);
  }
}

function* recordsOf(src: ReadInput, data: Buffer, base: number, compressed: boolean): Generator<SourceItem> {
  let pos = data.indexOf(RECORD_START);
  while (pos >= 0 && pos < data.length) {
    const offset = compressed ? base : base + pos;
    const bad = (reason: Extract<SourceItem, { kind: 'bad' }>['reason'], message: string, recordId: string | null = null, url: string | null = null): SourceItem => ({
      kind: 'bad', offset, reason, message, record_id: recordId, url,
    });
    const headerEnd = findHeaderEnd(data, pos);
    if (!headerEnd) {
      yield bad('truncated_record', 'record ends inside its headers');
      return;
    }
    const headers = parseHeaders(data.subarray(pos, headerEnd.at).toString('latin1'));
    const recordId = headers.get('warc-record-id') ?? null;
    const url = headers.get('warc-target-uri') ?? null;
    const length = Number(headers.get('content-length'));
    const blockStart = headerEnd.at + headerEnd.length;
    const next = () => data.indexOf(RECORD_START, blockStart);
    if (!Number.isSafeInteger(length) || length < 0) {
      yield bad('malformed_record', `missing or invalid Content-Length`, recordId, url);
      pos = next();
      continue;
    }
    if (blockStart + length > data.length) {
      yield bad('truncated_record', `Content-Length ${length} runs past the end of the ${compressed ? 'gzip member' : 'file'} by ${blockStart + length - data.length} bytes`, recordId, url);
      pos = next();
      continue;
    }
    const type = headers.get('warc-type') ?? '';
    if (DOCUMENT_TYPES.has(type)) yield toDocument(src, data.subarray(blockStart, blockStart + length), headers, offset, bad);
    pos = data.indexOf(RECORD_START, blockStart + length);
  }
}

function toDocument(
  src: ReadInput,
  block: Buffer,
  headers: Map<string, string>,
  offset: number,
  bad: (reason: 'invalid_utf8' | 'oversized_record', message: string, recordId: string | null, url: string | null) => SourceItem,
): SourceItem {
  const recordId = headers.get('warc-record-id') ?? null;
  const url = headers.get('warc-target-uri') ?? null;
  if (block.length > src.max_record_bytes) return bad('oversized_record', `record of ${block.length} bytes exceeds max_record_bytes ${src.max_record_bytes}`, recordId, url);
  const decoded = decodeUtf8(block);
  if ('badByte' in decoded) return bad('invalid_utf8', `invalid UTF-8 at byte ${decoded.badByte} of the record block`, recordId, url);
  const meta: Record<string, unknown> = {};
  const ccLang = headers.get('warc-identified-content-language');
  if (ccLang) meta.warc_lang = ccLang;
  return {
    kind: 'doc',
    doc: {
      // WARC-Record-IDs are globally unique, so the id does not depend on where the file sits.
      id: recordId ? documentId('warc', recordId) : documentId(src.source_key, offset),
      text: decoded.text.trim(),
      url,
      source: { uri: src.uri, offset, record_id: recordId, fetch_date: headers.get('warc-date') ?? null, license: src.input.license },
      meta,
    },
  };
}

function findHeaderEnd(data: Buffer, from: number): { at: number; length: number } | null {
  const crlf = data.indexOf('\r\n\r\n', from);
  const lf = data.indexOf('\n\n', from);
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return null;
}

function parseHeaders(raw: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of raw.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}
