/**
 * Word splitting for the quality rules. The published filters count words as datatrove does: the
 * rule-based tokenizer of spaCy's blank pipeline for space-separated languages (prefix, suffix and
 * infix rules plus exceptions for contractions and abbreviations), whitespace dropped. That is
 * reproduced here without spaCy; languages written without spaces (zh, ja, th) are segmented with
 * Intl.Segmenter instead, where datatrove would load jieba, SudachiPy or PyThaiNLP.
 */
import { SPACY_ALPHA, SPACY_ALPHA_LOWER, SPACY_ALPHA_UPPER } from './spacy-classes.js';
import { PY_WHITESPACE } from './text.js';

const PUNCT = ['…', '……', ',', ':', ';', '!', '?', '¿', '؟', '¡', '(', ')', '[', ']', '{', '}', '<', '>', '_', '#', '*', '&', '。', '？', '！', '，', '、', '；', '：', '～', '·', '।', '،', '۔', '؛', '٪'];
const QUOTES = ["'", '"', '”', '“', '`', '‘', '´', '’', '‚', ',', '„', '»', '«', '「', '」', '『', '』', '（', '）', '〔', '〕', '【', '】', '《', '》', '〈', '〉', '〈', '〉', '⟦', '⟧'];
const CURRENCY = ['$', '£', '€', '¥', '฿', 'US$', 'C$', 'A$', '₽', '﷼', '₴', '₠', '₡', '₢', '₣', '₤', '₥', '₦', '₧', '₨', '₩', '₪', '₫', '₭', '₮', '₯', '₰', '₱', '₲', '₳', '₵', '₶', '₷', '₸', '₹', '₺', '₻', '₼', '₾', '₿'];
const UNITS = ('km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb '
  + 'TB T G M K % км км² км³ м м² м³ дм дм² дм³ см см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ тб').split(' ');

const AFTER_DIGIT = new Set([...CURRENCY, ...UNITS]);
const LAST_DIGIT = /[0-9](?=[^0-9]*$)/;
const PLAIN_WORD = /^\p{L}+$/u;
const PREFIX_CHARS = new Set(['§', '%', '=', '—', '–', ...PUNCT, ...QUOTES]);
const SUFFIX_CHARS = new Set([...PUNCT, ...QUOTES, '—', '–']);
const ICON = /^\p{So}$/u;
const DIGIT = /^[0-9]$/;
// spaCy's lower/upper classes also hold the uncased scripts (CJK, kana, Hangul, Indic, Arabic).
const ALPHA = new RegExp(`^[${SPACY_ALPHA}]$`, 'u');
const ALPHA_LOWER = new RegExp(`^[${SPACY_ALPHA_LOWER}]$`, 'u');
const ALPHA_UPPER = new RegExp(`^[${SPACY_ALPHA_UPPER}]$`, 'u');
const QUOTE_SET = new Set(QUOTES);
/** What may stand before a token-final period for it to split off: digits, lower case, %²-+, punctuation, quotes. */
const PERIOD_AFTER = new Set([...'%²-+|(?:)', ...PUNCT.filter((p) => p.length === 1), ...QUOTES]);

