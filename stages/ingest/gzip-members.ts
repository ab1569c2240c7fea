import zlib from 'node:zlib';
import { RawInflater, type Inflated } from './raw-inflate.js';

/** One gzip member: where it starts in the file, what it inflated to, and what went wrong if anything. */
export interface GzipMember {
  offset: number;
  data: Buffer;
  /** null for a sound member; otherwise why it is incomplete. `data` then holds what could be recovered. */
  error: string | null;
  /** The member inflates to more than the cap: `data` is empty and the member was skipped unread. */
  oversized: boolean;
}

export const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, RESERVED = 0xe0;
/** Longest file name or comment taken as part of a member header (real ones are a few dozen bytes). */
const MAX_HEADER_STRING = 64 * 1024;

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

const inflater = new RawInflater();

/** Inflate as much as the bytes allow; a cut stream returns what it had instead of throwing. */
function inflatePartial(bytes: Buffer, maxOutputLength?: number): Inflated {
  return inflater.inflate(bytes, maxOutputLength);
}

/** Length of the member header at `pos`, or -1 when the file ends inside it or it is not a header. */
export function headerLength(buf: Buffer, pos: number): number {
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
      // Searched within a window: scanning to the end of the file for every false header is quadratic.
      const end = buf.subarray(0, p + MAX_HEADER_STRING).indexOf(0, p);
      if (end < 0) return -1;
      p = end + 1;
    }
  }
  if (flags & FHCRC) p += 2;
  return p > buf.length ? -1 : p - pos;
}

/**
 * Whether a sound member starts at `at`: a valid header, and a deflate stream that ends with a
 * matching CRC32 and size, or that runs to the end of the bytes at hand or past the size cap without
 * error (it may continue beyond a task's slice of the file).
 */
function soundMemberAt(buf: Buffer, at: number, maxBytes: number, budget: ResyncBudget = { candidates: 1, bytes: Infinity }): boolean {
  const header = headerLength(buf, at);
  if (header < 0) return false;
  const cap = Math.min(maxBytes, budget.bytes);
  let out: { data: Buffer; consumed: number };
  try {
    out = inflatePartial(buf.subarray(at + header), cap);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') return false;
    if (cap < maxBytes) throw new ResyncExhausted(at);
    return true;
  }
  const trailer = at + header + out.consumed;
  if (trailer + 8 > buf.length) return true;
  const sound = buf.readUInt32LE(trailer) === zlib.crc32(out.data) && buf.readUInt32LE(trailer + 4) === out.data.length % 2 ** 32;
  if (!sound) budget.bytes -= out.data.length;
  return sound;
}

/**
 * The next offset at or after `from` where a sound gzip member starts. The magic bytes alone occur
 * by chance inside compressed data (once per 16 MB), so a candidate must inflate to a matching
 * CRC32. Resynchronising after damage and finding the first member of a task's slice use this one
 * rule, so a file read in slices gives exactly what it gives read whole.
 */
export function nextSoundMember(buf: Buffer, from: number, maxBytes: number, budget: ResyncBudget = resyncBudget()): number {
  for (let at = buf.indexOf(MAGIC, from); at >= 0; at = buf.indexOf(MAGIC, at + 1)) {
    if (budget.candidates <= 0) throw new ResyncExhausted(at);
    if (soundMemberAt(buf, at, maxBytes, budget)) return at;
    budget.candidates--;
  }
  return -1;
}

/**
 * Each false candidate costs an inflate attempt (about a millisecond, mostly zlib set-up), and a
 * hostile file can repeat the three magic bytes every third byte (millions of attempts) or put them
 * before long deflate streams that end with a wrong CRC. By chance a false header occurs once per
 * 16 MB, and resynchronising after real damage meets one or two: a file that makes one reader try a
 * hundred, or inflate 64 MiB in vain, was made to stall it, and the rest of that file is skipped.
 */
export interface ResyncBudget {
  candidates: number;
  bytes: number;
}
const MAX_FALSE_CANDIDATES = 100;
const MAX_FALSE_BYTES = 64 * 2 ** 20;

