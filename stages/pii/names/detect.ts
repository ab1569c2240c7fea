import type { PiiEntity } from '../../../schemas/stages/pii.js';
import { CONTEXT_BOOST } from '../recognizer.js';
import type { Finding } from '../scan.js';
import { gazetteer, type Gazetteer } from './gazetteer.js';

/** A word, with `O'Brien` and `Jean-Luc` kept whole; a possessive `'s` is cut off below. */
const WORD = /(?<![\p{L}\p{M}\p{N}_])\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*(?![\p{L}\p{M}\p{N}_@])/gu;
/** Particles inside names and toponyms (`Ludwig van Beethoven`, `Vyskytná nad Jihlavou`). */
const PARTICLES = new Set(['van', 'von', 'de', 'der', 'den', 'da', 'del', 'della', 'di', 'du', 'la', 'le', 'nad', 'bin', 'ibn', 'al', 'y', 'dos', 'das', 'ter']);
/** Titles that make the next capitalised words a person (Presidio's context words for PERSON include these). */
const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'dame', 'lady', 'lord', 'madam', 'mme', 'mlle', 'herr', 'frau', 'rev', 'fr', 'capt', 'sgt']);
/** Words just before a span that mark a person: `my name is`, `Dear`, `signed by`. */
const PERSON_BEFORE = new Set(['dear', 'hi', 'hello', 'hey', 'name', 'named', 'is', 'am', "i'm", 'by', 'tell', 'ask', 'contact', 'call', 'calls', 'me', 'him', 'her', 'met', 'meet', 'said', 'says', 'thanks', 'regards', 'user', 'customer', 'patient', 'employee', 'manager']);
/** Words just after a span that mark a person: `Ann said`, `Ann's`. */
const PERSON_AFTER = new Set(['said', 'says', 'wrote', 'told', 'asked', 'replied', 'explained', 'added', 'noted', 'is', 'was', 'will', 'has', 'had']);
/** Words just before a span that mark a place: `born in`, `lives in`, `moved to`, `from`. */
const PLACE_BEFORE = new Set(['in', 'from', 'to', 'at', 'near', 'visit', 'visited', 'visiting', 'towards', 'outside', 'across']);
/** Capitalised words that are neither people nor places: calendar words, languages and pronoun-like starts. */
const NOT_NAMES = new Set([
  'i', 'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'christmas', 'easter',
  'english', 'french', 'german', 'spanish', 'italian', 'chinese', 'japanese', 'russian', 'arabic', 'portuguese', 'dutch', 'latin', 'greek',
  'god', 'internet', 'web', 'ok', 'okay', 'hi', 'hello', 'yes', 'no', 'thank', 'thanks', 'please', 'sorry',
  'e-mail', 'email', 'phone', 'fax', 'tel', 'mobile', 'address', 'website',
]);
/** Base scores on Presidio's scale (min_score 0.5 redacts): a gazetteer or title hit stands alone, a bare shape needs a cue. */
const SCORE_GAZETTEER = 0.85;
const SCORE_SHAPE = 0.6;
const SCORE_BARE = 0.3;
const SCORE_SENTENCE_START = 0.15;

/**
 * `cap`: an initial capital; `shout`: all capitals (acronyms and headings, so only a place cue makes it a
 * LOCATION); `initial`: one capital letter (`Amber M. Tisserand`).
 */
