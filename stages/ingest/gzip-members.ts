import zlib from 'node:zlib';

/** One gzip member: where it starts in the file, what it inflated to, and what went wrong if anything. */
export interface GzipMember {
  offset: number;
  data: Buffer;
  /** null for a sound member; otherwise why it is incomplete. `data` then holds what could be recovered. */
  error: string | null;
}

const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Inflate as much as the bytes allow; a cut stream returns what it had instead of throwing. */
function inflatePartial(bytes: Buffer): { data: Buffer; consumed: number } {
  const out = zlib.inflateRawSync(bytes, { info: true, finishFlush: zlib.constants.Z_SYNC_FLUSH }) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  return { data: out.buffer, consumed: out.engine.bytesWritten };
}

/** Length of the member header at `pos`, or -1 when the file ends inside it. */
function headerLength(buf: Buffer, pos: number): number {
  if (pos + 10 > buf.length) return -1;
  const flags = buf[pos + 3] as number;
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
 * Walk a gzip file member by member. Node's gunzip hides member boundaries and gives up on
 * the first bad byte; walking members ourselves gives each record its compressed offset
 * (Common Crawl writes one WARC record per member) and lets a corrupt member be reported
 * while the members after it still flow.
 */
export function* gzipMembers(buf: Buffer): Generator<GzipMember> {
  let pos = 0;
  while (pos < buf.length) {
    if (buf.indexOf(MAGIC, pos) !== pos) {
      const next = buf.indexOf(MAGIC, pos + 1);
      yield { offset: pos, data: Buffer.alloc(0), error: 'bytes that are not a gzip member' };
      if (next < 0) return;
      pos = next;
      continue;
    }
    const header = headerLength(buf, pos);
    if (header < 0) {
      yield { offset: pos, data: Buffer.alloc(0), error: 'truncated gzip member header' };
      return;
    }
    let out: { data: Buffer; consumed: number };
    try {
      out = inflatePartial(buf.subarray(pos + header));
    } catch (err) {
      const next = buf.indexOf(MAGIC, pos + 1);
      yield { offset: pos, data: Buffer.alloc(0), error: `corrupt gzip member (${(err as Error).message})` };
      if (next < 0) return;
      pos = next;
      continue;
    }
    const trailer = pos + header + out.consumed;
    const sound =
      trailer + 8 <= buf.length && buf.readUInt32LE(trailer) === zlib.crc32(out.data) && buf.readUInt32LE(trailer + 4) === out.data.length % 2 ** 32;
    if (sound) {
      yield { offset: pos, data: out.data, error: null };
      pos = trailer + 8;
      continue;
    }
    // A cut member runs on into the next one's bytes: stop it at the next member header and keep
    // what inflates from its own bytes, so the member after it is read intact.
    const next = buf.indexOf(MAGIC, pos + header);
    if (next >= 0 && next < trailer + 8) {
      const partial = (() => {
        try {
          return inflatePartial(buf.subarray(pos + header, next)).data;
        } catch {
          return Buffer.alloc(0);
        }
      })();
      yield { offset: pos, data: partial, error: 'truncated gzip member (the next member starts inside it)' };
      pos = next;
      continue;
    }
    if (trailer + 8 > buf.length) {
      yield { offset: pos, data: out.data, error: 'truncated gzip member (file ends inside it)' };
      return;
    }
    yield { offset: pos, data: out.data, error: 'gzip member fails its CRC32/size check' };
    pos = trailer + 8;
  }
}
