import { asyncLocalStorage, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RetryPolicy } from '../schemas/retry-policy.js';
import { TaskProgress, type RunSummary, type TaskRef } from '../schemas/run.js';
import type { TaskPool } from '../src/executors/pool.js';
import { buildCatalog } from '../src/provenance/catalog.js';
import { publishRelease } from '../src/release/publish.js';
import { createRun, finalizeStage, planPhase, type RunRequest } from '../src/run/plan.js';
import { summarizeRun } from '../src/run/summary.js';
import { redactError } from '../src/secrets.js';

export interface StageRef {
  index: number;
  name: string;
  phases: string[];
  /** Where the stage's task activities go; null: the run's own task queue. */
  task_queue: string | null;
  /** How its task activities are retried; null: the run's default policy. */
  retry: RetryPolicy;
}

/** What the workflow keeps of a run's plan. */
export interface RunRef {
  run_id: string;
  work_dir: string;
  stages: StageRef[];
}

/**
 * Bad config cannot get better by retrying: fail the workflow at once with the person-readable
 * message. Every activity goes through here, so every failure it reports is redacted.
 */
async function nonRetryableOnConfigError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Failures are stored in the workflow history: no credential may ride along.
    const e = redactError(err as Error);
    if (e.name === 'ConfigError') throw ApplicationFailure.nonRetryable(e.message, 'ConfigError');
    throw e;
  }
}

/**
 * Activities are thin: each calls the same function the local executor calls. Task work runs in the
 * worker's thread pool, so this event loop stays free to heartbeat.
 */
export function createActivities(pool: TaskPool) {
  return {
    async createRun(request: RunRequest): Promise<RunRef> {
      const plan = await nonRetryableOnConfigError(() => createRun(request));
      return {
        run_id: plan.run_id,
        work_dir: plan.work_dir,
        stages: plan.stages.map(({ index, name, phases, task_queue, retry }) => ({ index, name, phases, task_queue, retry })),
      };
    },

    planPhase(input: { work_dir: string; stage_index: number; phase: string }): Promise<number> {
      return nonRetryableOnConfigError(() => planPhase(input.work_dir, input.stage_index, input.phase));
    },

    /**
     * Heartbeats carry the task's progress and its last checkpoint. A retry (worker killed, task
     * failed) gets the last heartbeat the server kept and continues after that checkpoint, once the
     * objects it names still verify, instead of starting over.
     */
    async runTask(ref: TaskRef): Promise<{ docs_in: number; docs_out: number }> {
      // The activity's context holds what the server kept of the last attempt's heartbeats (none
      // when the activity is called directly, as the security tests do).
      const previous = TaskProgress.safeParse(asyncLocalStorage.getStore()?.info.heartbeatDetails);
      const resume = previous.success ? previous.data.checkpoint : null;
      let latest: TaskProgress | null = previous.success ? previous.data : null;
      // A retry's first heartbeats repeat the checkpoint it resumes from, so a second kill loses nothing.
      const beat = setInterval(() => heartbeat(latest), 1000);
      try {
        const r = await nonRetryableOnConfigError(() => pool.run(ref, { resume, onProgress: (p) => (latest = p) }));
        return { docs_in: r.docs_in, docs_out: r.docs_out };
      } finally {
        clearInterval(beat);
      }
    },

    async finalizeStage(input: { work_dir: string; stage_index: number }): Promise<void> {
      await nonRetryableOnConfigError(() => finalizeStage(input.work_dir, input.stage_index));
    },

    /** Catalog, release and summary in one activity: three steps that always run together. */
    publishRun(input: { work_dir: string; started_at: string; finished_at: string }): Promise<RunSummary> {
      return nonRetryableOnConfigError(async () => {
        await buildCatalog(input.work_dir, { executor: 'temporal', started_at: input.started_at, finished_at: input.finished_at });
        await publishRelease(input.work_dir);
        return summarizeRun(input.work_dir, 'temporal', (Date.now() - Date.parse(input.started_at)) / 1000);
      });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
