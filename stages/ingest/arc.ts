import { documentId } from '../../src/hash.js';
import { gzipMembers } from './gzip-members.js';
import { parseHttpResponse } from './http.js';
import { payloadItem } from './payload.js';
import { badItem, gzipInput, type ReadInput, type SourceItem } from './records.js';

const LF = 0x0a;

/**
 * ARC files (the Internet Archive's format before WARC, version 1 or 2), plain or gzip with one
 * record per member. Each record is a header line whose last field is the length, then that many
 * bytes: the HTTP response for http(s) captures. ARC records have no id, so a document's id comes
 * from the file's identity and the record's position.
 */
export function* readArc(src: ReadInput): Generator<SourceItem> {
  if (!gzipInput(src)) {
    yield* arcRecordsIn(src, src.bytes, 0, false, false);
    return;
  }
  for (const member of gzipMembers(src.bytes, { maxBytes: src.max_record_bytes + 64 * 1024, ...src.slice })) {
    if (member.oversized) {
      yield badItem(member.offset, 'oversized_record', member.error ?? '');
      continue;
    }
    yield* arcRecordsIn(src, member.data, member.offset, true, member.error !== null);
    if (member.error) yield badItem(member.offset, 'corrupt_gzip', member.error);
  }
}

/** `20140216050221` → `2014-02-16T05:02:21Z`. */
function arcDate(stamp: string | undefined): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp ?? '');
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : null;
}

/** Start of the next line that looks like an ARC record header (URL first, length last). */
function seekHeader(data: Buffer, from: number): number {
  for (let at = from; at < data.length; ) {
    const end = data.indexOf(LF, at);
    const line = data.subarray(at, end < 0 ? data.length : end).toString('latin1');
    if (/^\S+:\S*\s.*\s\d+\r?$/.test(line)) return at;
    if (end < 0) return -1;
    at = end + 1;
  }
  return -1;
}

function* arcRecordsIn(src: ReadInput, data: Buffer, base: number, compressed: boolean, cut: boolean): Generator<SourceItem> {
  let pos = 0;
  while (pos < data.length && data[pos] === LF) pos++;
  while (pos < data.length) {
    const offset = compressed ? base : base + pos;
    const lineEnd = data.indexOf(LF, pos);
    if (lineEnd < 0) {
      if (!cut) yield badItem(offset, 'truncated_record', 'record ends inside its header line');
      return;
    }
    const fields = data.subarray(pos, lineEnd).toString('latin1').trim().split(/\s+/);
    const url = fields[0] ?? null;
    const length = Number(fields.at(-1));
    if (fields.length < 5 || !Number.isSafeInteger(length) || length < 0) {
      yield badItem(offset, 'malformed_record', 'ARC header line without a length', null, url);
      const next = seekHeader(data, lineEnd + 1);
      if (next < 0) return;
      pos = next;
      continue;
    }
    const start = lineEnd + 1;
    const end = start + length;
    if (length > src.max_record_bytes) {
      yield badItem(offset, 'oversized_record', `record of ${length} bytes exceeds max_record_bytes ${src.max_record_bytes}`, null, url);
    } else if (end > data.length) {
      if (!cut) yield badItem(offset, 'truncated_record', `length ${length} runs ${end - data.length} bytes past the end of the ${compressed ? 'gzip member' : 'file'}`, null, url);
      return;
    } else if (url && !url.startsWith('filedesc:') && !url.startsWith('dns:')) {
      const position = compressed ? `${base}:${pos}` : String(pos);
      const common = { id: documentId(src.source_key, position), offset, record_id: null, url, fetch_date: arcDate(fields[2]), meta: {} };
      const block = data.subarray(start, end);
      if (/^https?:/i.test(url)) {
        const http = parseHttpResponse(block, src.max_record_bytes);
        if ('error' in http) yield badItem(offset, 'malformed_record', http.error, null, url);
        else yield payloadItem(src, { ...common, content_type: http.headers.get('content-type') ?? fields[3] ?? null, http, body: http.body });
      } else {
        yield payloadItem(src, { ...common, content_type: fields[3] ?? null, http: null, body: block });
      }
    }
    pos = end;
    while (pos < data.length && (data[pos] === LF || data[pos] === 0x0d)) pos++;
  }
}
