import { z } from 'zod';
import { RetryPolicy } from '../retry-policy.js';

export const ParagraphDedupConfig = z.strictObject({
  stage: z.literal('paragraph_dedup'),
  /**
   * Tasks of the count phase; task i owns the line hashes with hash mod count_tasks = i, so its
   * memory is 16 bytes per line of the corpus / count_tasks.
   */
  count_tasks: z.number().int().min(1).max(4096).default(4),
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type ParagraphDedupConfig = z.infer<typeof ParagraphDedupConfig>;
