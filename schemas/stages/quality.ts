import { z } from 'zod';
import { QualityRuleConfig } from '../../stages/quality/rules/index.js';
import { RetryPolicy } from '../retry-policy.js';

export const QualityConfig = z.strictObject({
  stage: z.literal('quality'),
  /**
   * `filter` drops and cleans documents; `signals` (as RedPajama v2) only measures: every rule runs
   * on the unchanged text, nothing is dropped, and signals plus would-be reasons go to doc.meta.
   */
  mode: z.enum(['filter', 'signals']).default('filter'),
  /** Language for word splitting when a document has no meta.lang from langid (lid.176 label). */
  default_language: z.string().regex(/^[a-z]{2,3}$/).default('en'),
  /** Rule families in the order they run; in filter mode a cleaning rule's output feeds the next rule. */
  rules: z.array(QualityRuleConfig).min(1).superRefine((rules, ctx) => {
    rules.forEach((r, i) => {
      if (rules.findIndex((o) => o.rule === r.rule) !== i) ctx.addIssue({ code: 'custom', path: [i, 'rule'], message: `rule ${r.rule} appears twice` });
    });
  }),
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type QualityConfig = z.infer<typeof QualityConfig>;
