import zlib from 'node:zlib';
import { headerLength, MAGIC, nextSoundMember, ResyncExhausted, resyncBudget } from './gzip-members.js';
import { RawInflater } from './raw-inflate.js';

/** A piece of a member's inflated bytes, or the end of a member: sound, or what went wrong with it. */
export type GunzipEvent =
  | { kind: 'data'; offset: number; data: Buffer }
  | { kind: 'end'; offset: number; error: string | null; oversized?: true };

/** Inflated bytes are handed on this many at a time. */
const PIECE = 256 * 1024;
/** Enough inflated bytes to tell a member start from the magic bytes occurring by chance in compressed data. */
const PROBE = 64 * 1024;

/**
 * A gzip file inflated piece by piece, member by member: unlike `gzipMembers`, no member is held
 * whole, so a JSONL file gzipped as one multi-gigabyte member is read in bounded memory. Each member's
 * input ends where the next sound member starts, so a cut member never inflates into the next one's
 * bytes; damage is reported at the member's offset and reading resumes at the next sound member.
 */
export function* gunzipStream(buf: Buffer, maxBytes = Infinity): Generator<GunzipEvent> {
  try {
    yield* members(buf, maxBytes);
  } catch (err) {
    if (!(err instanceof ResyncExhausted)) throw err;
    yield { kind: 'end', offset: err.at, error: err.message };
  }
}

/** `maxBytes` caps what one member may inflate to: a decompression bomb is cut off there and skipped. */
function* members(buf: Buffer, maxBytes: number): Generator<GunzipEvent> {
  const inflater = new RawInflater();
  const budget = resyncBudget();
  let pos = 0;
  while (pos < buf.length) {
    const magic = buf.indexOf(MAGIC, pos) === pos;
    const header = magic ? headerLength(buf, pos) : -1;
    if (header < 0) {
      yield { kind: 'end', offset: pos, error: magic ? 'truncated or invalid gzip member header' : 'bytes that are not a gzip member' };
      const next = nextSoundMember(buf, pos + 1, PROBE, budget);
      if (next < 0) return;
      pos = next;
      continue;
    }
    const found = nextSoundMember(buf, pos + header, PROBE, budget);
    const stop = found < 0 ? buf.length : found;
    let crc = 0, size = 0, consumed = 0;
    const pieces = inflater.pieces(buf.subarray(pos + header, stop), PIECE);
    try {
      for (let r = pieces.next(); ; r = pieces.next()) {
        if (r.done) {
          consumed = r.value;
          break;
        }
        crc = zlib.crc32(r.value, crc);
        size += r.value.length;
        if (size > maxBytes) break;
        yield { kind: 'data', offset: pos, data: r.value };
      }
    } catch (err) {
      yield { kind: 'end', offset: pos, error: `corrupt gzip member (${(err as Error).message})` };
      if (found < 0) return;
      pos = found;
      continue;
    }
    if (size > maxBytes) {
      yield { kind: 'end', offset: pos, error: `gzip member inflates to more than ${maxBytes} bytes`, oversized: true };
      if (found < 0) return;
      pos = found;
      continue;
    }
    const trailer = pos + header + consumed;
    if (trailer + 8 > stop) {
      yield { kind: 'end', offset: pos, error: found < 0 ? 'truncated gzip member (file ends inside it)' : 'truncated gzip member (the next member starts inside it)' };
      if (found < 0) return;
      pos = found;
      continue;
    }
    const sound = buf.readUInt32LE(trailer) === crc >>> 0 && buf.readUInt32LE(trailer + 4) === size % 2 ** 32;
    yield { kind: 'end', offset: pos, error: sound ? null : 'gzip member fails its CRC32/size check' };
    // Bytes between this member's trailer and the next member are damage of their own.
    pos = trailer + 8;
  }
}
