/**
 * Byte-level BPE over a fixed vocabulary: the algorithm tiktoken and Hugging Face `tokenizers`
 * share once a text is split into pre-token pieces. A piece starts as one token per UTF-8 byte;
 * the adjacent pair with the lowest merge priority (leftmost on ties) is merged until no pair
 * merges. tiktoken's priority of a pair is the rank of the merged token; a tokenizer.json's is
 * the index of the pair in `merges`. Both become one table from (left id, right id) to
 * (priority, merged id), so the merge loop never touches bytes or strings.
 */

/** Open-addressing table from a token-id pair to its merge priority and merged id. */
class PairTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly priority: Int32Array;
  private readonly merged: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(capacity: number) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.left = new Int32Array(slots).fill(-1);
    this.right = new Int32Array(slots);
    this.priority = new Int32Array(slots);
    this.merged = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** Keeps the first priority given for a pair (a tokenizer.json may list a merge twice). */
  set(a: number, b: number, priority: number, merged: number): void {
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
    for (;;) {
      const l = this.left[i] as number;
      if (l === -1) break;
      if (l === a && this.right[i] === b) return;
      i = (i + 1) & this.mask;
    }
    this.left[i] = a;
    this.right[i] = b;
    this.priority[i] = priority;
    this.merged[i] = merged;
    this.size++;
  }

  /** The slot of the pair, or -1. */
  find(a: number, b: number): number {
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
    for (;;) {
      const l = this.left[i] as number;
      if (l === a && this.right[i] === b) return i;
      if (l === -1) return -1;
      i = (i + 1) & this.mask;
    }
  }

  priorityAt(slot: number): number {
    return this.priority[slot] as number;
  }

  mergedAt(slot: number): number {
    return this.merged[slot] as number;
  }
}

const NO_MERGE = 0x7fffffff;
/** 2^16 slots in the pair memo. */
const PAIR_MEMO_SHIFT = 16;
/** Pieces up to this many bytes merge by scanning an array; longer ones use a heap over a linked list. */
const SCAN_LIMIT = 64;

/** Token ids appended to a growable Uint32Array. */
export class TokenBuffer {
  ids = new Uint32Array(4096);
  length = 0;

  push(id: number): void {
    if (this.length === this.ids.length) this.grow(1);
    this.ids[this.length++] = id;
  }

  pushAll(ids: Uint32Array): void {
    if (this.length + ids.length > this.ids.length) this.grow(ids.length);
    this.ids.set(ids, this.length);
    this.length += ids.length;
  }

  /** Make room for `extra` more ids at once, so a buffer that will hold a whole part does not double its way there. */
  reserve(extra: number): void {
    if (this.length + extra > this.ids.length) this.grow(extra);
  }

  /** Append ids[from, from + count) of an id array. */
  pushRange(ids: Uint32Array | Int32Array, from: number, count: number): void {
    if (this.length + count > this.ids.length) this.grow(count);
    const dst = this.ids;
    let at = this.length;
    for (let k = 0; k < count; k++) dst[at++] = ids[from + k] as number;
    this.length = at;
  }

  /** A copy of the ids pushed so far. */
  take(): Uint32Array {
    return this.ids.slice(0, this.length);
  }

  private grow(extra: number): void {
    let size = this.ids.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint32Array(size);
    next.set(this.ids.subarray(0, this.length));
    this.ids = next;
  }
}

export interface BpeVocabulary {
  /** Every token's bytes back to back: id i spans offsets[i]..offsets[i+1]; empty for special-token ids. */
  bytes: Uint8Array;
  offsets: Int32Array;
  /**
   * Merge pairs in priority order (tokenizer.json `merges`); omitted for tiktoken vocabularies,
   * where every pair whose concatenation is a token merges with that token's rank as priority.
   */
  merges?: [number, number][];
  /**
   * Whether a piece that is itself a token is emitted whole before any merging: tiktoken always
   * does; a tokenizer.json does when its model sets `ignore_merges` (Llama 3).
   */
  wholePieceFirst: boolean;
}

