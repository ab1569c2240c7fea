import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { warcRecords, type WarcRecord } from '../stages/ingest/warc-records.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = join(ROOT, '..', '..', 'shared', 'data', 'warc');

/**
 * Real crawl records for benchmarks: the Common Crawl WARC and WET in the `warc` npm package's test
 * fixtures (always there), our Common Crawl WET fixtures, and, when the checkout sits next to
 * ../shared/data/warc, Common Crawl's whirlwind capture and warcio's examples.
 */
export function realRecords(type: 'response' | 'conversion'): WarcRecord[] {
  const warcFixtures = dirname(createRequire(import.meta.url).resolve('warc/test/fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc'));
  const files = [
    join(warcFixtures, 'CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc'),
    join(warcFixtures, 'CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc.wet'),
    join(ROOT, 'fixtures', 'commoncrawl', 'CC-MAIN-2024-22-whirlwind.warc.wet.gz'),
    join(ROOT, 'fixtures', 'commoncrawl', 'CC-MAIN-20140820021334-00006.warc.wet.gz'),
    ...['whirlwind.warc.gz', 'warcio-example.warc.gz', 'warcio-example-iana.org-chunked.warc'].map((f) => join(SHARED, f)),
  ];
  const out: WarcRecord[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    let bytes = readFileSync(file);
    if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
    for (const item of warcRecords(bytes, 2 ** 30)) {
      if (item.kind !== 'record' || item.record.headers.get('warc-type') !== type) continue;
      // Pages with a body worth extracting: the 2014 sample holds a few empty redirects.
      if (type === 'response' && !/text\/html/i.test(item.record.block.subarray(0, 2048).toString('latin1'))) continue;
      out.push(item.record);
    }
  }
  return out;
}

/** A WARC record as bytes, with a fresh record id and URL so every copy is its own document. */
function serialize(rec: WarcRecord, n: number): Buffer {
  const uuid = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  const url = `${rec.headers.get('warc-target-uri') ?? 'http://example.com/'}${n === 0 ? '' : `#copy${n}`}`;
  const head = [
    'WARC/1.0',
    `WARC-Type: ${rec.headers.get('warc-type')}`,
    `WARC-Record-ID: <urn:uuid:${uuid}>`,
    `WARC-Date: ${rec.headers.get('warc-date') ?? '2024-01-01T00:00:00Z'}`,
    `WARC-Target-URI: ${url}`,
    // Kept when the original has them: datatrove's WarcReader filters on the payload type.
    ...['WARC-Identified-Payload-Type', 'WARC-Identified-Content-Language'].flatMap((h) => (rec.headers.has(h.toLowerCase()) ? [`${h}: ${rec.headers.get(h.toLowerCase())}`] : [])),
    `Content-Type: ${rec.headers.get('content-type') ?? 'application/octet-stream'}`,
    `Content-Length: ${rec.block.length}`,
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), rec.block, Buffer.from('\r\n\r\n')]);
}

/** `count` records cycling through `records`, one gzip member each as Common Crawl writes them. */
export function buildWarcGz(records: WarcRecord[], count: number): Buffer {
  const members: Buffer[] = [];
  for (let n = 0; n < count; n++) members.push(gzipSync(serialize(records[n % records.length] as WarcRecord, n), { level: 6 }));
  return Buffer.concat(members);
}