interface Token { start: number; end: number; lower: string; cap: boolean; shout: boolean; initial: boolean; sentenceStart: boolean; possessive: boolean }

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  WORD.lastIndex = 0;
  let prevEnd = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    let word = m[0];
    const possessive = /['’]s$/i.test(word);
    if (possessive) word = word.slice(0, -2);
    const prev = out[out.length - 1];
    const gap = text.slice(prevEnd, m.index);
    // A period after an initial or a title (`M. Tisserand`, `Dr. Wong`) does not end the sentence.
    const gapEnds = /[.!?:;\n"“(\[{|>*•]/.test(prev && (prev.initial || HONORIFICS.has(prev.lower)) ? gap.replace('.', '') : gap);
    const first = word.charAt(0);
    const cap = first !== first.toLowerCase();
    const shout = cap && word.length >= 2 && word === word.toUpperCase();
    out.push({ start: m.index, end: m.index + word.length, lower: word.toLowerCase(), cap, shout, initial: cap && word.length === 1, sentenceStart: !prev || gapEnds, possessive });
    prevEnd = m.index + m[0].length;
  }
  return out;
}

/** Tokens i..j (exclusive) form one run: capitalised words joined by single spaces, initials' periods and particles. */
function runs(text: string, tokens: readonly Token[]): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  while (i < tokens.length) {
    if (!tokens[i]?.cap) { i++; continue; }
    let j = i + 1;
    for (;;) {
      const prev = tokens[j - 1];
      const next = tokens[j];
      if (!prev || !next || prev.possessive) break;
      const gap = text.slice(prev.end, next.start);
      const joined = gap === ' ' || (prev.initial && gap === '. ');
      if (!joined) break;
      if (next.cap && !next.sentenceStart) { j++; continue; }
      const after = tokens[j + 1];
      if (PARTICLES.has(next.lower) && after?.cap && text.slice(next.end, after.start) === ' ') { j += 2; continue; }
      break;
    }
    out.push([i, j]);
    i = j;
  }
  return out;
}

