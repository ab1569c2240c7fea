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
  /** The bytes of every token, indexed by id; holes for ids that are special tokens. */
  tokens: (Uint8Array | undefined)[];
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

/**
 * A two-generation cache of piece -> token ids: hits in the older generation move to the newer
 * one, and a full newer generation replaces the older. It keeps recently used pieces like an LRU
 * at the cost of two Map lookups on a miss, with no per-hit bookkeeping.
 */
class PieceCache {
  private young = new Map<string, Uint32Array>();
  private old = new Map<string, Uint32Array>();

  constructor(private readonly generation: number) {}

  get(piece: string): Uint32Array | undefined {
    const hit = this.young.get(piece);
    if (hit !== undefined) return hit;
    const aged = this.old.get(piece);
    if (aged !== undefined) this.set(piece, aged);
    return aged;
  }

  set(piece: string, ids: Uint32Array): void {
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(piece, ids);
  }
}

export class BytePairEncoder {
  private readonly pairs: PairTable;
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Merge priority of every byte pair, the first round of every piece, without hashing. */
  private readonly bytePairs = new Int32Array(65536).fill(NO_MERGE);
  /** Tokens whose bytes are valid UTF-8, by their text: a piece that is one token needs no bytes. */
  private readonly whole = new Map<string, number>();
  private readonly cache: PieceCache | null;
  private bytes = new Uint8Array(256);
  // Scratch arrays of the scanning merge.
  private ids = new Int32Array(SCAN_LIMIT);
  private pri = new Int32Array(SCAN_LIMIT);

  /** `cacheGeneration` pieces per cache generation; 0 turns the cache off (benches measure both). */
  constructor(vocab: BpeVocabulary, cacheGeneration = 1 << 15) {
    const { tokens } = vocab;
    const byBytes = new Map<string, number>();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    tokens.forEach((bytes, id) => {
      if (!bytes) return;
      const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      if (!byBytes.has(key)) byBytes.set(key, id);
      if (bytes.length === 1 && this.byteIds[bytes[0] as number] === -1) this.byteIds[bytes[0] as number] = id;
      if (vocab.wholePieceFirst) {
        try {
          const text = decoder.decode(bytes);
          if (!this.whole.has(text)) this.whole.set(text, id);
        } catch {
          // A token that splits a UTF-8 sequence is never a whole piece of text.
        }
      }
    });
    const missing = [...this.byteIds.keys()].filter((b) => this.byteIds[b] === -1);
    if (missing.length) throw new Error(`the vocabulary has no token for byte(s) ${missing.slice(0, 8).join(', ')}: not a byte-level BPE`);

    if (vocab.merges) {
      this.pairs = new PairTable(vocab.merges.length);
      vocab.merges.forEach(([a, b], priority) => {
        const left = tokens[a];
        const right = tokens[b];
        if (!left || !right) return;
        const merged = byBytes.get(Buffer.concat([left, right]).toString('latin1'));
        if (merged !== undefined) this.pairs.set(a, b, priority, merged);
      });
    } else {
      this.pairs = new PairTable(tokens.length * 4);
      tokens.forEach((bytes, id) => {
        if (!bytes || bytes.length < 2) return;
        const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
        for (let k = 1; k < key.length; k++) {
          const a = byBytes.get(key.slice(0, k));
          const b = byBytes.get(key.slice(k));
          if (a !== undefined && b !== undefined) this.pairs.set(a, b, id, id);
        }
      });
    }
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) this.bytePairs[(a << 8) | b] = this.pairPriority(this.byteIds[a] as number, this.byteIds[b] as number);
    }
    this.cache = cacheGeneration > 0 ? new PieceCache(cacheGeneration) : null;
  }

  /** Append the tokens of one pre-token piece. */
  encodePiece(piece: string, out: TokenBuffer): void {
    const id = this.whole.get(piece);
    if (id !== undefined) {
      out.push(id);
      return;
    }
    const cached = this.cache?.get(piece);
    if (cached !== undefined) {
      out.pushAll(cached);
      return;
    }
    const n = this.utf8(piece);
    if (n <= SCAN_LIMIT) {
      const len = this.mergeByScan(n);
      const ids = this.ids.subarray(0, len);
      this.cache?.set(piece, Uint32Array.from(ids));
      for (let i = 0; i < len; i++) out.push(ids[i] as number);
      return;
    }
    const ids = this.mergeByHeap(n);
    this.cache?.set(piece, ids);
    out.pushAll(ids);
  }

  /** Write the piece's UTF-8 bytes to the scratch buffer (lone surrogates as U+FFFD, as TextEncoder). */
  private utf8(s: string): number {
    if (this.bytes.length < s.length * 3) this.bytes = new Uint8Array(s.length * 3);
    const out = this.bytes;
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        out[n++] = c;
      } else if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 63);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
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

  private pairPriority(a: number, b: number): number {
    const slot = this.pairs.find(a, b);
    return slot === -1 ? NO_MERGE : this.pairs.priorityAt(slot);
  }

  /**
   * tiktoken's loop on short pieces: find the lowest pair, merge it, re-rank its two neighbours.
   * Leaves the ids in `this.ids` and returns how many.
   */
  private mergeByScan(n: number): number {
    const { ids, pri, bytes, byteIds, pairs } = this;
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
      ids[at] = pairs.mergedAt(pairs.find(ids[at] as number, ids[at + 1] as number));
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
      const left = hp[1] as number;
      const seen = hp[2] as number;
      pop();
      if (seen !== version[left]) continue;
      const right = next[left] as number;
      ids[left] = this.pairs.mergedAt(this.pairs.find(ids[left] as number, ids[right] as number));
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
