import { z } from 'zod';
import { RetryPolicy } from '../retry-policy.js';

export const Benchmark = z.strictObject({
  /** Names the benchmark in drop reasons (`contaminated:<name>`) and in provenance. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lowercase letters, digits, ., - and _ (at most 64)'),
  /** A JSONL file (local path relative to the pipeline file, or s3://), one benchmark item per line. */
  uri: z.string().min(1),
  /** Fields of an item whose text is matched, joined in this order; a field may hold a string or a list of strings. */
  fields: z.array(z.string().min(1)).min(1),
});
export type Benchmark = z.infer<typeof Benchmark>;

export const DecontamConfig = z.strictObject({
  stage: z.literal('decontam'),
  benchmarks: z.array(Benchmark).min(1),
  /**
   * Word n-gram size of the overlap test: 13 as in GPT-3 (Brown et al. 2020, appendix C) and OLMo's
   * decontamination; items with fewer words cannot match and are counted in the task stats.
   */
  ngram: z.number().int().min(3).max(64).default(13),
  /** Distinct n-grams a document must share with one benchmark to count as contaminated (GPT-3: any one). */
  min_ngrams: z.number().int().min(1).default(1),
  /** `drop` removes contaminated documents; `flag` keeps them with `meta.contamination`. */
  action: z.enum(['drop', 'flag']).default('drop'),
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type DecontamConfig = z.infer<typeof DecontamConfig>;

/** One line of a benchmark file: an object whose matched fields hold text or lists of text. */
export const BenchmarkItem = z.record(z.string(), z.unknown());
export const BenchmarkField = z.union([z.string(), z.array(z.string())]);
