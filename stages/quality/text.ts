/**
 * Character classes and line splitting shared by the quality rules. The sets are datatrove's
 * (`datatrove.utils.text`), so that rules configured like datatrove's decide like them.
 */

const CONTROL = [[0, 9], [11, 13], [13, 32], [127, 160]].flatMap(([a, b]) => Array.from({ length: (b ?? 0) - (a ?? 0) }, (_, i) => String.fromCharCode((a ?? 0) + i)));

/** datatrove's PUNCTUATION: ASCII and CJK punctuation plus the C0/C1 control characters except \t and \n. */
const PUNCTUATION = [...'!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„\';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_."}►»', ...CONTROL];

/** Sentence-ending marks across scripts (datatrove's TERMINAL_PUNCTUATION, from Unicode's Sentence_Terminal). */
export const TERMINAL_PUNCTUATION: readonly string[] = [
  ...'!.?\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a\u104b\u1362\u1367\u1368\u166e\u1735\u1736\u17d4\u17d5\u17d6\u17d9\u17da\u1803\u1809\u1944\u1945\u1aa8\u1aa9\u1aaa\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2047\u2048\u2049\u2e2e\u2e3c\u2e53\u2e54\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61',
  ...[0x10a56, 0x10a57, 0x10f55, 0x10f56, 0x10f57, 0x10f58, 0x10f59, 0x10f86, 0x10f87, 0x10f88, 0x10f89, 0x11047, 0x11048, 0x110be, 0x110bf, 0x110c0, 0x110c1,
    0x11141, 0x11142, 0x11143, 0x111c5, 0x111c6, 0x111cd, 0x111de, 0x111df, 0x11238, 0x11239, 0x1123b, 0x1123c, 0x112a9, 0x1144b, 0x1144c, 0x115c2, 0x115c3,
    0x115c9, 0x115ca, 0x115cb, 0x115cc, 0x115cd, 0x115ce, 0x115cf, 0x115d0, 0x115d1, 0x115d2, 0x115d3, 0x115d4, 0x115d5, 0x115d6, 0x115d7, 0x11641, 0x11642,
    0x1173c, 0x1173d, 0x1173e, 0x11944, 0x11946, 0x11a42, 0x11a43, 0x11a9b, 0x11a9c, 0x11c41, 0x11c42, 0x11ef7, 0x11ef8, 0x11f43, 0x11f44, 0x16a6e, 0x16a6f,
    0x16af5, 0x16b37, 0x16b38, 0x16b44, 0x16e98, 0x1bc9f, 0x1da88].map((c) => String.fromCodePoint(c)),
];

/** Characters that make a token a "symbol" rather than a word (datatrove's PUNCTUATION_SET). */
export const PUNCTUATION_SET: ReadonlySet<string> = new Set([...PUNCTUATION, ...TERMINAL_PUNCTUATION]);

/** Length in code points, as Python's len(): the published thresholds count characters, not UTF-16 units. */
export function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Python's str.splitlines(): every Unicode line boundary, no trailing empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Non-overlapping occurrences, as Python's str.count. */
export function countOf(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Python's whitespace (str.isspace): JS's \s has U+FEFF, which Python lacks, and lacks \x1c-\x1f and \x85. */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g');
/** Python's str.strip(). */
export function pyStrip(s: string): string {
  return s.replace(PY_SPACE, '');
}

/** Each element after its first occurrence: how many, and how many characters they hold (Gopher's duplicate fractions). */
export function duplicates(items: readonly string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const item of items) {
    if (seen.has(item)) {
      count++;
      chars += charLength(item);
    } else {
      seen.add(item);
    }
  }
  return { count, chars };
}