/** Token bytes written one after another into a growing arena: how loaders build a `BpeVocabulary`. */
export class VocabularyBuilder {
  private bytes = new Uint8Array(1 << 20);
  private view = Buffer.from(this.bytes.buffer);
  private offsets = new Int32Array(1 << 16);
  private fill = 0;
  /** One past the largest id set so far. */
  size = 0;

  /** The token's bytes, from a byte array or a string's UTF-8. Ids must come in increasing order. */
  set(id: number, token: ArrayLike<number> | string): void {
    if (id < this.size) throw new Error(`vocabulary ids must increase: ${id} after ${this.size - 1}`);
    const most = typeof token === 'string' ? token.length * 3 : token.length;
    while (this.fill + most > this.bytes.length) this.bytes = grown(this.bytes, this.bytes.length * 2);
    while (id + 2 > this.offsets.length) this.offsets = grown(this.offsets, this.offsets.length * 2);
    for (let k = this.size + 1; k <= id; k++) this.offsets[k] = this.fill;
    if (typeof token === 'string') {
      if (this.view.buffer !== this.bytes.buffer) this.view = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
      this.fill += this.view.write(token, this.fill, 'utf8');
    } else {
      this.bytes.set(token, this.fill);
      this.fill += token.length;
    }
    this.offsets[id + 1] = this.fill;
    this.size = id + 1;
  }

  finish(): { bytes: Uint8Array; offsets: Int32Array } {
    return { bytes: this.bytes.subarray(0, this.fill), offsets: this.offsets.subarray(0, this.size + 1) };
  }
}

function grown<T extends Uint8Array | Int32Array | Uint32Array | Uint16Array>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size);
  next.set(a);
  return next;
}

/** Multiplier of the polynomial hash over bytes: h(x + y) = h(x) * M^|y| + h(y), so suffixes hash in O(1). */
const M = 0x01000193;

/** The vocabulary as tiktoken's encoder map: token bytes -> id, without a string per token. */
class TokenIndex {
  readonly hashes: Int32Array;
  private readonly slots: Int32Array;
  private readonly shift: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly offsets: Int32Array,
  ) {
    const count = offsets.length - 1;
    let bits = 10;
    while (1 << bits < count * 2) bits++;
    this.slots = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.hashes = new Int32Array(count);
    for (let id = 0; id < count; id++) {
      const s = offsets[id] as number;
      const e = offsets[id + 1] as number;
      if (s === e) continue;
      const h = hashBytes(bytes, s, e);
      this.hashes[id] = h;
      // The first id of a byte string wins, as a tokenizer.json's vocabulary map keeps one.
      if (this.find(bytes, s, e - s, h) === -1) this.slots[this.slotFor(h)] = id + 1;
    }
  }

  private slotFor(h: number): number {
    const mask = this.slots.length - 1;
    let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    return i;
  }

  /** The id whose bytes are those of token a followed by those of token b, or -1. */
  findConcat(a: number, b: number, powers: Int32Array): number {
    const { slots, offsets, bytes, hashes } = this;
    const as = offsets[a] as number;
    const al = (offsets[a + 1] as number) - as;
    const bs = offsets[b] as number;
    const bl = (offsets[b + 1] as number) - bs;
    const len = al + bl;
    if (len >= powers.length) return -1;
    const h = (Math.imul(hashes[a] as number, powers[bl] as number) + (hashes[b] as number)) | 0;
    const mask = slots.length - 1;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const v = slots[i] as number;
      if (v === 0) return -1;
      const id = v - 1;
      if (hashes[id] !== h) continue;
      const s = offsets[id] as number;
      if ((offsets[id + 1] as number) - s !== len) continue;
      let k = 0;
      while (k < al && bytes[s + k] === bytes[as + k]) k++;
      if (k < al) continue;
      while (k < len && bytes[s + k] === bytes[bs + k - al]) k++;
      if (k === len) return id;
    }
  }

  /** The id whose bytes are buf[at, at + len) (hash h), or -1. */
  find(buf: Uint8Array, at: number, len: number, h: number): number {
    const { slots, offsets, bytes, hashes } = this;
    const mask = slots.length - 1;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const v = slots[i] as number;
      if (v === 0) return -1;
      const id = v - 1;
      if (hashes[id] !== h) continue;
      const s = offsets[id] as number;
      if ((offsets[id + 1] as number) - s !== len) continue;
      let k = 0;
      while (k < len && bytes[s + k] === buf[at + k]) k++;
      if (k === len) return id;
    }
  }
}

