import type { RunSummary, StageProgress, TaskResult } from '../../schemas/run.js';
import { buildCatalog } from '../provenance/catalog.js';
import { publishRelease } from '../release/publish.js';
import { createRun, finalizeStage, planPhase, type RunRequest } from '../run/plan.js';
import { summarizeRun } from '../run/summary.js';
import { TaskPool } from './pool.js';

export interface LocalOptions {
  threads?: number;
  onProgress?: (p: StageProgress) => void;
}

/**
 * Run a pipeline on this machine: the same plan, tasks and outputs as the Temporal executor,
 * with a worker-thread pool in place of activity workers.
 */
export async function runLocal(req: RunRequest, opts: LocalOptions = {}): Promise<RunSummary> {
  const started = new Date();
  const plan = await createRun(req);
  const pool = new TaskPool(opts.threads);
  try {
    for (const stage of plan.stages) {
      for (const phase of stage.phases) {
        const total = await planPhase(plan.work_dir, stage.index, phase);
        const progress: StageProgress = { stage: stage.name, phase, tasks_done: 0, tasks_total: total, docs_in: 0, docs_out: 0 };
        opts.onProgress?.({ ...progress });
        const done = (r: TaskResult) => {
          progress.tasks_done++;
          progress.docs_in += r.docs_in;
          progress.docs_out += r.docs_out;
          opts.onProgress?.({ ...progress });
        };
        await Promise.all(
          Array.from({ length: total }, (_, task_index) =>
            // A task a killed run left half done continues after its last checkpoint.
            pool.run({ work_dir: plan.work_dir, stage_index: stage.index, phase, task_index }, { resume: 'stored' }).then(done),
          ),
        );
      }
      await finalizeStage(plan.work_dir, stage.index);
    }
  } finally {
    await pool.close();
  }
  await buildCatalog(plan.work_dir, { executor: 'local', started_at: started.toISOString(), finished_at: new Date().toISOString() });
  await publishRelease(plan.work_dir);
  return summarizeRun(plan.work_dir, 'local', (Date.now() - started.getTime()) / 1000);
}
