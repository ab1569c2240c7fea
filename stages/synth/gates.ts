import type { SynthGates } from '../../schemas/stages/synth.js';

/** Openings of assistant refusals and disclaimers (the phrase lists used to clean Alpaca/Vicuna-style data). */
const REFUSAL = /^\s*(?:I'?m sorry|I am sorry|Sorry, (?:but )?I|I (?:cannot|can't|can not|am unable to|'m unable to|won't)|As an AI\b|As a language model\b|I apologi[sz]e)/i;

const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/**
 * Share of the response's content words (three letters or more) that occur in the source: a
 * cheap unigram-precision grounding check in the spirit of ROUGE-1 precision against the source.
 */
export function grounding(response: string, source: string): number {
  const vocab = new Set(words(source));
  const content = words(response).filter((w) => w.length >= 3);
  if (content.length === 0) return 0;
  return content.filter((w) => vocab.has(w)).length / content.length;
}

/** Word 3-gram shingles of an instruction (fewer words: the whole instruction as one shingle). */
export function shingles(s: string): Set<string> {
  const w = words(s);
  if (w.length < 3) return new Set([w.join(' ')]);
  const out = new Set<string>();
  for (let i = 0; i + 3 <= w.length; i++) out.add(`${w[i]} ${w[i + 1]} ${w[i + 2]}`);
  return out;
}

/**
 * Near-duplicate instructions across the run, by exact shingle Jaccard against every earlier
 * instruction that shares a shingle (an inverted index keeps this near-linear for unrelated
 * instructions). A stand-in until the MinHash dedup code can be shared.
 */
export class InstructionDedup {
  private readonly sizes: number[] = [];
  private readonly postings = new Map<string, number[]>();
  constructor(private readonly threshold: number) {}

  /** The highest similarity to an earlier instruction if it reaches the threshold; otherwise remembers it and returns null. */
  check(instruction: string): number | null {
    const s = shingles(instruction);
    const shared = new Map<number, number>();
    for (const sh of s) for (const id of this.postings.get(sh) ?? []) shared.set(id, (shared.get(id) ?? 0) + 1);
    let best = 0;
    for (const [id, inter] of shared) best = Math.max(best, inter / (s.size + (this.sizes[id] ?? 0) - inter));
    if (best >= this.threshold) return best;
    const id = this.sizes.length;
    this.sizes.push(s.size);
    for (const sh of s) {
      const list = this.postings.get(sh);
      if (list) list.push(id);
      else this.postings.set(sh, [id]);
    }
    return null;
  }
}

export type GateVerdict = { pass: true; grounding: number | null } | { pass: false; reason: string; detail: Record<string, number | string> };

/** The gates that need no model and no state: emptiness, refusals, lengths, grounding. */
export function checkPair(instruction: string, response: string, source: string, grounded: boolean, gates: SynthGates): GateVerdict {
  if (instruction.trim() === '' || response.trim() === '') return { pass: false, reason: 'empty', detail: {} };
  if (REFUSAL.test(response)) return { pass: false, reason: 'refusal', detail: {} };
  const r = response.length;
  const i = instruction.length;
  if (r < gates.min_response_chars) return { pass: false, reason: 'response_too_short', detail: { chars: r, min: gates.min_response_chars } };
  if (r > gates.max_response_chars) return { pass: false, reason: 'response_too_long', detail: { chars: r, max: gates.max_response_chars } };
  if (i < gates.min_instruction_chars) return { pass: false, reason: 'instruction_too_short', detail: { chars: i, min: gates.min_instruction_chars } };
  if (i > gates.max_instruction_chars) return { pass: false, reason: 'instruction_too_long', detail: { chars: i, max: gates.max_instruction_chars } };
  if (!grounded) return { pass: true, grounding: null };
  const g = Math.round(grounding(response, source) * 1e4) / 1e4;
  if (g < gates.min_grounding) return { pass: false, reason: 'ungrounded', detail: { grounding: g, min: gates.min_grounding } };
  return { pass: true, grounding: g };
}