function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, M) + (b[i] as number)) | 0;
  return h;
}

/** Longest piece, in UTF-16 code units, the piece cache keeps; longer ones are rare and merged each time. */
const MAX_KEY = 64;

/**
 * One generation of the piece cache: pieces (as UTF-16 code units, hashed straight from the
 * document text, so a hit needs no substring) -> token ids, in flat arrays.
 */
class CacheGeneration {
  private readonly slots: Int32Array;
  private readonly shift: number;
  private readonly hash: Int32Array;
  private readonly keyAt: Int32Array;
  private readonly keyLen: Int32Array;
  readonly idAt: Int32Array;
  readonly idLen: Int32Array;
  private readonly keys: Uint16Array;
  readonly ids: Uint32Array;
  private entries = 0;
  private keyFill = 0;
  private idFill = 0;

  constructor(private readonly capacity: number) {
    let bits = 10;
    while (1 << bits < capacity * 2) bits++;
    this.slots = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.hash = new Int32Array(capacity);
    this.keyAt = new Int32Array(capacity);
    this.keyLen = new Int32Array(capacity);
    this.idAt = new Int32Array(capacity);
    this.idLen = new Int32Array(capacity);
    this.keys = new Uint16Array(capacity * 16);
    this.ids = new Uint32Array(capacity * 8);
  }

  /** The entry for text[start, start + len) (hash h), or -1. */
  find(text: string, start: number, len: number, h: number): number {
    const { slots, hash, keyLen, keyAt, keys } = this;
    const mask = slots.length - 1;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const v = slots[i] as number;
      if (v === 0) return -1;
      const e = v - 1;
      if (hash[e] !== h || keyLen[e] !== len) continue;
      const k0 = keyAt[e] as number;
      let k = 0;
      while (k < len && keys[k0 + k] === text.charCodeAt(start + k)) k++;
      if (k === len) return e;
    }
  }

  /** Whether an entry of this size fits; when it does not, the generation is full. */
  fits(len: number, count: number): boolean {
    return this.entries < this.capacity && this.keyFill + len <= this.keys.length && this.idFill + count <= this.ids.length;
  }

  add(text: string, start: number, len: number, h: number, ids: Uint32Array, from: number, count: number): void {
    const e = this.entries++;
    this.hash[e] = h;
    this.keyAt[e] = this.keyFill;
    this.keyLen[e] = len;
    for (let k = 0; k < len; k++) this.keys[this.keyFill + k] = text.charCodeAt(start + k);
    this.keyFill += len;
    this.idAt[e] = this.idFill;
    this.idLen[e] = count;
    this.ids.set(ids.subarray(from, from + count), this.idFill);
    this.idFill += count;
    const mask = this.slots.length - 1;
    let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = e + 1;
  }

  clear(): void {
    this.slots.fill(0);
    this.entries = 0;
    this.keyFill = 0;
    this.idFill = 0;
  }
}

/**
 * A two-generation cache of piece -> token ids: hits in the older generation move to the newer
 * one, and a full newer generation replaces the older. It keeps recently used pieces like an LRU
 * with no per-hit bookkeeping.
 */