function classify(text: string, tokens: readonly Token[], from: number, to: number, g: Gazetteer, entities: ReadonlySet<PiiEntity>, out: Finding[]): void {
  const before1 = tokens[from - 1];
  const titleInRun = to - from >= 2 && HONORIFICS.has((tokens[from] as Token).lower);
  const titled = titleInRun || (before1 !== undefined && HONORIFICS.has(before1.lower) && /^\.? $/.test(text.slice(before1.end, (tokens[from] as Token).start)));
  let i = titleInRun ? from + 1 : from;
  let j = to;
  const lone = tokens[i] as Token;
  if (j - i === 1 && (lone.initial || HONORIFICS.has(lone.lower))) return;
  // A house number before the run makes it a street (`4308 Morris Street`, `65 R. Mongi Bali`): an address, not a name.
  if (/\d[ \t]*$/.test(text.slice(Math.max(0, lone.start - 8), lone.start))) return;
  if (g.org.has((tokens[to - 1] as Token).lower)) return;
  const nameish = (t: Token) => g.first.has(t.lower) || g.last.has(t.lower) || g.place.has(t.lower) || (!g.common.has(t.lower) && !NOT_NAMES.has(t.lower));
  const all = tokens.slice(i, j).map((t) => t.lower);
  // The longest gazetteer place in the whole run first: `United Kingdom` is two dictionary words.
  if (!titled) {
    for (let a = 0; a < all.length; a++) {
      for (let k = Math.min(g.placeWords, all.length - a); k >= 1; k--) {
        if (!g.place.has(all.slice(a, a + k).join(' ')) || (a === 0 && all.length > k && g.first.has(all[0] as string))) continue;
        const p = tokens[i + a - 1];
        const cue = p !== undefined && PLACE_BEFORE.has(p.lower) && /^[ \t]*$/.test(text.slice(p.end, (tokens[i + a] as Token).start));
        if (entities.has('LOCATION')) out.push({ entity: 'LOCATION', start: (tokens[i + a] as Token).start, end: (tokens[i + a + k - 1] as Token).end, score: Math.min(1, SCORE_GAZETTEER + (cue ? CONTEXT_BOOST : 0)), near: cue ? 0 : -1 });
        return;
      }
    }
    // `Snake River`, `Orange County`: a toponym by its last word, unless a given name leads it (`John Hill`).
    if (all.length >= 2 && g.placeSuffix.has(all[all.length - 1] as string) && !g.first.has(all[0] as string)) {
      if (entities.has('LOCATION')) out.push({ entity: 'LOCATION', start: lone.start, end: (tokens[j - 1] as Token).end, score: SCORE_SHAPE, near: -1 });
      return;
    }
  }
  if (!titled) {
    while (i < j && !nameish(tokens[i] as Token)) i++;
    while (j > i && !nameish(tokens[j - 1] as Token) && !(j - i === 2 && g.first.has((tokens[i] as Token).lower))) j--;
  }
  if (i >= j) return;
  const head = tokens[i] as Token;
  const tail = tokens[j - 1] as Token;
  const words = tokens.slice(i, j).map((t) => t.lower);
  const push = (entity: PiiEntity, start: number, end: number, base: number, cue: boolean) => {
    const score = Math.min(1, base + (cue ? CONTEXT_BOOST : 0));
    if (entities.has(entity)) out.push({ entity, start, end, score, near: cue ? 0 : -1 });
  };
  const prevWord = tokens[i - 1];
  const nextWord = tokens[j];
  const adjacent = (a: Token | undefined, b: Token) => a !== undefined && /^[ \t]*$/.test(text.slice(a.end, b.start));
  const placeCue = adjacent(prevWord, head) && prevWord !== undefined && PLACE_BEFORE.has(prevWord.lower);
  const shouting = tokens.slice(i, j).every((t) => t.shout);
  if (shouting) {
    if (placeCue) push('LOCATION', head.start, tail.end, SCORE_SHAPE, true);
    return;
  }
  const personCue = titled || tail.possessive || text.charAt(tail.end) === ':'
    || (adjacent(prevWord, head) && prevWord !== undefined && PERSON_BEFORE.has(prevWord.lower))
    || (nextWord !== undefined && adjacent(tail, nextWord) && PERSON_AFTER.has(nextWord.lower));

  // A middle initial (`Vuk T. Miletić`, `Inessa D Samoylova`) is how people's names are written, not places'.
  const middleInitial = j - i >= 3 && tokens.slice(i + 1, j - 1).some((t) => t.initial);
  if (titled || middleInitial || (words.length >= 2 && g.first.has(words[0] as string)) || g.person.has(words.join(' '))) {
    push('PERSON', head.start, tail.end, SCORE_GAZETTEER, personCue);
    return;
  }
  const unknown = words.every((w) => !g.common.has(w) || g.first.has(w) || g.last.has(w));
  if (words.length >= 2 && unknown) {
    if (placeCue && !personCue) push('LOCATION', head.start, tail.end, SCORE_SHAPE, true);
    else push('PERSON', head.start, tail.end, SCORE_SHAPE, personCue);
    return;
  }
  if (words.length === 1 && g.first.has(head.lower)) {
    push('PERSON', head.start, tail.end, head.sentenceStart && g.common.has(head.lower) ? SCORE_BARE : SCORE_SHAPE, personCue);
    return;
  }
  const base = head.sentenceStart ? SCORE_SENTENCE_START : SCORE_BARE;
  if (placeCue && !personCue) push('LOCATION', head.start, tail.end, base, true);
  else push('PERSON', head.start, tail.end, g.last.has(head.lower) ? SCORE_SHAPE : base, personCue);
}

/**
 * PERSON and LOCATION spans of English text, from capitalised runs: a gazetteer hit (compromise's lexicon of
 * given names, family names, famous people, countries, regions and cities) or a title stands alone; other
 * capitalised words that are not English dictionary words need a cue (`in`, `from`, `said`, `my name is`).
 */
export function findNames(text: string, entities: ReadonlySet<PiiEntity>): Finding[] {
  const g = gazetteer();
  const tokens = tokenize(text);
  const out: Finding[] = [];
  for (const [from, to] of runs(text, tokens)) classify(text, tokens, from, to, g, entities, out);
  return out;
}
