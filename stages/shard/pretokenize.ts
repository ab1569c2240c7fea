/**
 * Pre-tokenizer regexes: the pieces BPE runs inside. tiktoken's patterns (Rust fancy-regex) and
 * tokenizer.json's (Oniguruma) are written for engines with inline case-insensitive groups and
 * possessive quantifiers, which V8 in Node 20 lacks; `toJsPattern` rewrites them to equivalent
 * JS patterns.
 */

/**
 * Unicode White_Space, which `\s` means in Rust's regex and Oniguruma. JS's `\s` differs: it
 * adds U+FEFF and lacks U+0085, and web text holds both (BOMs mid-page, NEL from cp1252 mojibake).
 */
const WHITE_SPACE = String.raw`\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;

/** `(?i:…)` letters as classes; s and k also fold to ſ (U+017F) and K (U+212A) under Unicode simple case folding. */
function bothCases(c: string): string {
  const lower = c.toLowerCase();
  const extra = lower === 's' ? 'ſ' : lower === 'k' ? '\u212a' : '';
  return `[${lower}${c.toUpperCase()}${extra}]`;
}

/** tiktoken's patterns are Rust fancy-regex; tokenizer.json's are Oniguruma. */
export type RegexFlavor = 'fancy-regex' | 'oniguruma';

/**
 * Rewrite a fancy-regex / Oniguruma pattern as a JS `u` pattern: `(?i:…)` groups become
 * per-letter classes, possessive quantifiers (`++`, `*+`, `?+`, `{m,n}+`) become greedy ones
 * (the tokenizer patterns use them only where backtracking cannot find another match), and
 * `\s`/`\S` become Unicode White_Space. Anything else passes through unchanged.
 */
export function toJsPattern(source: string, flavor: RegexFlavor): string {
  let out = '';
  let inClass = false;
  /** Paren depth of each open `(?i:` group. */
  const caseless: number[] = [];
  let depth = 0;
  let afterQuantifier = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      let esc = source.slice(i, i + 2);
      if ((esc === '\\p' || esc === '\\P') && source[i + 2] === '{') esc = source.slice(i, source.indexOf('}', i) + 1);
      i += esc.length - 1;
      if (esc === '\\s') out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      else if (esc === '\\S') {
        if (inClass) throw new Error(`pre-tokenizer pattern: \\S inside a character class is not supported: ${source}`);
        out += `[^${WHITE_SPACE}]`;
      } else out += esc;
      afterQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (caseless.length && /[a-zA-Z]/.test(c)) {
        if (source[i + 1] === '-' || source[i - 1] === '-') throw new Error(`pre-tokenizer pattern: a letter range inside (?i:…) is not supported: ${source}`);
        out += bothCases(c).slice(1, -1);
      } else out += c;
      continue;
    }
    if (c === '+' && afterQuantifier) {
      afterQuantifier = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (source[i + 1] === '^') {
        out += '[^';
        i++;
        continue;
      }
    } else if (c === '(') {
      depth++;
      if (source.startsWith('(?i:', i)) {
        caseless.push(depth);
        out += '(?:';
        i += 3;
        continue;
      }
    } else if (c === ')') {
      if (caseless[caseless.length - 1] === depth) caseless.pop();
      depth--;
    }
    if (c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i))) {
      const q = (/^\{\d+(,\d*)?\}/.exec(source.slice(i)) as RegExpExecArray)[0];
      out += q;
      i += q.length - 1;
      // Oniguruma reads `{m,n}+` as an interval repeated one or more times, not as possessive.
      if (flavor === 'oniguruma' && source[i + 1] === '+') throw new Error(`pre-tokenizer pattern: {m,n}+ (an interval repeated) is not supported: ${source}`);
      afterQuantifier = true;
      continue;
    }
    afterQuantifier = (c === '+' || c === '*' || c === '?') && source[i - 1] !== '(';
    out += caseless.length && /[a-zA-Z]/.test(c) ? bothCases(c) : c;
  }
  return out;
}

/**
 * tiktoken's split patterns (tiktoken_ext/openai_public.py, tiktoken 0.14), in tiktoken's own
 * syntax; `toJsPattern` makes them usable here.
 */
export const TIKTOKEN_PATTERNS = {
  r50k_base: String.raw`'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`,
  cl100k_base: String.raw`'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`,
  o200k_base: [
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
    String.raw`\p{N}{1,3}`,
    String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
    String.raw`\s*[\r\n]+`,
    String.raw`\s+(?!\S)`,
    String.raw`\s+`,
  ].join('|'),
} as const;

