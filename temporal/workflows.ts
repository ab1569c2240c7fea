import { CancellationScope, condition, continueAsNew, defineQuery, executeChild, proxyActivities, setHandler } from '@temporalio/workflow';
import type { RunSummary, StageProgress } from '../schemas/run.js';
import type { RunRequest } from '../src/run/plan.js';
import type { Activities, StageRef } from './activities.js';

const retry = { maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigError'] };
const control = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', retry });
// Tasks heartbeat every second: ten silent seconds means the worker died (kill -9, lost machine),
// and the task moves to another worker instead of waiting out a minute.
const WORK = { startToCloseTimeout: '4 hours', heartbeatTimeout: '10 seconds', retry } as const;
const work = proxyActivities<Activities>(WORK);

/** Progress of a run: finished stages, and the child workflow running now (query it for task counts). */
export interface RunProgress {
  done: StageProgress[];
  current: string | null;
}
export const runProgress = defineQuery<RunProgress>('runProgress');
/** A stage's phases so far: finished ones, then the running one. */
export const stageProgress = defineQuery<StageProgress[]>('stageProgress');

/** Tasks one stage execution starts before it continues as new, keeping its history far below 51,200 events. */
const TASKS_PER_EXECUTION = 2000;

export const stageWorkflowId = (runId: string, stage: StageRef) => `${runId}--${stage.index}-${stage.name}`;

/** One run: plan, a child workflow per stage in order, then the catalog and the release. */
export async function pipelineRun(request: RunRequest, window = 8): Promise<RunSummary> {
  const started = Date.now();
  const progress: RunProgress = { done: [], current: null };
  setHandler(runProgress, () => progress);

  const run = await control.createRun(request);
  for (const stage of run.stages) {
    progress.current = stageWorkflowId(run.run_id, stage);
    const done = await executeChild(stageRun, { workflowId: progress.current, args: [{ work_dir: run.work_dir, stage, window }] });
    progress.done.push(...done);
  }
  progress.current = null;
  // Once the release folder is being written it is finished: a cancel arriving now would leave a
  // version with a catalog and no manifest.
  return CancellationScope.nonCancellable(async () => {
    await control.buildCatalog({
      work_dir: run.work_dir,
      timing: { executor: 'temporal', started_at: new Date(started).toISOString(), finished_at: new Date(Date.now()).toISOString() },
    });
    await control.publishRelease(run.work_dir);
    return control.summarize({ work_dir: run.work_dir, seconds: (Date.now() - started) / 1000 });
  });
}

interface StageRunInput {
  work_dir: string;
  stage: StageRef;
  window: number;
  /** Set when continuing as new: where the previous execution stopped. */
  resume?: { phase_index: number; next_task: number; progress: StageProgress; done: StageProgress[] };
}

/** One stage: its phases in order, each a sliding window of task activities. */
export async function stageRun(input: StageRunInput): Promise<StageProgress[]> {
  const { work_dir, stage, window } = input;
  const done: StageProgress[] = input.resume?.done ?? [];
  let current: StageProgress | null = input.resume?.progress ?? null;
  setHandler(stageProgress, () => (current ? [...done, current] : done));
  let started = 0;
  // A stage with its own queue (synth's LLM calls) sends only its tasks there; planning and
  // finalizing stay on the run's queue. `?? null`: runs started before stages carried a queue.
  const queue = stage.task_queue ?? null;
  const tasks = queue === null ? work : proxyActivities<Activities>({ ...WORK, taskQueue: queue });

  for (let p = input.resume?.phase_index ?? 0; p < stage.phases.length; p++) {
    const phase = stage.phases[p] as string;
    const total = await control.planPhase({ work_dir, stage_index: stage.index, phase });
    const progress: StageProgress =
      input.resume && p === input.resume.phase_index ? input.resume.progress : { stage: stage.name, phase, tasks_done: 0, tasks_total: total, docs_in: 0, docs_out: 0 };
    current = progress;
    let next = input.resume && p === input.resume.phase_index ? input.resume.next_task : 0;
    let running = 0;
    let failure: unknown = null;

    while (next < total && failure === null) {
      if (started >= TASKS_PER_EXECUTION) {
        await condition(() => running === 0 || failure !== null);
        if (failure === null) {
          await continueAsNew<typeof stageRun>({ work_dir, stage, window, resume: { phase_index: p, next_task: next, progress, done } });
        }
        break;
      }
      await condition(() => running < window || failure !== null);
      if (failure !== null) break;
      const task_index = next++;
      running++;
      started++;
      tasks.runTask({ work_dir, stage_index: stage.index, phase, task_index }).then(
        (r) => {
          running--;
          progress.tasks_done++;
          progress.docs_in += r.docs_in;
          progress.docs_out += r.docs_out;
        },
        (err: unknown) => {
          running--;
          failure = err;
        },
      );
    }
    await condition(() => running === 0);
    if (failure !== null) throw failure;
    done.push(progress);
    current = null;
  }
  await control.finalizeStage({ work_dir, stage_index: stage.index });
  return done;
}
