/**
 * lid.176 labels as ISO 639-3 codes plus the ISO 15924 script the text is written in. lid.176 uses
 * ISO 639-1 where a language has one (en, zh) and ISO 639-3 otherwise (ceb, war); the script comes
 * from the text itself, since a label alone does not say whether Serbian is Cyrillic or Latin.
 */
import { iso6393To1 } from 'iso-639-3';

const TO_639_3 = new Map<string, string>(Object.entries(iso6393To1).map(([three, one]) => [one, three]));
// Bihari is an ISO 639-1 collective with no ISO 639-3 code; ISO 639-2 gives "bih".
TO_639_3.set('bh', 'bih');

export function iso6393(label: string): string {
  return label.length === 2 ? (TO_639_3.get(label) ?? label) : label;
}

const SCRIPTS: [string, RegExp][] = ([
  ['Latn', 'Latin'], ['Cyrl', 'Cyrillic'], ['Grek', 'Greek'], ['Arab', 'Arabic'], ['Hebr', 'Hebrew'], ['Deva', 'Devanagari'],
  ['Beng', 'Bengali'], ['Hani', 'Han'], ['Hira', 'Hiragana'], ['Kana', 'Katakana'], ['Hang', 'Hangul'], ['Thai', 'Thai'],
  ['Geor', 'Georgian'], ['Armn', 'Armenian'], ['Ethi', 'Ethiopic'], ['Taml', 'Tamil'], ['Telu', 'Telugu'], ['Knda', 'Kannada'],
  ['Mlym', 'Malayalam'], ['Gujr', 'Gujarati'], ['Guru', 'Gurmukhi'], ['Orya', 'Oriya'], ['Sinh', 'Sinhala'], ['Khmr', 'Khmer'],
  ['Laoo', 'Lao'], ['Mymr', 'Myanmar'], ['Tibt', 'Tibetan'], ['Thaa', 'Thaana'], ['Syrc', 'Syriac'],
] as const).map(([code, name]) => [code, new RegExp(`^\\p{Script=${name}}$`, 'u')]);

const LATN = 0;

/**
 * Index in SCRIPTS of each non-ASCII code point seen so far (-1 for none of them): a page repeats
 * few distinct letters, so one lookup replaces a regex pass per script over the whole sample.
 */
const scriptOf = new Map<number, number>();

function classify(cp: number): number {
  let index = scriptOf.get(cp);
  if (index === undefined) {
    const ch = String.fromCodePoint(cp);
    index = SCRIPTS.findIndex(([, re]) => re.test(ch));
    // Bounded: one text holds few distinct letters, but a long run can meet every plane.
    if (scriptOf.size >= 1 << 16) scriptOf.clear();
    scriptOf.set(cp, index);
  }
  return index;
}

/** How much text the script count reads: enough to be sure, cheap on long pages. */
const SAMPLE = 2000;

/**
 * The ISO 15924 code of the script most letters are in; Japanese (kana with or without kanji) is
 * Jpan and Korean (Hangul with or without hanja) is Kore, as ISO 15924 names the mixtures. Zyyy
 * (undetermined) when the text has no letters of a listed script.
 */
export function dominantScript(text: string): string {
  const sample = text.length > SAMPLE ? text.slice(0, SAMPLE) : text;
  const perScript = new Int32Array(SCRIPTS.length);
  for (let i = 0; i < sample.length; i++) {
    const unit = sample.charCodeAt(i);
    if (unit < 0x80) {
      if ((unit | 0x20) >= 0x61 && (unit | 0x20) <= 0x7a) perScript[LATN] = (perScript[LATN] as number) + 1;
      continue;
    }
    const cp = sample.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    const index = classify(cp);
    if (index >= 0) perScript[index] = (perScript[index] as number) + 1;
  }
  const counts = new Map<string, number>();
  SCRIPTS.forEach(([code], i) => {
    if (perScript[i]) counts.set(code, perScript[i] as number);
  });
  const kana = (counts.get('Hira') ?? 0) + (counts.get('Kana') ?? 0);
  const han = counts.get('Hani') ?? 0;
  // A few katakana loanwords in Chinese do not make it Japanese: 5% of the CJK letters at least.
  if (kana > 0.05 * (kana + han)) counts.set('Jpan', kana + han);
  if (counts.get('Hang')) counts.set('Kore', (counts.get('Hang') ?? 0) + (counts.get('Hani') ?? 0));
  let best = 'Zyyy';
  let bestCount = 0;
  for (const [code, n] of counts) {
    if (n > bestCount) {
      best = code;
      bestCount = n;
    }
  }
  return best;
}
