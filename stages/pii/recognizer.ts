import type { PiiEntity } from '../../schemas/stages/pii.js';

/** One regular expression of a recognizer and the score a bare match gets. */
export interface Pattern {
  /** Compiled with the `g` and `d` flags by the registry; `group` picks the span when the value sits inside. */
  regex: RegExp;
  score: number;
  group?: number;
  /** Run only on documents whose `meta.lang` is one of these (documents without a language run every pattern). */
  languages?: readonly string[];
}

/**
 * A recognizer, in Presidio's terms: patterns give candidate spans and base scores, the validator rejects
 * candidates that fail a checksum or a sanity rule, and a context word near the span raises the score.
 */
export interface Recognizer {
  entity: PiiEntity;
  name: string;
  /** A cheap test that must pass before any pattern runs (a substring or a regex without the `g` flag). */
  prefilter: string | RegExp;
  patterns: readonly Pattern[];
  /**
   * Returns false to reject a candidate, or a score that replaces the pattern's (e.g. 1.0 for a valid
   * checksum). `lang` is the document's `meta.lang`, null when no langid stage ran.
   */
  validate?: (value: string, lang: string | null) => boolean | number;
  /** Text just before a candidate (the last 16 characters) that rules it out, e.g. `version` before a dotted quad. */
  notAfter?: RegExp;
  /** Words that, within the context window before or after a span, add CONTEXT_BOOST to its score. */
  context: readonly string[];
}

/** Presidio's LemmaContextAwareEnhancer adds 0.35 when a context word is near; we keep the same scale. */
export const CONTEXT_BOOST = 0.35;
/**
 * Characters looked at before and after a span for context words (about five words either side); the
 * window stops at a CJK sentence end (60 CJK characters span several sentences) and at an earlier number.
 */
export const CONTEXT_BEFORE = 60;
export const CONTEXT_AFTER = 30;
