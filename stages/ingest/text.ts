import { documentId } from '../../src/hash.js';
import { decodePayload } from './charset.js';
import { gunzipStream } from './gzip-stream.js';
import { badItem, gzipInput, type ReadInput, type SourceItem } from './records.js';

/**
 * Plain text files, one document each (a book, a transcript, a scraped page saved as text), plain or
 * gzip. The charset is sniffed as for web pages without a declaration: UTF-8 if valid, else
 * windows-1252; the document's id comes from the file's identity.
 */
export function* readText(src: ReadInput): Generator<SourceItem> {
  let data = src.bytes;
  if (gzipInput(src)) {
    // Inflated a piece at a time and given up as soon as it passes the cap, never held beyond it.
    const parts: Buffer[] = [];
    let size = 0;
    for (const event of gunzipStream(src.bytes)) {
      if (event.kind === 'end') {
        if (!event.error) continue;
        yield badItem(event.offset, 'corrupt_gzip', event.error);
        return;
      }
      size += event.data.length;
      if (size > src.max_record_bytes) {
        yield badItem(0, 'oversized_record', `text inflates to more than max_record_bytes ${src.max_record_bytes}`);
        return;
      }
      parts.push(event.data);
    }
    data = Buffer.concat(parts);
  }
  if (data.length > src.max_record_bytes) {
    yield badItem(0, 'oversized_record', `text of ${data.length} bytes exceeds max_record_bytes ${src.max_record_bytes}`);
    return;
  }
  const decoded = decodePayload(data, null, false);
  yield {
    kind: 'doc',
    doc: {
      id: documentId(src.source_key, 0),
      text: decoded.text.trim(),
      url: null,
      source: { uri: src.uri, offset: 0, record_id: null, fetch_date: null, license: src.input.license },
      meta: { charset: decoded.charset, charset_source: decoded.source },
    },
    record: { content_type: 'text/plain', http_status: null },
  };
}
