import { documentId } from '../../src/hash.js';
import { decodePayload } from './charset.js';
import { gzipMembers } from './gzip-members.js';
import { badItem, gzipInput, type ReadInput, type SourceItem } from './records.js';

/**
 * Plain text files, one document each (a book, a transcript, a scraped page saved as text), plain or
 * gzip. The charset is sniffed as for web pages without a declaration: UTF-8 if valid, else
 * windows-1252; the document's id comes from the file's identity.
 */
export function* readText(src: ReadInput): Generator<SourceItem> {
  let data = src.bytes;
  if (gzipInput(src)) {
    const parts: Buffer[] = [];
    for (const member of gzipMembers(src.bytes, { maxBytes: src.max_record_bytes + 1 })) {
      if (member.error) {
        yield badItem(member.offset, member.oversized ? 'oversized_record' : 'corrupt_gzip', member.error);
        return;
      }
      parts.push(member.data);
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