/** GPT-2's pattern, which a tokenizer.json's ByteLevel pre-tokenizer applies when `use_regex` is set. */
export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/**
 * Calls `piece` for each pre-token of `text` in order. Text between matches (a pattern that
 * does not cover every character) is a piece of its own, as `Split` with `Isolated` behaviour
 * does in tokenizers.
 */
export function splitter(pattern: string, flavor: RegexFlavor): (text: string, piece: (s: string) => void) => void {
  const re = new RegExp(toJsPattern(pattern, flavor), 'gu');
  return (text, piece) => {
    // One match() call returns plain strings, with no per-match objects to collect; it is
    // enough when the matches cover the text, as every tokenizer pattern's do on real text.
    const all = text.match(re);
    if (all !== null) {
      let covered = 0;
      for (let i = 0; i < all.length; i++) covered += (all[i] as string).length;
      if (covered === text.length) {
        for (let i = 0; i < all.length; i++) piece(all[i] as string);
        return;
      }
    } else if (text.length === 0) return;
    re.lastIndex = 0;
    let end = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const s = m[0];
      if (s.length === 0) {
        re.lastIndex++;
        continue;
      }
      if (m.index > end) piece(text.slice(end, m.index));
      piece(s);
      end = m.index + s.length;
    }
    if (end < text.length) piece(text.slice(end));
  };
}

const LETTER = 1;
const NUMBER = 2;
const SPACE = 4;
const NEWLINE = 8;

/** \p{L}, \p{N}, White_Space and [\r\n] of every BMP code unit, from V8's own Unicode tables (as the regexes use). */
let bmpClasses: Uint8Array | null = null;
const astralClasses = new Map<number, number>();

function classOf(s: string): number {
  if (/^\p{L}$/u.test(s)) return LETTER;
  if (/^\p{N}$/u.test(s)) return NUMBER;
  return 0;
}

function classes(): Uint8Array {
  if (bmpClasses) return bmpClasses;
  const t = new Uint8Array(65536);
  // Every BMP code unit in order, surrogates (which the scanner pairs itself) replaced by NUL, in
  // one string that two global regexes walk run by run.
  const units = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) units[c] = c >= 0xd800 && c <= 0xdfff ? 0 : c;
  let all = '';
  for (let c = 0; c < 65536; c += 4096) all += String.fromCharCode(...units.subarray(c, c + 4096));
  for (const [re, k] of [[/\p{L}+/gu, LETTER], [/\p{N}+/gu, NUMBER]] as const) {
    for (let m = re.exec(all); m !== null; m = re.exec(all)) t.fill(k, m.index, m.index + m[0].length);
  }
  for (const c of [9, 10, 11, 12, 13, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]) t[c] = SPACE;
  for (let c = 0x2000; c <= 0x200a; c++) t[c] = SPACE;
  t[10] = SPACE | NEWLINE;
  t[13] = SPACE | NEWLINE;
  bmpClasses = t;
  return t;
}

/**
 * The class of the code point at text[i], plus 16 times its length in code units (1, or 2 for a
 * surrogate pair), so the scanner gets both without allocating.
 */