/** Abbreviations and other exceptions kept whole (spaCy's English tokenizer exceptions). */
const KEEP_WHOLE = new Set([
  'a.m.', 'p.m.', 'Adm.', 'Ak.', 'Ala.', 'Apr.', 'Ariz.', 'Ark.', 'Aug.', 'Bros.', 'Calif.', 'Co.', 'co.', 'Colo.', 'Conn.', 'Corp.', 'D.C.', 'Dec.', 'Del.', 'Dr.',
  'E.G.', 'E.g.', 'e.g.', 'Feb.', 'Fla.', 'Ga.', 'Gen.', 'Gov.', 'I.E.', 'I.e.', 'i.e.', 'Ia.', 'Id.', 'Ill.', 'Inc.', 'Ind.', 'Jan.', 'Jr.', 'Jul.', 'Jun.', 'Kan.',
  'Kans.', 'Ky.', 'La.', 'Ltd.', 'Mar.', 'Mass.', 'Md.', 'Messrs.', 'Mich.', 'Minn.', 'Miss.', 'Mo.', 'Mont.', 'Mr.', 'Mrs.', 'Ms.', 'Mt.', 'N.C.', 'N.D.', 'N.H.',
  'N.J.', 'N.M.', 'N.Y.', 'Neb.', 'Nebr.', 'Nev.', 'Nov.', 'Oct.', 'Okla.', 'Ore.', 'Pa.', 'Ph.D.', 'Prof.', 'Rep.', 'Rev.', 'S.C.', 'Sen.', 'Sep.', 'Sept.', 'St.',
  'Tenn.', 'Va.', 'Wash.', 'Wis.', 'v.s.', 'vs.', '°C.', '°F.', '°K.', '°c.', '°f.', '°k.', 'ä.', 'ö.', 'ü.', 'and/or', 'C++',
  ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `${c}.`),
  // Emoticons and quote runs.
  "'", "''", "(*_*)", "(-8", "(-:", "(-;", "(-_-)", "(._.)", "(:", "(;", "(=", "(>_<)", "(^_^)", "(o:", "(¬_¬)",
  "(╯°□°）╯︵┻━┻", ")-:", "):", "-_-", "-__-", "._.", "0.0", "0.o", "0_0", "0_o", "8)", "8-)", "8-D", "8D", ":'(", ":')", ":'-(", ":'-)", ":(", ":((",
  ":(((", ":()", ":)", ":))", ":)))", ":*", ":-(", ":-((", ":-(((", ":-)", ":-))", ":-)))", ":-*", ":-/", ":-0", ":-3", ":->", ":-D", ":-O", ":-P",
  ":-X", ":-]", ":-o", ":-p", ":-x", ":-|", ":-}", ":/", ":0", ":1", ":3", ":>", ":D", ":O", ":P", ":X", ":]", ":o", ":o)", ":p", ":x", ":|", ":}",
  ":’(", ":’)", ":’-(", ":’-)", ";)", ";-)", ";-D", ";D", ";_;", "<.<", "</3", "<3", "<33", "<333", "=(", "=)", "=/", "=3", "=D", "=[", "=]", "=|",
  ">.<", ">.>", ">:(", ">:o", "><(((*>", "@_@", "O.O", "O.o", "O_O", "O_o", "V.V", "V_V", "XD", "XDD", "[-:", "[:", "[=", "\\\")", "]=", "^_^",
  "^__^", "^___^", "o.0", "o.O", "o.o", "o_0", "o_O", "o_o", "v.v", "—", "’", "’’",
  ...['s', 'S', 'd', 'll', 're', 'em', 'nuff', 'bout', 'cause', 'Cause', 'cos', 'Cos', 'coz', 'Coz', 'cuz', 'Cuz'].flatMap((c) => [`'${c}`, `’${c}`]),
]);

