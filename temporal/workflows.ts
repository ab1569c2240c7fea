import { CancellationScope, condition, continueAsNew, defineQuery, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { RunSummary, StageProgress } from '../schemas/run.js';
import type { RunRequest } from '../src/run/plan.js';
import type { Activities, RunRef, StageRef } from './activities.js';
import { STAGE } from './search-attributes.js';

const retry = { maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigError'] };
// Planning a phase and summing a stage are short and run where the workflow runs: as local
// activities they cost no task-queue round trip and no events of their own, only a marker.
const control = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 minutes', retry });
// Catalog and release can take long on a big run: a regular activity, retried on any worker.
const release = proxyActivities<Activities>({ startToCloseTimeout: '4 hours', retry });
// Tasks heartbeat every second: ten silent seconds means the worker died (kill -9, lost machine),
// and the task moves to another worker instead of waiting out a minute.
const WORK = { startToCloseTimeout: '4 hours', heartbeatTimeout: '10 seconds', retry } as const;
const work = proxyActivities<Activities>(WORK);

/**
 * The task activities of one stage: the run's own unless the stage names a queue or a retry policy.
 * `?? null`: a RunRef carried over continue-as-new from before stages had a retry policy has none.
 */
function taskActivities(stage: StageRef) {
  const policy = stage.retry ?? null;
  if (stage.task_queue === null && policy === null) return work;
  return proxyActivities<Activities>({
    ...WORK,
    ...(stage.task_queue === null ? {} : { taskQueue: stage.task_queue }),
    retry: {
      ...retry,
      ...(policy?.max_attempts === undefined ? {} : { maximumAttempts: policy.max_attempts }),
      ...(policy?.initial_interval_s === undefined ? {} : { initialInterval: policy.initial_interval_s * 1000 }),
      ...(policy?.backoff === undefined ? {} : { backoffCoefficient: policy.backoff }),
      ...(policy?.max_interval_s === undefined ? {} : { maximumInterval: policy.max_interval_s * 1000 }),
    },
  });
}

/** Progress of a run: when it started, finished phases, and the running one with when it started (epoch ms). */
export interface RunProgress {
  started_at: number;
  done: StageProgress[];
  current: StageProgress | null;
  current_started_at: number | null;
}
export const runProgress = defineQuery<RunProgress>('runProgress');

export interface RunOptions {
  /** Tasks in flight at once; at least the fleet's task slots. */
  window?: number;
  /**
   * Tasks one execution starts before it continues as new. Each task adds about 6 events
   * (scheduled, started, completed, and its share of workflow tasks), so 2,000 keeps a history near
   * 12,000 events, far below Temporal's 51,200-event limit.
   */
  tasks_per_execution?: number;
  /** Keep CorpusflowStage up to date: only when the namespace has the search attributes registered. */
  search_attributes?: boolean;
  /** Set when continuing as new: where the previous execution stopped. */
  resume?: RunPosition;
}

/** Where a run stands between two executions of its workflow. */
export interface RunPosition {
  run: RunRef;
  started_at: number;
  stage: number;
  phase: number;
  next_task: number;
  progress: StageProgress;
  phase_started_at: number;
  done: StageProgress[];
}

/**
 * One run, one workflow: plan, every stage's phases as sliding windows of task activities, then
 * the catalog and the release. Stages run inline rather than as child workflows: a child costs a
 * workflow start and a round trip per stage and buys nothing a stage needs, since the run itself
 * continues as new every `tasks_per_execution` tasks.
 */
export async function pipelineRun(request: RunRequest, options: RunOptions = {}): Promise<RunSummary> {
  const window = options.window ?? 8;
  const perExecution = options.tasks_per_execution ?? 2000;
  const at = options.resume;
  const run = at?.run ?? (await control.createRun(request));
  const started = at?.started_at ?? Date.now();
  const done: StageProgress[] = at?.done ?? [];
  let current: StageProgress | null = at?.progress ?? null;
  let currentStartedAt: number | null = at?.phase_started_at ?? null;
  setHandler(runProgress, () => ({ started_at: started, done, current, current_started_at: currentStartedAt }));
  let launched = 0;

  for (let s = at?.stage ?? 0; s < run.stages.length; s++) {
    const stage = run.stages[s] as RunRef['stages'][number];
    // A stage with its own queue (synth's LLM calls) sends only its tasks there; planning and
    // finalizing stay with the run.
    const tasks = taskActivities(stage);
    if (options.search_attributes) upsertSearchAttributes([{ key: STAGE, value: stage.name }]);
    const firstPhase = at && s === at.stage ? at.phase : 0;
    for (let p = firstPhase; p < stage.phases.length; p++) {
      const phase = stage.phases[p] as string;
      const resuming = at && s === at.stage && p === at.phase;
      let progress: StageProgress;
      let next: number;
      if (resuming) {
        progress = at.progress;
        next = at.next_task;
      } else {
        const total = await control.planPhase({ work_dir: run.work_dir, stage_index: stage.index, phase });
        progress = { stage: stage.name, phase, tasks_done: 0, tasks_total: total, docs_in: 0, docs_out: 0 };
        next = 0;
        currentStartedAt = Date.now();
      }
      current = progress;
      let running = 0;
      let failure: unknown = null;

      while (next < progress.tasks_total && failure === null) {
        if (launched >= perExecution) {
          await condition(() => running === 0 || failure !== null);
          if (failure !== null) break;
          const position: RunPosition = { run, started_at: started, stage: s, phase: p, next_task: next, progress, phase_started_at: currentStartedAt ?? Date.now(), done };
          await continueAsNew<typeof pipelineRun>(request, { ...options, window, tasks_per_execution: perExecution, resume: position });
        }
        await condition(() => running < window || failure !== null);
        if (failure !== null) break;
        const task_index = next++;
        running++;
        launched++;
        tasks.runTask({ work_dir: run.work_dir, stage_index: stage.index, phase, task_index }).then(
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
      currentStartedAt = null;
    }
    await control.finalizeStage({ work_dir: run.work_dir, stage_index: stage.index });
  }
  // Once the release folder is being written it is finished: a cancel arriving now would leave a
  // version with a catalog and no manifest.
  return CancellationScope.nonCancellable(() =>
    release.publishRun({ work_dir: run.work_dir, started_at: new Date(started).toISOString(), finished_at: new Date(Date.now()).toISOString() }),
  );
}
