import { z } from 'zod';
import { RetryPolicy } from '../retry-policy.js';

const Language = z.string().regex(/^[a-z]{2,3}$/, 'a lid.176 label or ISO 639-3 code: 2 or 3 lower-case letters');

export const LangidConfig = z.strictObject({
  stage: z.literal('langid'),
  /** Languages to keep, as lid.176 labels (en, zh) or ISO 639-3 codes (eng, zho); null keeps every language and only annotates. */
  languages: z.array(Language).nullable().default(null),
  /** Drop documents whose top label scores below this. datatrove's LanguageFilter uses 0.65. */
  min_score: z.number().min(0).max(1).default(0),
  /** Per-language minimum scores that replace min_score for that top label (e.g. lower for languages lid.176 is less sure of). */
  thresholds: z.record(Language, z.number().min(0).max(1)).default({}),
  /** How many labels to record in meta.lang_top. */
  top_k: z.number().int().min(1).max(10).default(3),
  /** Also identify each paragraph (blank-line separated) and record meta.lang_paragraphs; the decision stays per document. */
  per_paragraph: z.boolean().default(false),
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type LangidConfig = z.infer<typeof LangidConfig>;
