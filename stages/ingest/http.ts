import zlib from 'node:zlib';
import { findHeaderEnd, parseHeaderLines } from './warc-records.js';

/** An HTTP response as a crawler stored it: status, headers (lower-cased names) and the decoded body. */
export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Parse the HTTP response in a WARC `response` block or an ARC record. Crawlers store the bytes
 * as received, so the body may still be chunked or compressed; Common Crawl instead decodes it
 * and renames the headers (`X-Crawler-Transfer-Encoding`), so those are left alone here.
 * Returns an error message when the block is not an HTTP response or its body cannot be decoded.
 */
export function parseHttpResponse(block: Buffer, maxBodyBytes: number): HttpResponse | { error: string } {
  if (block.indexOf('HTTP/') !== 0) return { error: 'block does not start with an HTTP status line' };
  const headerEnd = findHeaderEnd(block, 0);
  const head = block.subarray(0, headerEnd ? headerEnd.at : block.length).toString('latin1');
  const status = Number(/^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(head)?.[1]);
  if (!Number.isInteger(status)) return { error: 'unreadable HTTP status line' };
  const headers = parseHeaderLines(head);
  let body = headerEnd ? block.subarray(headerEnd.at + headerEnd.length) : Buffer.alloc(0);
  if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) body = dechunk(body) ?? body;
  const encoding = (headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (encoding && encoding !== 'identity' && body.length > 0) {
    try {
      body = decompress(encoding, body, maxBodyBytes);
    } catch (err) {
      // Some crawlers (Common Crawl's Nutch exports of 2014) stored the decoded body but kept the
      // header; such a body reads as text, so it is kept as it is, as warcio does.
      if (body.subarray(0, 1024).includes(0)) return { error: `Content-Encoding ${encoding} cannot be decoded (${(err as Error).message})` };
    }
  }
  return { status, headers, body };
}

/** Undo chunked transfer coding; null when the chunk framing is broken (the raw body is kept then). */
function dechunk(body: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const lineEnd = body.indexOf('\r\n', pos);
    if (lineEnd < 0) return null;
    const size = parseInt(body.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) return null;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (start + size > body.length) {
      parts.push(body.subarray(start));
      return Buffer.concat(parts);
    }
    parts.push(body.subarray(start, start + size));
    pos = start + size + 2;
  }
  return Buffer.concat(parts);
}

function decompress(encoding: string, body: Buffer, maxOutputLength: number): Buffer {
  const opts = { maxOutputLength, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gunzipSync(body, opts);
  if (encoding === 'br') return zlib.brotliDecompressSync(body, { maxOutputLength, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  if (encoding === 'deflate') {
    // Servers send both zlib-wrapped and raw deflate under this name.
    try {
      return zlib.inflateSync(body, opts);
    } catch {
      return zlib.inflateRawSync(body, opts);
    }
  }
  throw new Error('unknown coding');
}

/** `text/html; charset=UTF-8` → the media type, lower-cased. */
export function mediaType(contentType: string | undefined): string | null {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : null;
}

/** The `charset` parameter of a Content-Type value, if any. */
export function charsetParam(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*["']?([^"';\s]+)/i.exec(contentType ?? '');
  return m?.[1] ?? null;
}