/** The false-candidate budget of one reader of one file. */
export function resyncBudget(): ResyncBudget {
  return { candidates: MAX_FALSE_CANDIDATES, bytes: MAX_FALSE_BYTES };
}

export class ResyncExhausted extends Error {
  constructor(readonly at: number) {
    super(`more than ${MAX_FALSE_CANDIDATES} false gzip member headers or ${MAX_FALSE_BYTES} bytes inflated from them: the rest of the file is skipped`);
  }
}

/** Which members of a file a reader owns: `buf` holds the file from byte `base` on. */
export interface MemberSlice {
  /** Cap on one member's inflated size. */
  maxBytes: number;
  /** File offset of buf[0]. */
  base: number;
  /** File offset where ownership starts: a slice begins at its first sound member at or after it. */
  start: number;
  /**
   * File offset where ownership ends: members that start at or after it belong to the next slice,
   * except damaged bytes right after the last owned member, which the next slice skips.
   */
  end: number;
}

/**
 * Walk a gzip file member by member. Node's gunzip hides member boundaries and gives up on
 * the first bad byte; walking members ourselves gives each record its compressed offset
 * (Common Crawl writes one WARC record per member) and lets a corrupt member be reported
 * while the members after it still flow. A member that would inflate beyond `maxBytes` is
 * skipped without being inflated, so one huge record cannot exhaust memory.
 */
export function* gzipMembers(buf: Buffer, slice: Partial<MemberSlice> = {}): Generator<GzipMember> {
  try {
    yield* walkMembers(buf, slice);
  } catch (err) {
    if (!(err instanceof ResyncExhausted)) throw err;
    yield { offset: (slice.base ?? 0) + err.at, data: Buffer.alloc(0), error: err.message, oversized: false };
  }
}

function* walkMembers(buf: Buffer, slice: Partial<MemberSlice>): Generator<GzipMember> {
  const { maxBytes = 2 ** 31, base = 0, start = 0, end = Infinity } = slice;
  const budget = resyncBudget();
  const nextMember = (from: number) => nextSoundMember(buf, from, maxBytes, budget);
  let pos = start > 0 ? nextMember(start - base) : 0;
  if (pos < 0) return;
  const bad = (offset: number, error: string, data: Buffer = Buffer.alloc(0), oversized = false): GzipMember => ({ offset: base + offset, data, error, oversized });
  while (pos < buf.length) {
    if (base + pos >= end && soundMemberAt(buf, pos, maxBytes)) return;
    if (buf.indexOf(MAGIC, pos) !== pos) {
      const next = nextMember(pos + 1);
      yield bad(pos, 'bytes that are not a gzip member');
      if (next < 0) return;
      pos = next;
      continue;
    }
    const header = headerLength(buf, pos);
    if (header < 0) {
      yield bad(pos, 'truncated or invalid gzip member header');
      const next = nextMember(pos + 1);
      if (next < 0) return;
      pos = next;
      continue;
    }
    let out: { data: Buffer; consumed: number };
    try {
      out = inflatePartial(buf.subarray(pos + header), maxBytes);
    } catch (err) {
      const oversized = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      const next = nextMember(pos + 1);
      yield bad(pos, oversized ? `gzip member inflates to more than ${maxBytes} bytes` : `corrupt gzip member (${(err as Error).message})`, undefined, oversized);
      if (next < 0) return;
      pos = next;
      continue;
    }
    const trailer = pos + header + out.consumed;
    const sound =
      trailer + 8 <= buf.length && buf.readUInt32LE(trailer) === zlib.crc32(out.data) && buf.readUInt32LE(trailer + 4) === out.data.length % 2 ** 32;
    if (sound) {
      yield { offset: base + pos, data: out.data, error: null, oversized: false };
      pos = trailer + 8;
      continue;
    }
    // A cut member runs on into the next one's bytes: stop it at the next member header and keep
    // what inflates from its own bytes, so the member after it is read intact.
    const next = nextMember(pos + header);
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