const NT_VERBS = 'ai|are|ca|could|dare|did|does|do|had|has|have|is|may|might|must|need|ought|sha|should|was|were|wo|would';
const PRONOUNS = 'i|you|he|she|it|we|they|who|what|where|when|why|how|there|that|this|these|those';
const CONTRACTION = new RegExp(`^(${NT_VERBS})(n['’]t|nt)(['’]?ve)?$`, 'i');
const MODAL_VE = /^(could|might|must|should|would)(['’]?ve)$/i;
const CLITIC = new RegExp(`^(${PRONOUNS}|let)(['’]?)(d|ll|re|ve|s|m)(['’]?ve)?$`, 'i');
/** Apostrophe-less forms spaCy leaves alone because they are ordinary words. */
const PLAIN_WORDS = new Set(['ill', 'well', 'were', 'shed', 'shell', 'hell', 'its', 'lets', 'whore']);
/** Exceptions split at fixed places: where each piece ends. */
const SPLIT_WORDS = new Map([['cannot', [3]], ['gonna', [3]], ['gotta', [3]], ['ima', [1, 2]], ["i'ma", [1, 3]], ['i’ma', [1, 3]]]);
/** Which pronouns take which clitic in spaCy's exceptions ('d, 'll and 've go with all of them). */
const CLITIC_BASES: Record<string, ReadonlySet<string>> = {
  re: new Set(['you', 'we', 'they', 'who', 'what', 'where', 'when', 'why', 'how', 'there', 'these', 'those']),
  s: new Set(['he', 'she', 'it', 'that', 'this', 'there', 'what', 'where', 'when', 'who', 'why', 'how', 'let']),
  m: new Set(['i']),
};

/** spaCy's exceptions exist in lower case and Title case only. */
function lowerOrTitle(s: string): boolean {
  const rest = s.slice(1);
  return rest === rest.toLowerCase();
}

/** The pieces of an exception, or null when the string is not one. */
function special(s: string): string[] | null {
  if (KEEP_WHOLE.has(s)) return [s];
  if (s.length < 2 || !lowerOrTitle(s)) return null;
  const lower = s.toLowerCase();
  const cuts = SPLIT_WORDS.get(lower);
  if (cuts) return [0, ...cuts].map((a, i) => s.slice(a, cuts[i]));
  let m = CONTRACTION.exec(s);
  if (m) {
    const [, verb = '', nt = '', ve] = m;
    return ve ? [verb, nt, ve] : [verb, nt];
  }
  m = MODAL_VE.exec(s);
  if (m) return [m[1] ?? '', m[2] ?? ''];
  m = CLITIC.exec(s);
  if (m) {
    const [, base = '', apostrophe = '', clitic = '', ve] = m;
    if (!apostrophe && PLAIN_WORDS.has((base + clitic).toLowerCase())) return null;
    const bases = CLITIC_BASES[clitic.toLowerCase()];
    if (bases ? !bases.has(base.toLowerCase()) : base.toLowerCase() === 'let') return null;
    if (base.toLowerCase() === 'let' && !apostrophe) return null;
    const pieces = [base, apostrophe + clitic];
    if (ve) pieces.push(ve);
    return pieces;
  }
  return null;
}

function firstChar(s: string): string {
  const c = s.codePointAt(0);
  return c === undefined ? '' : String.fromCodePoint(c);
}
function lastChar(s: string, end = s.length): string {
  if (end <= 0) return '';
  const c = s.charCodeAt(end - 1);
  if (c >= 0xdc00 && c <= 0xdfff && end >= 2) return s.slice(end - 2, end);
  return s.slice(end - 1, end);
}

/** Length of the prefix spaCy would split off, 0 for none. */
function prefixLength(s: string): number {
  const c = firstChar(s);
  if (c === '+') return /^\+[0-9]/.test(s) ? 0 : 1;
  if (PREFIX_CHARS.has(c)) return 1;
  if (s.startsWith('..')) return /^\.+/.exec(s)?.[0].length ?? 0;
  for (const cur of CURRENCY) if (s.startsWith(cur)) return cur.length;
  if (ICON.test(c)) return c.length;
  return 0;
}

/** Length of the longest suffix any of spaCy's suffix rules matches, 0 for none. */
function suffixLength(s: string): number {
  if (s === '') return 0;
  let best = 0;
  const dots = /\.+$/.exec(s)?.[0].length ?? 0;
  if (dots >= 2) best = dots;
  if (s.endsWith('……')) best = Math.max(best, 2);
  if (/['’][sS]$/.test(s)) best = Math.max(best, 2);
  const digitBefore = (len: number) => DIGIT.test(lastChar(s, s.length - len));
  // A currency or unit suffix must follow a digit directly, and holds no ASCII digit itself.
  const lastDigit = s.search(LAST_DIGIT);
  if (lastDigit >= 0 && AFTER_DIGIT.has(s.slice(lastDigit + 1))) best = Math.max(best, s.length - lastDigit - 1);
  if (best > 0) return best;
  const c = lastChar(s);
  if (SUFFIX_CHARS.has(c) || ICON.test(c)) return c.length;
  if (c === '+' && digitBefore(1)) return 1;
  if (c === '.') {
    const before = lastChar(s, s.length - 1);
    if (DIGIT.test(before) || ALPHA_LOWER.test(before) || PERIOD_AFTER.has(before)) return 1;
    const before2 = lastChar(s, s.length - 1 - before.length);
    if (ALPHA_UPPER.test(before) && ALPHA_UPPER.test(before2)) return 1;
    if (/°[FfCcKk]\.$/.test(s)) return 1;
  }
  return 0;
}

const HYPHENS = ['---', '--', '——', '-', '–', '—', '~'];

/** Infix matches as [start, end) pairs, found left to right like spaCy's finditer. */
function infixes(s: string): [number, number][] {
  const found: [number, number][] = [];
  let i = 0;
  while (i < s.length) {
    const c = firstChar(s.slice(i, i + 2));
    const before = lastChar(s, i);
    let end = -1;
    if (c === '.' && s[i + 1] === '.') end = i + (/^\.+/.exec(s.slice(i))?.[0].length ?? 0);
    else if (c === '…' || ICON.test(c)) end = i + c.length;
    else if (DIGIT.test(before) && '+-*^'.includes(c) && /^[0-9-]/.test(s.slice(i + 1))) end = i + 1;
    else if (c === '.' && (ALPHA_LOWER.test(before) || QUOTE_SET.has(before)) && (ALPHA_UPPER.test(firstChar(s.slice(i + 1))) || QUOTE_SET.has(firstChar(s.slice(i + 1))))) end = i + 1;
    else if (c === ',' && ALPHA.test(before) && ALPHA.test(firstChar(s.slice(i + 1)))) end = i + 1;
    else if (ALPHA.test(before) || DIGIT.test(before)) {
      for (const h of HYPHENS) {
        if (s.startsWith(h, i) && ALPHA.test(firstChar(s.slice(i + h.length)))) {
          end = i + h.length;
          break;
        }
      }
      if (end === -1 && ':<>=/'.includes(c) && ALPHA.test(firstChar(s.slice(i + 1)))) end = i + 1;
    }
    if (end > i) {
      found.push([i, end]);
      i = end;
    } else {
      i += c.length || 1;
    }
  }
  return found;
}

// URL shape of spaCy's url_match (scheme, user, host labels, lower-case TLD, port, path), minus its IP-range rules.
const URL = /^(?:[\w+\-.]{2,}:\/\/)?(?:\S+(?::\S*)?@)?(?:(?:[A-Za-z0-9\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff_-]{0,62})?[A-Za-z0-9\u00a1-\uffff]\.)+[\p{Ll}\p{Lo}]{2,63}(?::\d{2,5})?(?:[/?#]\S*)?$/u;

/**
 * spaCy re-joins exceptions that its affix rules cut apart inside a chunk (an emoticon such as "):"
 * after a word, "Co." before a bracket): merge runs of two or three tokens that spell one.
 */
function tokenizeChunk(chunk: string, out: string[]): void {
  const cached = chunkCache.get(chunk);
  if (cached) {
    for (const t of cached) out.push(t);
    return;
  }
  const merged: string[] = [];
  mergeExceptions(chunk, merged);
  // Words repeat (Zipf), so most chunks were seen before; spaCy caches chunks the same way.
  if (chunkCache.size >= CHUNK_CACHE_SIZE) chunkCache.clear();
  chunkCache.set(chunk, merged);
  for (const t of merged) out.push(t);
}

const CHUNK_CACHE_SIZE = 200_000;
const chunkCache = new Map<string, string[]>();

function mergeExceptions(chunk: string, out: string[]): void {
  const pieces: string[] = [];
  splitChunk(chunk, pieces);
  for (let i = 0; i < pieces.length; i++) {
    const a = pieces[i] ?? '';
    const ab = a + (pieces[i + 1] ?? '');
    const abc = ab + (pieces[i + 2] ?? '');
    if (i + 2 < pieces.length && KEEP_WHOLE.has(abc)) {
      out.push(abc);
      i += 2;
    } else if (i + 1 < pieces.length && KEEP_WHOLE.has(ab)) {
      out.push(ab);
      i += 1;
    } else {
      out.push(a);
    }
  }
}

/** One whitespace-free chunk into tokens, as spaCy's affix loop and infix split do. */
function splitChunk(chunk: string, out: string[]): void {
  // Letters only: no affix or infix rule can apply, only an exception (a contraction).
  if (PLAIN_WORD.test(chunk)) {
    const pieces = special(chunk);
    if (pieces) out.push(...pieces);
    else out.push(chunk);
    return;
  }
  const whole = special(chunk);
  if (whole) {
    out.push(...whole);
    return;
  }
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  let s = chunk;
  let last = -1;
  while (s && s.length !== last) {
    if (special(s)) break;
    last = s.length;
    const pre = prefixLength(s);
    if (pre) {
      const minusPre = s.slice(pre);
      if (minusPre && special(minusPre)) {
        prefixes.push(s.slice(0, pre));
        s = minusPre;
        break;
      }
    }
    const suf = suffixLength(s.slice(pre));
    if (suf) {
      const minusSuf = s.slice(0, s.length - suf);
      if (minusSuf && special(minusSuf)) {
        suffixes.push(s.slice(s.length - suf));
        s = minusSuf;
        break;
      }
    }
    if (pre && suf && pre + suf <= s.length) {
      prefixes.push(s.slice(0, pre));
      suffixes.push(s.slice(s.length - suf));
      s = s.slice(pre, s.length - suf);
    } else if (pre) {
      prefixes.push(s.slice(0, pre));
      s = s.slice(pre);
    } else if (suf) {
      suffixes.push(s.slice(s.length - suf));
      s = s.slice(0, s.length - suf);
    }
  }
  out.push(...prefixes);
  if (s) {
    const pieces = special(s);
    if (pieces) out.push(...pieces);
    else if (URL.test(s)) out.push(s);
    else {
      let start = 0;
      for (const [a, b] of infixes(s)) {
        if (a === 0) continue;
        if (a !== start) out.push(s.slice(start, a));
        if (a !== b) out.push(s.slice(a, b));
        start = b;
      }
      if (start < s.length) out.push(s.slice(start));
    }
  }
  for (let i = suffixes.length - 1; i >= 0; i--) out.push(suffixes[i] ?? '');
}

const SPACE_RUNS = new RegExp(`[${PY_WHITESPACE}]+`, 'g');

/**
 * Every token, whitespace runs included as spaCy keeps them (a run's first plain space belongs to
 * the token before it); the sentence counter needs them, word counts drop them.
 */
export function tokens(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const m of text.matchAll(SPACE_RUNS)) {
    if (m.index > start) tokenizeChunk(text.slice(start, m.index), out);
    const run = m[0];
    const rest = run[0] === ' ' && m.index > 0 ? run.slice(1) : run;
    if (rest) out.push(rest);
    start = m.index + run.length;
  }
  if (start < text.length) tokenizeChunk(text.slice(start), out);
  return out;
}

const segmenters = new Map<string, Intl.Segmenter>();
/** Languages written without spaces between words. */
export const UNSPACED = new Set(['zh', 'ja', 'th', 'lo', 'km', 'my', 'bo']);

/** The words of a text: tokens without whitespace, as datatrove's split_into_words returns them. */
export function splitWords(text: string, lang: string): string[] {
  if (UNSPACED.has(lang)) {
    let seg = segmenters.get(lang);
    if (!seg) {
      seg = new Intl.Segmenter(lang, { granularity: 'word' });
      segmenters.set(lang, seg);
    }
    const words: string[] = [];
    for (const s of seg.segment(text)) {
      const w = s.segment.trim();
      if (w) words.push(w);
    }
    return words;
  }
  const words: string[] = [];
  for (const t of tokens(text)) {
    const w = t.trim();
    if (w) words.push(w);
  }
  return words;
}

/** Sentence-ending characters of spaCy's sentencizer (Unicode Sentence_Terminal). */
const SENTENCE_PUNCT = new Set([...'!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？𐩖𐩗𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑩂𑩃𑪛𑪜𑱁𑱂𖩮𖩯𖫵𖬷𖬸𖭄𛲟𝪈｡。']);
const ALL_PUNCT = /^\p{P}+$/u;

/**
 * Sentences as spaCy's sentencizer splits them: a new sentence starts at the first token after a
 * sentence-ending mark that is not itself punctuation. Sentences of whitespace alone do not count.
 */
export function countSentences(text: string): number {
  let count = 0;
  let seenPeriod = false;
  let hasText = false;
  for (const t of tokens(text)) {
    const isEnd = SENTENCE_PUNCT.has(t);
    if (seenPeriod && !isEnd && !ALL_PUNCT.test(t)) {
      if (hasText) count++;
      hasText = false;
      seenPeriod = false;
    } else if (isEnd) {
      seenPeriod = true;
    }
    if (t.trim()) hasText = true;
  }
  return hasText ? count + 1 : count;
}
