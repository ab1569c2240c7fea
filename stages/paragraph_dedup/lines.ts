import { fnv, LANE_SEEDS } from '../dedup/minhash.js';

/**
 * The dedup form of a line, as CCNet's normalize_for_dedup (Wenzek et al. 2019): lower case, accents
 * stripped, digits folded to 0, punctuation and symbols dropped, whitespace collapsed. Lines that
 * differ only in a date, a count or punctuation (footers, cookie banners, share buttons) hash alike.
 */
export function dedupForm(line: string): string {
  return line
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\p{N}/gu, '0')
    .replace(/[\p{P}\p{S}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A document's lines (paragraphs of extracted web text are lines, as in CCNet) with the 64-bit hash
 * of each one that has a dedup form; lines without one (blank, punctuation only) have `hi`/`lo` null
 * and are never counted or removed.
 */
export function hashedLines(text: string): { line: string; hi: number; lo: number; counted: boolean }[] {
  return text.split('\n').map((line) => {
    const form = dedupForm(line);
    if (form === '') return { line, hi: 0, lo: 0, counted: false };
    return { line, hi: fnv(form, 0, form.length, LANE_SEEDS[0]), lo: fnv(form, 0, form.length, LANE_SEEDS[1]), counted: true };
  });
}
