import { createHash, randomUUID } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
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

/** The name of the `index`th file of a rotated WARC: the first keeps the name given. */
export function rotatedName(path: string, index: number): string {
  if (index === 0) return path;
  const m = /^(.*?)(\.warc(?:\.gz)?)?$/i.exec(path);
  return `${m?.[1] ?? path}-${String(index).padStart(5, '0')}${m?.[2] ?? ''}`;
}

/**
 * Writes WARC 1.1 records, each its own gzip member (as Common Crawl and Heritrix do, so readers can
 * seek to any record). When the next member would take a file past `maxBytes`, the file is closed and
 * the next one opened, starting with the same warcinfo record; a record larger than the limit gets a
 * file of its own. Returns each record's id.
 */
export class WarcWriter {
  /** Writes are chained so records never interleave, whatever the crawler's concurrency. */
  private last: Promise<unknown> = Promise.resolve();
  private file: FileHandle | null = null;
  private size = 0;
  private records = 0;
  readonly files: string[] = [];

  private constructor(private readonly path: string, private readonly maxBytes: number, private readonly warcinfo: Buffer) {}

  /** Opens the first file and writes its warcinfo record, whose block is `warcinfo`. */
  static async create(path: string, warcinfo: Buffer, maxBytes = Infinity): Promise<WarcWriter> {
    const writer = new WarcWriter(path, maxBytes, warcinfo);
    writer.last = writer.open();
    await writer.last;
    return writer;
  }

  private async open(): Promise<void> {
    await this.file?.close();
    const name = rotatedName(this.path, this.files.length);
    this.files.push(name);
    this.file = await open(name, 'w');
    const { member } = this.member({ type: 'warcinfo', date: new Date(), contentType: 'application/warc-fields', block: this.warcinfo });
    await this.file.write(member);
    this.size = member.length;
    this.records = 0;
  }

  private member(rec: WarcRecordFields): { id: string; member: Buffer } {
    const id = `<urn:uuid:${randomUUID()}>`;
    const lines = [
      'WARC/1.1',
      `WARC-Type: ${rec.type}`,
      `WARC-Record-ID: ${id}`,
      // WARC 1.1 allows fractions of a second; milliseconds keep a host's request spacing auditable.
      `WARC-Date: ${rec.date.toISOString()}`,
      ...(rec.targetUri ? [`WARC-Target-URI: ${rec.targetUri}`] : []),
      ...(rec.fields ?? []).map(([k, v]) => `${k}: ${v}`),
      ...(rec.type === 'warcinfo' ? [`WARC-Filename: ${basename(this.files.at(-1) ?? this.path)}`] : []),
      `WARC-Block-Digest: ${sha1Digest(rec.block)}`,
      `Content-Type: ${rec.contentType}`,
      `Content-Length: ${rec.block.length}`,
    ];
    const record = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), rec.block, Buffer.from('\r\n\r\n')]);
    return { id, member: gzipSync(record) };
  }

  async write(rec: WarcRecordFields): Promise<string> {
    const { id, member } = this.member(rec);
    this.last = this.last.then(async () => {
      if (this.size + member.length > this.maxBytes && this.records > 0) await this.open();
      await this.file?.write(member);
      this.size += member.length;
      this.records++;
    });
    await this.last;
    return id;
  }

  async close(): Promise<void> {
    await this.last;
    await this.file?.close();
  }
}
