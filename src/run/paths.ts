import type { RunPlan } from '../../schemas/run.js';
import { joinUri } from '../storage/index.js';

/** Every object a run writes has one address derived from (run, stage, phase, task): retries overwrite. */
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const planUri = (workDir: string) => joinUri(workDir, 'plan.json');

export function stageDir(plan: RunPlan, stageIndex: number): string {
  const stage = plan.stages[stageIndex];
  if (!stage) throw new Error(`the plan has no stage ${stageIndex}`);
  return joinUri(plan.work_dir, `${pad(stageIndex, 2)}-${stage.name}`);
}

export const tasksUri = (dir: string, phase: string) => joinUri(dir, phase, 'tasks.json');
export const resultUri = (dir: string, phase: string, task: number) => joinUri(dir, phase, 'results', `${pad(task, 5)}.json`);
/** A task's objects of checkpoint `seq`: the first keeps the task's plain name, later ones add `-<seq>`. */
const numbered = (task: number, seq: number) => (seq === 0 ? pad(task, 5) : `${pad(task, 5)}-${pad(seq, 4)}`);
export const partUri = (dir: string, task: number, seq = 0) => joinUri(dir, 'parts', `part-${numbered(task, seq)}.parquet`);
export const rejectedUri = (dir: string, task: number, seq = 0) => joinUri(dir, 'rejected', `part-${numbered(task, seq)}.parquet`);
export const fragmentUri = (dir: string, table: string, phase: string, task: number, seq = 0) =>
  joinUri(dir, 'provenance', table, `${phase}-${numbered(task, seq)}.parquet`);
export const checkpointUri = (dir: string, phase: string, task: number) => joinUri(dir, phase, 'checkpoints', `${pad(task, 5)}.json`);
export const datasetUri = (dir: string) => joinUri(dir, '_dataset.json');
