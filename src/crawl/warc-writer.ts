import { createHash, randomUUID } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `sha1:` + base32, the digest form WARC tools (warcio, pywb, Heritrix) write and check. */
export function sha1Digest(data: Uint8Array): string {
  const bytes = createHash('sha1').update(data).digest();
  let bits = 0, value = 0, out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return `sha1:${out}`;
}

export interface WarcRecordFields {
  type: 'warcinfo' | 'request' | 'response';
  targetUri?: string;
  date: Date;
  contentType: string;
  block: Buffer;
  /** Extra named fields, in order (WARC-IP-Address, WARC-Concurrent-To, WARC-Payload-Digest, …). */
  fields?: [string, string][];
}

/**
 * Writes WARC 1.1 records, each its own gzip member (as Common Crawl and Heritrix do, so readers can
 * seek to any record), appending to one file. Returns each record's id.
 */
export class WarcWriter {
  /** Writes are chained so records never interleave, whatever the crawler's concurrency. */
  private last: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: FileHandle) {}

  static async create(path: string): Promise<WarcWriter> {
    return new WarcWriter(await open(path, 'w'));
  }

  async write(rec: WarcRecordFields): Promise<string> {
    const id = `<urn:uuid:${randomUUID()}>`;
    const lines = [
      'WARC/1.1',
      `WARC-Type: ${rec.type}`,
      `WARC-Record-ID: ${id}`,
      // WARC 1.1 allows fractions of a second; milliseconds keep a host's request spacing auditable.
      `WARC-Date: ${rec.date.toISOString()}`,
      ...(rec.targetUri ? [`WARC-Target-URI: ${rec.targetUri}`] : []),
      ...(rec.fields ?? []).map(([k, v]) => `${k}: ${v}`),
      `WARC-Block-Digest: ${sha1Digest(rec.block)}`,
      `Content-Type: ${rec.contentType}`,
      `Content-Length: ${rec.block.length}`,
    ];
    const record = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), rec.block, Buffer.from('\r\n\r\n')]);
    const member = gzipSync(record);
    this.last = this.last.then(() => this.file.write(member));
    await this.last;
    return id;
  }

  async close(): Promise<void> {
    await this.last;
    await this.file.close();
  }
}
