import { z } from 'zod';

export const LangidConfig = z.strictObject({
  stage: z.literal('langid'),
  /** lid.176 labels to keep (e.g. en, de, zh); null keeps every language and only annotates. */
  languages: z.array(z.string().regex(/^[a-z]{2,3}$/)).nullable().default(null),
  /** Drop documents whose top label scores below this. datatrove's LanguageFilter uses 0.65. */
  min_score: z.number().min(0).max(1).default(0),
  /** How many labels to record in meta.lang_top. */
  top_k: z.number().int().min(1).max(10).default(3),
});
export type LangidConfig = z.infer<typeof LangidConfig>;
