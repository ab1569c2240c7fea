import { z } from 'zod';

/**
 * The Temporal task queue a stage's tasks are dispatched to, so slow or rate-limited work (LLM
 * calls) runs on workers started for that queue alone (`corpusflow worker --task-queue <name>`).
 * null: the queue the run was submitted to. The local executor runs every task itself and ignores it.
 */
export const TaskQueue = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, 'letters, digits, _ . - (at most 200)')
  .nullable()
  .default(null);
