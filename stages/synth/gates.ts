import { MinhashConfig } from '../../schemas/stages/dedup.js';
import type { SynthGates } from '../../schemas/stages/synth.js';
import { bandKey, collisionProbability, estimatedJaccard, minhashSignature, permutations } from '../dedup/minhash.js';

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

/** Instructions are a sentence or two: word 3-grams, as the shingle-Jaccard filters of instruction data use. */
const INSTRUCTION_SHINGLE: MinhashConfig = MinhashConfig.parse({ unit: 'word', ngram: 3 });
/** The estimate's standard error at Jaccard 0.7 is sqrt(0.7 * 0.3 / 128) ≈ 0.04. */
const PERMUTATIONS = 128;
/** Share of pairs at the threshold that must meet in some band: the LSH step may miss at most 1%. */
const RECALL_AT_THRESHOLD = 0.99;

/**
 * Bands x rows for a threshold: the most rows per band (fewest false candidates to verify) whose
 * S-curve still finds RECALL_AT_THRESHOLD of the pairs at the threshold; 0.7 gives 32 x 4.
 */
export function lshShape(threshold: number): { bands: number; rows: number } {
  for (let rows = 8; rows > 1; rows--) {
    const bands = Math.floor(PERMUTATIONS / rows);
    if (collisionProbability(threshold, bands, rows) >= RECALL_AT_THRESHOLD) return { bands, rows };
  }
  return { bands: PERMUTATIONS, rows: 1 };
}

/**
 * Near-duplicate instructions across the run, with the signature code of the dedup stage: LSH
 * bands find candidates among every earlier kept instruction, and the Jaccard estimated from the
 * whole signature decides. Text is normalised as for documents (digits fold to 0), so questions
 * that differ only in a number are duplicates. Memory: the signature (4 bytes a permutation) and
 * one bucket entry per band for each kept instruction.
 */
export class InstructionDedup {
  private readonly shape: { bands: number; rows: number };
  private readonly perm: { a: Uint32Array; b: Uint32Array };
  private readonly buckets: Map<number, number[]>[];
  private signatures = new Uint32Array(0);
  private count = 0;

  constructor(private readonly threshold: number) {
    this.shape = lshShape(threshold);
    this.perm = permutations(this.shape.bands * this.shape.rows, INSTRUCTION_SHINGLE.seed);
    this.buckets = Array.from({ length: this.shape.bands }, () => new Map<number, number[]>());
  }

  /** The highest estimated Jaccard to an earlier instruction if it reaches the threshold; otherwise remembers it and returns null. */
  check(instruction: string): number | null {
    const k = this.perm.a.length;
    const sig = new Uint32Array(k);
    minhashSignature(instruction, INSTRUCTION_SHINGLE, this.perm, sig);
    const keys = Array.from({ length: this.shape.bands }, (_, b) => bandKey(sig, b, this.shape.rows));
    let best = 0;
    const seen = new Set<number>();
    keys.forEach((key, b) => {
      for (const id of this.buckets[b]?.get(key) ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        best = Math.max(best, estimatedJaccard(sig, this.signatures.subarray(id * k, (id + 1) * k)));
      }
    });
    if (best >= this.threshold) return best;
    const id = this.count++;
    if (this.count * k > this.signatures.length) {
      const grown = new Uint32Array(Math.max(1024 * k, this.signatures.length * 2));
      grown.set(this.signatures);
      this.signatures = grown;
    }
    this.signatures.set(sig, id * k);
    keys.forEach((key, b) => {
      const bucket = this.buckets[b] as Map<number, number[]>;
      const list = bucket.get(key);
      if (list) list.push(id);
      else bucket.set(key, [id]);
    });
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
