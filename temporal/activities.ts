import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RunSummary, TaskRef } from '../schemas/run.js';
import type { TaskPool } from '../src/executors/pool.js';
import { buildCatalog, type RunTiming } from '../src/provenance/catalog.js';
import { publishRelease } from '../src/release/publish.js';
import { createRun, finalizeStage, planPhase, type RunRequest } from '../src/run/plan.js';
import { summarizeRun } from '../src/run/summary.js';

export interface StageRef {
  index: number;
  name: string;
  phases: string[];
  /** Where the stage's task activities go; null: the run's own task queue. */
  task_queue: string | null;
}

/** Bad config cannot get better by retrying: fail the workflow at once with the person-readable message. */
async function nonRetryableOnConfigError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as Error;
    if (e.name === 'ConfigError') throw ApplicationFailure.nonRetryable(e.message, 'ConfigError');
    throw err;
  }
}

/**
 * Activities are thin: each calls the same function the local executor calls. Task work runs in the
 * worker's thread pool, so this event loop stays free to heartbeat.
 */
export function createActivities(pool: TaskPool) {
  return {
    async createRun(request: RunRequest): Promise<{ run_id: string; work_dir: string; stages: StageRef[] }> {
      const plan = await nonRetryableOnConfigError(() => createRun(request));
      return { run_id: plan.run_id, work_dir: plan.work_dir, stages: plan.stages.map(({ index, name, phases, task_queue }) => ({ index, name, phases, task_queue })) };
    },

    planPhase(input: { work_dir: string; stage_index: number; phase: string }): Promise<number> {
      return nonRetryableOnConfigError(() => planPhase(input.work_dir, input.stage_index, input.phase));
    },

    async runTask(ref: TaskRef): Promise<{ docs_in: number; docs_out: number }> {
      const beat = setInterval(() => heartbeat({ task: ref.task_index }), 1000);
      try {
        const r = await nonRetryableOnConfigError(() => pool.run(ref));
        return { docs_in: r.docs_in, docs_out: r.docs_out };
      } finally {
        clearInterval(beat);
      }
    },

    async finalizeStage(input: { work_dir: string; stage_index: number }): Promise<{ docs_in: number; docs_out: number }> {
      const d = await finalizeStage(input.work_dir, input.stage_index);
      return { docs_in: d.docs_in, docs_out: d.docs_out };
    },

    async buildCatalog(input: { work_dir: string; timing: RunTiming }): Promise<string> {
      return buildCatalog(input.work_dir, input.timing);
    },

    async publishRelease(work_dir: string): Promise<number> {
      return (await publishRelease(work_dir)).version;
    },

    summarize(input: { work_dir: string; seconds: number }): Promise<RunSummary> {
      return summarizeRun(input.work_dir, 'temporal', input.seconds);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