class PieceCache {
  private young: CacheGeneration;
  private old: CacheGeneration;

  constructor(generation: number) {
    this.young = new CacheGeneration(generation);
    this.old = new CacheGeneration(generation);
  }

  /** Append the cached ids of text[start, start + len) to `out`; false on a miss. */
  emit(text: string, start: number, len: number, h: number, out: TokenBuffer): boolean {
    const young = this.young;
    const e = young.find(text, start, len, h);
    if (e !== -1) {
      out.pushRange(young.ids, young.idAt[e] as number, young.idLen[e] as number);
      return true;
    }
    const old = this.old;
    const o = old.find(text, start, len, h);
    if (o === -1) return false;
    const at = out.length;
    out.pushRange(old.ids, old.idAt[o] as number, old.idLen[o] as number);
    this.add(text, start, len, h, out.ids, at, out.length - at);
    return true;
  }

  add(text: string, start: number, len: number, h: number, ids: Uint32Array, from: number, count: number): void {
    if (!this.young.fits(len, count)) {
      const spare = this.old;
      this.old = this.young;
      spare.clear();
      this.young = spare;
    }
    this.young.add(text, start, len, h, ids, from, count);
  }
}

export class BytePairEncoder {
  /** Merge table of a tokenizer.json; null for tiktoken, where a pair's rank is the rank of its concatenation, looked up in `index`. */
  private readonly pairs: PairTable | null;
  private readonly index: TokenIndex;
  private readonly wholePieceFirst: boolean;
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Merge priority of every byte pair, the first round of every piece, without hashing. */
  private readonly bytePairs = new Int32Array(65536).fill(NO_MERGE);
  private readonly cache: PieceCache | null;
  /** (a, b, priority) of recently ranked pairs, tiktoken vocabularies only. */
  private readonly pairMemo = new Int32Array(3 << (32 - PAIR_MEMO_SHIFT)).fill(-1);
  /** M^k for every token length k: the hash of a concatenation from the hashes of its parts. */
  private readonly powers: Int32Array;
  private bytes = new Uint8Array(256);
  // Scratch arrays of the scanning merge.
  private ids = new Int32Array(SCAN_LIMIT);
  private pri = new Int32Array(SCAN_LIMIT);

