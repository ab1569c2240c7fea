import zlib from 'node:zlib';

/** One gzip member: where it starts in the file, what it inflated to, and what went wrong if anything. */
export interface GzipMember {
  offset: number;
  data: Buffer;
  /** null for a sound member; otherwise why it is incomplete. `data` then holds what could be recovered. */
  error: string | null;
  /** The member inflates to more than the cap: `data` is empty and the member was skipped unread. */
  oversized: boolean;
}

const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, RESERVED = 0xe0;
/** Compressed bytes a candidate member must inflate without error before we believe it starts there. */
const PROBE_BYTES = 1024;

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Inflate as much as the bytes allow; a cut stream returns what it had instead of throwing. */
function inflatePartial(bytes: Buffer, maxOutputLength?: number): { data: Buffer; consumed: number } {
  const out = zlib.inflateRawSync(bytes, { info: true, finishFlush: zlib.constants.Z_SYNC_FLUSH, ...(maxOutputLength ? { maxOutputLength } : {}) }) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  return { data: out.buffer, consumed: out.engine.bytesWritten };
}

/** Length of the member header at `pos`, or -1 when the file ends inside it or it is not a header. */
function headerLength(buf: Buffer, pos: number): number {
  if (pos + 10 > buf.length) return -1;
  const flags = buf[pos + 3] as number;
  if (flags & RESERVED) return -1;
  let p = pos + 10;
  if (flags & FEXTRA) {
    if (p + 2 > buf.length) return -1;
    p += 2 + buf.readUInt16LE(p);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const end = buf.indexOf(0, p);
      if (end < 0) return -1;
      p = end + 1;
    }
  }
  if (flags & FHCRC) p += 2;
  return p > buf.length ? -1 : p - pos;
}

/**
 * The next offset after `from` where a gzip member plausibly starts. The magic bytes alone occur
 * by chance inside compressed data (once per 16 MB), so a candidate must also have a sane header
 * and inflate its first kilobyte without error.
 */
function nextMember(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(MAGIC, from); at >= 0; at = buf.indexOf(MAGIC, at + 1)) {
    const header = headerLength(buf, at);
    if (header < 0) continue;
    try {
      inflatePartial(buf.subarray(at + header, at + header + PROBE_BYTES), 64 * PROBE_BYTES);
      return at;
    } catch (err) {
      // A probe that fills its output cap inflated cleanly, so the start is real.
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return at;
    }
  }
  return -1;
}

/**
 * Walk a gzip file member by member. Node's gunzip hides member boundaries and gives up on
 * the first bad byte; walking members ourselves gives each record its compressed offset
 * (Common Crawl writes one WARC record per member) and lets a corrupt member be reported
 * while the members after it still flow. A member that would inflate beyond `maxBytes` is
 * skipped without being inflated, so one huge record cannot exhaust memory.
 */
export function* gzipMembers(buf: Buffer, maxBytes = 2 ** 31): Generator<GzipMember> {
  let pos = 0;
  const bad = (offset: number, error: string, data: Buffer = Buffer.alloc(0), oversized = false): GzipMember => ({ offset, data, error, oversized });
  while (pos < buf.length) {
    if (buf.indexOf(MAGIC, pos) !== pos) {
      const next = nextMember(buf, pos + 1);
      yield bad(pos, 'bytes that are not a gzip member');
      if (next < 0) return;
      pos = next;
      continue;
    }
    const header = headerLength(buf, pos);
    if (header < 0) {
      yield bad(pos, 'truncated or invalid gzip member header');
      const next = nextMember(buf, pos + 1);
      if (next < 0) return;
      pos = next;
      continue;
    }
    let out: { data: Buffer; consumed: number };
    try {
      out = inflatePartial(buf.subarray(pos + header), maxBytes);
    } catch (err) {
      const oversized = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      const next = nextMember(buf, pos + 1);
      yield bad(pos, oversized ? `gzip member inflates to more than ${maxBytes} bytes` : `corrupt gzip member (${(err as Error).message})`, undefined, oversized);
      if (next < 0) return;
      pos = next;
      continue;
    }
    const trailer = pos + header + out.consumed;
    const sound =
      trailer + 8 <= buf.length && buf.readUInt32LE(trailer) === zlib.crc32(out.data) && buf.readUInt32LE(trailer + 4) === out.data.length % 2 ** 32;
    if (sound) {
      yield { offset: pos, data: out.data, error: null, oversized: false };
      pos = trailer + 8;
      continue;
    }
    // A cut member runs on into the next one's bytes: stop it at the next member header and keep
    // what inflates from its own bytes, so the member after it is read intact.
    const next = nextMember(buf, pos + header);
    if (next >= 0 && next < trailer + 8) {
      const partial = (() => {
        try {
          return inflatePartial(buf.subarray(pos + header, next), maxBytes).data;
        } catch {
          return Buffer.alloc(0);
        }
      })();
      yield bad(pos, 'truncated gzip member (the next member starts inside it)', partial);
      pos = next;
      continue;
    }
    if (trailer + 8 > buf.length) {
      yield bad(pos, 'truncated gzip member (file ends inside it)', out.data);
      return;
    }
    yield bad(pos, 'gzip member fails its CRC32/size check', out.data);
    pos = trailer + 8;
  }
}
