import type { PiiEntity } from '../../schemas/stages/pii.js';
import { findNames } from './names/detect.js';
import { CONTEXT_AFTER, CONTEXT_BEFORE, CONTEXT_BOOST, type Recognizer } from './recognizer.js';

/** A recognized span in the original text (UTF-16 offsets). The value is read from the text, never stored. */
export interface Finding {
  entity: PiiEntity;
  start: number;
  end: number;
  score: number;
  /** Characters to the nearest context word (-1: none); when two types tie on score, the nearer context wins. */
  near: number;
}

export interface CompiledRecognizer {
  recognizer: Recognizer;
  patterns: { regex: RegExp; score: number; group: number; languages: readonly string[] | undefined }[];
  context: RegExp | null;
  /** Validator verdicts by language and value: pages repeat numbers (footers, tables) and validation is pure. */
  verdicts: Map<string, boolean | number>;
}

/** Bound on remembered verdicts per recognizer and task; the map starts over when full. */
const MAX_VERDICTS = 50_000;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** ASCII context words match as whole words; CJK words (no spaces between words) as substrings. */
function contextRegex(words: readonly string[]): RegExp | null {
  if (words.length === 0) return null;
  // Longest first, so `passport number` wins over `passport` and the distance is measured from its end.
  const alts = [...words].sort((a, b) => b.length - a.length).map((w) => (/^[\x00-\x7f]+$/.test(w) ? `(?<![A-Za-z])${escape(w)}(?![A-Za-z])` : escape(w)));
  return new RegExp(alts.join('|'), 'gi');
}

export function compileRecognizer(recognizer: Recognizer): CompiledRecognizer {
  return {
    recognizer,
    patterns: recognizer.patterns.map((p) => ({
      regex: new RegExp(p.regex.source, `${p.regex.flags.replace(/[gd]/g, '')}gd`),
      score: p.score,
      group: p.group ?? 0,
      languages: p.languages,
    })),
    context: contextRegex(recognizer.context),
    verdicts: new Map(),
  };
}

/** Distance in characters from the span to the nearest context word in the window, or -1 when there is none. */
function contextDistance(text: string, start: number, end: number, context: RegExp): number {
  let best = -1;
  let before = text.slice(Math.max(0, start - CONTEXT_BEFORE), start);
  const cut = Math.max(before.lastIndexOf('。'), before.lastIndexOf('！'), before.lastIndexOf('？'), before.lastIndexOf('；'));
  if (cut >= 0) before = before.slice(cut + 1);
  // A context word labels the next number, not one after it: `电话：<a phone>，人口<a count>`.
  const number = /\d{5,}(?!.*\d{5})/s.exec(before);
  if (number) before = before.slice(number.index + number[0].length);
  context.lastIndex = 0;
  for (let m = context.exec(before); m !== null; m = context.exec(before)) best = before.length - m.index - m[0].length;
  context.lastIndex = 0;
  const after = context.exec(text.slice(end, end + CONTEXT_AFTER).split(/[。！？；]/, 1)[0] ?? '');
  if (after && (best < 0 || after.index < best)) best = after.index;
  return best;
}

/** Languages the name detector knows: its gazetteers and cue words are English. */
const NAME_LANGUAGES = new Set(['en']);

/**
 * Every candidate of every recognizer scoring at least `minScore`, plus PERSON and LOCATION spans when
 * `names` asks for them (English or unlabelled text), then the non-overlapping best: higher score first,
 * then the nearer context word, then the longer span (a credential URL beats the email inside it).
 */
export function scanText(text: string, recognizers: readonly CompiledRecognizer[], lang: string | null, minScore: number, allowed: (entity: PiiEntity, value: string) => boolean, names: ReadonlySet<PiiEntity> = new Set()): Finding[] {
  const found: Finding[] = [];
  if (names.size > 0 && (lang === null || NAME_LANGUAGES.has(lang))) {
    for (const f of findNames(text, names)) if (f.score >= minScore && !allowed(f.entity, text.slice(f.start, f.end))) found.push(f);
  }
  for (const { recognizer, patterns, context, verdicts } of recognizers) {
    const pre = recognizer.prefilter;
    if (typeof pre === 'string' ? !text.includes(pre) : !pre.test(text)) continue;
    for (const p of patterns) {
      if (p.languages && lang !== null && !p.languages.includes(lang)) continue;
      p.regex.lastIndex = 0;
      for (let m = p.regex.exec(text); m !== null; m = p.regex.exec(text)) {
        const at = m.indices?.[p.group];
        const value = m[p.group];
        if (!at || value === undefined) continue;
        if (recognizer.notAfter?.test(text.slice(Math.max(0, at[0] - 16), at[0]))) continue;
        const verdict = recognizer.validate ? validated(recognizer.validate, verdicts, value, lang) : true;
        if (verdict === false) continue;
        let score = typeof verdict === 'number' ? verdict : p.score;
        const near = score < 1 && context ? contextDistance(text, at[0], at[1], context) : -1;
        if (near >= 0) score = Math.min(1, score + CONTEXT_BOOST);
        if (score < minScore || allowed(recognizer.entity, value)) continue;
        found.push({ entity: recognizer.entity, start: at[0], end: at[1], score, near });
      }
    }
  }
  return resolveOverlaps(found);
}

function validated(validate: NonNullable<Recognizer['validate']>, verdicts: Map<string, boolean | number>, value: string, lang: string | null): boolean | number {
  const key = `${lang ?? ''}\u0000${value}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdict = validate(value, lang);
    verdicts.set(key, verdict);
  }
  return verdict;
}

function resolveOverlaps(found: Finding[]): Finding[] {
  if (found.length < 2) return found;
  const nearness = (f: Finding) => (f.near < 0 ? Infinity : f.near);
  found.sort((a, b) => b.score - a.score || nearness(a) - nearness(b) || (b.end - b.start) - (a.end - a.start) || a.start - b.start);
  const kept: Finding[] = [];
  for (const f of found) {
    if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}
