import { z } from 'zod';

/**
 * How Temporal retries a stage's failed task activities. Omitted fields keep the run's defaults:
 * 5 attempts, 1 s before the second, doubling each time, at most 100 s apart (Temporal's own
 * interval defaults). A task that cannot get better by retrying (an LLM call that is charged per
 * attempt, an input known to be flaky only once) sets `max_attempts: 1`. ConfigError never retries.
 * null: the defaults. The local executor does not retry tasks and ignores it.
 */
export const RetryPolicy = z
  .strictObject({
    /** Attempts in all, the first included; 1: never retry. */
    max_attempts: z.number().int().min(1).optional(),
    /** Seconds before the first retry. */
    initial_interval_s: z.number().positive().optional(),
    /** Each later interval is the previous one times this. */
    backoff: z.number().min(1).optional(),
    /** Intervals stop growing here (seconds). */
    max_interval_s: z.number().positive().optional(),
  })
  .refine((r) => r.initial_interval_s === undefined || r.max_interval_s === undefined || r.max_interval_s >= r.initial_interval_s, {
    message: 'max_interval_s must be at least initial_interval_s',
    path: ['max_interval_s'],
  })
  .nullable()
  .default(null);
export type RetryPolicy = z.infer<typeof RetryPolicy>;
