import { documentId } from '../../src/hash.js';
import { parseHttpResponse } from './http.js';
import { payloadItem } from './payload.js';
import { badItem, decodeUtf8, gzipInput, type ReadInput, type SourceItem } from './records.js';
import { warcRecords, type WarcRecord } from './warc-records.js';

/**
 * WARC 1.0/1.1 files, plain or gzip: `response` records (HTTP responses; HTML reduced to its main
 * text), `resource` records (a payload without HTTP headers) and `conversion` records (text already
 * extracted, as in WET). `warcinfo`, `request`, `metadata` and `revisit` records hold no document.
 */
export function* readWarc(src: ReadInput): Generator<SourceItem> {
  for (const item of warcRecords(src.bytes, src.max_record_bytes, { ...src.slice, gzip: gzipInput(src) })) {
    if (item.kind === 'bad') {
      yield item;
      continue;
    }
    const out = warcItem(src, item.record);
    if (out) yield out;
  }
}

/** WET: only `conversion` records. */
export function* readWet(src: ReadInput): Generator<SourceItem> {
  for (const item of warcRecords(src.bytes, src.max_record_bytes, { ...src.slice, gzip: gzipInput(src) })) {
    if (item.kind === 'bad') yield item;
    else if (item.record.headers.get('warc-type') === 'conversion') yield conversionItem(src, item.record);
  }
}

function warcItem(src: ReadInput, rec: WarcRecord): SourceItem | null {
  const type = rec.headers.get('warc-type');
  if (type === 'conversion') return conversionItem(src, rec);
  if (type !== 'response' && type !== 'resource') return null;
  const recordId = rec.headers.get('warc-record-id') ?? null;
  const url = rec.headers.get('warc-target-uri')?.replace(/^<|>$/g, '') ?? null;
  const blockType = rec.headers.get('content-type') ?? '';
  // `dns:` responses and other non-HTTP captures have no page in them.
  if (type === 'response' && !/^application\/http/i.test(blockType)) return null;
  const common = {
    id: warcDocumentId(src, rec),
    offset: rec.offset,
    record_id: recordId,
    url,
    fetch_date: rec.headers.get('warc-date') ?? null,
    meta: warcMeta(rec),
  };
  if (type === 'resource') return payloadItem(src, { ...common, content_type: blockType || null, http: null, body: rec.block });
  const http = parseHttpResponse(rec.block, src.max_record_bytes);
  if ('error' in http) return badItem(rec.offset, 'malformed_record', http.error, recordId, url);
  return payloadItem(src, { ...common, content_type: http.headers.get('content-type') ?? null, http, body: http.body });
}

/**
 * The file and the record's place in it, not its WARC-Record-ID: the ids should be unique but are not
 * always (a file concatenated twice, crawlers that reuse ids, two exports of one crawl), and two
 * documents with one id would merge in provenance. Repeated record ids stay visible there: `corpusflow
 * audit <release> duplicate-record-ids` lists them with each copy's file and offset.
 */
function warcDocumentId(src: ReadInput, rec: WarcRecord): string {
  return documentId(src.source_key, rec.position);
}

function warcMeta(rec: WarcRecord): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const lang = rec.headers.get('warc-identified-content-language');
  if (lang) meta.warc_lang = lang;
  // The crawler cut the payload (`length`, `time`, `disconnect`): the text may end mid-page.
  const truncated = rec.headers.get('warc-truncated');
  if (truncated) meta.warc_truncated = truncated;
  return meta;
}

function conversionItem(src: ReadInput, rec: WarcRecord): SourceItem {
  const recordId = rec.headers.get('warc-record-id') ?? null;
  const url = rec.headers.get('warc-target-uri') ?? null;
  const decoded = decodeUtf8(rec.block);
  if ('badByte' in decoded) return badItem(rec.offset, 'invalid_utf8', `invalid UTF-8 at byte ${decoded.badByte} of the record block`, recordId, url);
  return {
    kind: 'doc',
    doc: {
      id: warcDocumentId(src, rec),
      text: decoded.text.trim(),
      url,
      source: { uri: src.uri, offset: rec.offset, record_id: recordId, fetch_date: rec.headers.get('warc-date') ?? null, license: src.input.license },
      meta: warcMeta(rec),
    },
    record: { content_type: rec.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? null, http_status: null },
  };
}