  /** `cacheGeneration` pieces per cache generation; 0 turns the cache off (benches measure both). */
  constructor(vocab: BpeVocabulary, cacheGeneration = 1 << 17) {
    const { bytes, offsets } = vocab;
    const count = offsets.length - 1;
    const index = new TokenIndex(bytes, offsets);
    this.index = index;
    this.wholePieceFirst = vocab.wholePieceFirst;
    for (let id = 0; id < count; id++) {
      const s = offsets[id] as number;
      if ((offsets[id + 1] as number) - s === 1 && this.byteIds[bytes[s] as number] === -1) this.byteIds[bytes[s] as number] = id;
    }
    const missing = [...this.byteIds.keys()].filter((b) => this.byteIds[b] === -1);
    if (missing.length) throw new Error(`the vocabulary has no token for byte(s) ${missing.slice(0, 8).join(', ')}: not a byte-level BPE`);

    let longest = 1;
    for (let id = 0; id < count; id++) longest = Math.max(longest, (offsets[id + 1] as number) - (offsets[id] as number));
    this.powers = new Int32Array(longest + 1);
    this.powers[0] = 1;
    for (let k = 1; k <= longest; k++) this.powers[k] = Math.imul(this.powers[k - 1] as number, M);
    if (vocab.merges) {
      const pairs = new PairTable(vocab.merges.length);
      vocab.merges.forEach(([a, b], priority) => {
        if (offsets[a] === offsets[a + 1] || offsets[b] === offsets[b + 1]) return;
        const merged = index.findConcat(a, b, this.powers);
        if (merged !== -1) pairs.set(a, b, priority, merged);
      });
      this.pairs = pairs;
    } else {
      // No table to build: like tiktoken, look the concatenation up in the vocabulary when ranking a pair.
      this.pairs = null;
    }
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) this.bytePairs[(a << 8) | b] = this.pairPriority(this.byteIds[a] as number, this.byteIds[b] as number);
    }
    this.cache = cacheGeneration > 0 ? new PieceCache(cacheGeneration) : null;
  }

  /** Append the tokens of one pre-token piece. */
  encodePiece(piece: string, out: TokenBuffer): void {
    this.encodeRange(piece, 0, piece.length, out);
  }

  /** Append the tokens of the pre-token piece text[start, end), without taking it out as a string. */
  encodeRange(text: string, start: number, end: number, out: TokenBuffer): void {
    const len = end - start;
    const cache = this.cache;
    if (cache === null || len > MAX_KEY) {
      this.merge(text, start, end, out);
      return;
    }
    // FNV-1a over the UTF-16 code units.
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    if (cache.emit(text, start, len, h, out)) return;
    const at = out.length;
    this.merge(text, start, end, out);
    cache.add(text, start, len, h, out.ids, at, out.length - at);
  }

  /** The piece's tokens from its bytes: the whole piece if it is a token (when the vocabulary says so), else BPE merges. */
  private merge(text: string, start: number, end: number, out: TokenBuffer): void {
    const n = this.utf8(text, start, end);
    if (this.wholePieceFirst) {
      const id = this.index.find(this.bytes, 0, n, hashBytes(this.bytes, 0, n));
      if (id !== -1) {
        out.push(id);
        return;
      }
    }
    if (n <= SCAN_LIMIT) {
      const len = this.mergeByScan(n);
      out.pushRange(this.ids, 0, len);
      return;
    }
    out.pushAll(this.mergeByHeap(n));
  }

  /** Write the piece's UTF-8 bytes to the scratch buffer (lone surrogates as U+FFFD, as TextEncoder). */
  private utf8(s: string, start: number, end: number): number {
    if (this.bytes.length < (end - start) * 3) this.bytes = new Uint8Array((end - start) * 3);
    const out = this.bytes;
    let n = 0;
    for (let i = start; i < end; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        out[n++] = c;
      } else if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 63);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < end ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            out[n++] = 0xf0 | (c >> 18);
            out[n++] = 0x80 | ((c >> 12) & 63);
            out[n++] = 0x80 | ((c >> 6) & 63);
            out[n++] = 0x80 | (c & 63);
            continue;
          }
          c = 0xfffd;
        }
        out[n++] = 0xe0 | (c >> 12);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      }
    }
    return n;
  }

  /** The priority of merging tokens a and b, NO_MERGE if they do not merge. */
  private pairPriority(a: number, b: number): number {
    const pairs = this.pairs;
    if (pairs !== null) {
      const slot = pairs.find(a, b);
      return slot === -1 ? NO_MERGE : pairs.priorityAt(slot);
    }
    // A direct-mapped memo of recent pairs in front of the vocabulary lookup: common pairs recur across pieces.
    const slot = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> PAIR_MEMO_SHIFT;
    const memo = this.pairMemo;
    if (memo[slot * 3] === a && memo[slot * 3 + 1] === b) return memo[slot * 3 + 2] as number;
    const id = this.index.findConcat(a, b, this.powers);
    const priority = id === -1 ? NO_MERGE : id;
    memo[slot * 3] = a;
    memo[slot * 3 + 1] = b;
    memo[slot * 3 + 2] = priority;
    return priority;
  }

  /** The token a and b merge into, given the pair's priority (for tiktoken, the priority is that token). */
  private mergedOf(a: number, b: number, priority: number): number {
    const pairs = this.pairs;
    return pairs === null ? priority : pairs.mergedAt(pairs.find(a, b));
  }

  /**
   * tiktoken's loop on short pieces: find the lowest pair, merge it, re-rank its two neighbours.
   * Leaves the ids in `this.ids` and returns how many.
   */
  private mergeByScan(n: number): number {
    const { ids, pri, bytes, byteIds } = this;
    const bytePairs = this.bytePairs;
    for (let i = 0; i < n; i++) ids[i] = byteIds[bytes[i] as number] as number;
    for (let i = 0; i < n - 1; i++) pri[i] = bytePairs[((bytes[i] as number) << 8) | (bytes[i + 1] as number)] as number;
    let len = n;
    while (len > 1) {
      let best = NO_MERGE;
      let at = -1;
      for (let i = 0; i < len - 1; i++) {
        const p = pri[i] as number;
        if (p < best) {
          best = p;
          at = i;
        }
      }
      if (at === -1) break;
      ids[at] = this.mergedOf(ids[at] as number, ids[at + 1] as number, best);
      ids.copyWithin(at + 1, at + 2, len);
      pri.copyWithin(at, at + 1, len - 1);
      len--;
      if (at < len - 1) pri[at] = this.pairPriority(ids[at] as number, ids[at + 1] as number);
      if (at > 0) pri[at - 1] = this.pairPriority(ids[at - 1] as number, ids[at] as number);
    }
    return len;
  }

  /**
   * Long pieces (runs of symbols, base64, unbroken CJK) in O(n log n): a linked list of parts
   * and a binary min-heap of candidate pairs keyed by (priority, position), so ties resolve to
   * the leftmost pair as in the scan. A heap entry is stale once its left part changed.
   */
  private mergeByHeap(n: number): Uint32Array {
    const { bytes, byteIds } = this;
    const ids = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      ids[i] = byteIds[bytes[i] as number] as number;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Heap entries: priority, left position, version of the left part when pushed.
    let hp = new Int32Array(n * 3);
    let size = 0;
    const less = (x: number, y: number) => {
      const px = hp[x * 3] as number;
      const py = hp[y * 3] as number;
      return px < py || (px === py && (hp[x * 3 + 1] as number) < (hp[y * 3 + 1] as number));
    };
    const swap = (x: number, y: number) => {
      for (let k = 0; k < 3; k++) {
        const t = hp[x * 3 + k] as number;
        hp[x * 3 + k] = hp[y * 3 + k] as number;
        hp[y * 3 + k] = t;
      }
    };
    const push = (pos: number) => {
      const right = next[pos] as number;
      if (right === -1) return;
      const p = this.pairPriority(ids[pos] as number, ids[right] as number);
      if (p === NO_MERGE) return;
      if ((size + 1) * 3 > hp.length) {
        const grown = new Int32Array(hp.length * 2);
        grown.set(hp);
        hp = grown;
      }
      let i = size++;
      hp[i * 3] = p;
      hp[i * 3 + 1] = pos;
      hp[i * 3 + 2] = version[pos] as number;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    };
    const pop = () => {
      size--;
      swap(0, size);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < size && less(l, m)) m = l;
        if (r < size && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    };
    for (let i = 0; i < n - 1; i++) push(i);
    let parts = n;
    while (size > 0) {
      const priority = hp[0] as number;
      const left = hp[1] as number;
      const seen = hp[2] as number;
      pop();
      if (seen !== version[left]) continue;
      const right = next[left] as number;
      ids[left] = this.mergedOf(ids[left] as number, ids[right] as number, priority);
      const after = next[right] as number;
      next[left] = after;
      if (after !== -1) prev[after] = left;
      version[right] = -1;
      version[left] = (version[left] as number) + 1;
      parts--;
      const before = prev[left] as number;
      if (before !== -1) {
        version[before] = (version[before] as number) + 1;
        push(before);
      }
      push(left);
    }
    const out = new Uint32Array(parts);
    for (let i = 0, k = 0; i !== -1; i = next[i] as number) out[k++] = ids[i] as number;
    return out;
  }
}
