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