function classAt(t: Uint8Array, text: string, i: number, n: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return (t[c] as number) | 16;
  if (c <= 0xdbff && i + 1 < n) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      let k = astralClasses.get(cp);
      if (k === undefined) {
        k = classOf(String.fromCodePoint(cp));
        astralClasses.set(cp, k);
      }
      return k | 32;
    }
  }
  return 16;
}

function lettersEnd(t: Uint8Array, text: string, i: number, n: number): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) {
      if (((t[c] as number) & LETTER) === 0) break;
      i++;
    } else {
      const k = classAt(t, text, i, n);
      if ((k & LETTER) === 0) break;
      i += k >> 4;
    }
  }
  return i;
}

/** End of a run of code points that are neither letters, numbers nor White_Space, then of the [\r\n]* after it. */
function symbolsEnd(t: Uint8Array, text: string, i: number, n: number): number {
  while (i < n) {
    const k = classAt(t, text, i, n);
    if ((k & 15) !== 0) break;
    i += k >> 4;
  }
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/**
 * A hand-written scanner for cl100k_base's split pattern (and Llama 3's, which differs only in
 * lacking `\s++$`): where the piece starting at `i` ends. It walks char codes with a class table
 * instead of running irregexp and taking each match out as a string; the encoder then hashes the
 * piece in place. Alternatives are tried in the pattern's order:
 *
 *   '(?i:[sdmt]|ll|ve|re) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n]*
 *   | \s+$ (cl100k only) | \s*[\r\n] | \s+(?!\S) | \s
 *
 * test/tokenizers.test.ts checks it piece for piece against the regex on real and adversarial text.
 */
export function scanner(trailingSpaceRun: boolean): (text: string, i: number, n: number) => number {
  const t = classes();
  return (text, i, n) => {
    const c = text.charCodeAt(i);
    if (c === 39 && i + 1 < n) {
      // Only ASCII letters differ from their other case by bit 5 alone; ſ (U+017F) folds to s.
      const d = text.charCodeAt(i + 1);
      const dl = d | 0x20;
      if (dl === 0x73 || dl === 0x64 || dl === 0x6d || dl === 0x74 || d === 0x17f) return i + 2;
      if (i + 2 < n) {
        const e = text.charCodeAt(i + 2) | 0x20;
        if ((dl === 0x6c && e === 0x6c) || (dl === 0x76 && e === 0x65) || (dl === 0x72 && e === 0x65)) return i + 3;
      }
    }
    const k = classAt(t, text, i, n);
    const kind = k & 15;
    const w = k >> 4;
    if (kind & LETTER) return lettersEnd(t, text, i + w, n);
    if ((kind & (NUMBER | NEWLINE)) === 0 && i + w < n && (classAt(t, text, i + w, n) & LETTER) !== 0) return lettersEnd(t, text, i + w, n);
    if (kind & NUMBER) {
      let j = i + w;
      for (let m = 1; m < 3 && j < n; m++) {
        const r = classAt(t, text, j, n);
        if ((r & NUMBER) === 0) break;
        j += r >> 4;
      }
      return j;
    }
    if (kind === 0) return symbolsEnd(t, text, i + w, n);
    if (c === 32 && i + 1 < n && (classAt(t, text, i + 1, n) & 15) === 0) return symbolsEnd(t, text, i + 1, n);
    // A run of White_Space (all of it is in the BMP).
    let j = i + 1;
    while (j < n && ((t[text.charCodeAt(j)] as number) & SPACE) !== 0) j++;
    if (j === n && trailingSpaceRun) return n;
    for (let m = j - 1; m >= i; m--) {
      if (((t[text.charCodeAt(m)] as number) & NEWLINE) !== 0) return m + 1;
    }
    if (j === n) return n;
    return j - i >= 2 ? j - 1 : i + 1;
  };
}

/** The split patterns `scanner` implements, as tiktoken and tokenizer.json files spell them. */
export const SCANNED_PATTERNS: ReadonlyMap<string, boolean> = new Map([
  [TIKTOKEN_PATTERNS.cl100k_base, true],
  [String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`, false],
]);
