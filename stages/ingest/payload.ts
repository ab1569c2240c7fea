import type { Document, DocumentMeta } from '../../schemas/document.js';
import type { RecordInfo } from '../../src/stage.js';
import { decodePayload } from './charset.js';
import { ExtractionOverBudget, ExtractionTimeout, htmlToText, MAX_DEPTH, NestingTooDeep } from './html-text.js';
import { charsetParam, mediaType, type HttpResponse } from './http.js';
import { headerOptOut, metaOptOut } from './opt-out.js';
import { badItem, type ReadInput, type SourceItem } from './records.js';

/** A record's payload and where it came from, as WARC and ARC readers hand it over. */
export interface Payload {
  id: string;
  offset: number;
  record_id: string | null;
  url: string | null;
  fetch_date: string | null;
  /** The payload's Content-Type: the HTTP header's for responses, the record's for WARC `resource`. */
  content_type: string | null;
  http: HttpResponse | null;
  body: Buffer;
  meta: DocumentMeta;
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const TEXT_TYPES = new Set(['text/plain']);

/** With no usable Content-Type, the first bytes decide (a reduced form of WHATWG MIME sniffing). */
function sniff(body: Buffer): 'html' | 'text' | null {
  const head = body.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body|!--|p\b|div\b|title)/.test(head)) return 'html';
  if (!head.includes('\u0000')) return 'text';
  return null;
}

/**
 * Turn one fetched payload into a document or a reasoned drop: the URL blocklist first (before any
 * parsing), then non-2xx statuses (redirects and error pages carry no page text), header opt-outs,
 * the content type, charset decoding and HTML main-text extraction within its work budget, and
 * finally the page's own meta opt-outs.
 */
export function payloadItem(src: ReadInput, p: Payload): SourceItem {
  const status = p.http?.status ?? null;
  const type = mediaType(p.content_type ?? undefined);
  const record: RecordInfo = { content_type: type, http_status: status };
  const doc = (text: string, meta: DocumentMeta = p.meta): Document => ({
    id: p.id,
    text,
    url: p.url,
    source: { uri: src.uri, offset: p.offset, record_id: p.record_id, fetch_date: p.fetch_date, license: src.policy.license(p.url, src.input.license) },
    meta,
  });
  const dropped = (reason: string, detail: Record<string, unknown>): SourceItem => ({ kind: 'drop', doc: doc(''), reason, detail, record });

  const blocked = src.policy.blocked(p.url);
  if (blocked) return dropped(blocked.reason, blocked.detail);
  if (status !== null && (status < 200 || status > 299)) return dropped('http_status', { status });
  const headerSignal = p.http ? headerOptOut(p.http.headers) : null;
  if (headerSignal) return dropped(headerSignal.reason, headerSignal.detail);
  const kind = type && HTML_TYPES.has(type) ? 'html' : type && TEXT_TYPES.has(type) ? 'text' : type && type !== 'unk' && type !== 'application/octet-stream' ? null : sniff(p.body);
  if (!kind) return dropped('unsupported_content_type', { content_type: type });
  if (p.body.length > src.max_record_bytes) {
    return badItem(p.offset, 'oversized_record', `payload of ${p.body.length} bytes exceeds max_record_bytes ${src.max_record_bytes}`, p.record_id, p.url);
  }
  const decoded = decodePayload(p.body, charsetParam(p.content_type ?? undefined), kind === 'html');
  const meta: DocumentMeta = { ...p.meta, charset: decoded.charset, charset_source: decoded.source };
  if (decoded.unknown_label) meta.charset_unknown_label = decoded.unknown_label;
  if (kind === 'text') return { kind: 'doc', doc: doc(decoded.text.trim(), meta), record };
  let page;
  try {
    page = htmlToText(decoded.text, { maxWork: src.html_work_budget, backstopMs: src.html_time_budget_ms });
  } catch (err) {
    if (err instanceof ExtractionOverBudget) return dropped('extraction_over_budget', { message: err.message, html_chars: decoded.text.length });
    // The one drop that depends on the machine: said so in its detail, so an audit can tell.
    if (err instanceof ExtractionTimeout) return dropped('extraction_timeout', { message: err.message, html_chars: decoded.text.length, wall_clock: true });
    if (err instanceof NestingTooDeep) return dropped('html_too_deep', { max_depth: MAX_DEPTH, html_chars: decoded.text.length });
    throw err;
  }
  const metaSignal = metaOptOut(page);
  if (metaSignal) return dropped(metaSignal.reason, metaSignal.detail);
  if (page.title) meta.title = page.title;
  return { kind: 'doc', doc: doc(page.text, meta), record };
}
