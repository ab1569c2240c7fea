import { DatasetManifest, RunId, RunPlan, type TaskSpec } from '../../schemas/run.js';
import type { PipelineSpec } from '../../schemas/pipeline.js';
import { stageDefinition } from '../../stages/index.js';
import { canonicalJson, configHash, sha256Hex } from '../hash.js';
import { ConfigError } from '../pipeline.js';
import { hasUserinfo } from '../secrets.js';
import { phasesOf } from '../stage.js';
import { joinUri, readJson, storageFor } from '../storage/index.js';
import { CODE_VERSION } from '../version.js';
import { loadPlan, loadResults, loadTasks } from './execute.js';
import { datasetUri, planUri, stageDir, tasksUri } from './paths.js';

export interface RunRequest {
  run_id: string;
  pipeline: PipelineSpec;
  base_dir: string;
  /** Root of runs/ and releases/: a local folder or s3:// prefix. */
  out: string;
  /** Continue a run that exists under `out` (fail if there is none) rather than start one. */
  resume?: boolean;
}

/** The next free release version: versions are immutable, a finished one has a manifest.json. */
async function nextVersion(out: string, name: string): Promise<{ version: number; parent: number | null }> {
  const root = joinUri(out, 'releases', name);
  const versions = (await storageFor(root).list(root))
    .map((o) => /\/v(\d+)\/manifest\.json$/.exec(o.uri)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  const parent = versions.length ? Math.max(...versions) : null;
  return { version: (parent ?? 0) + 1, parent };
}

/** Fix everything about a run up front and store it where every worker can read it. */
export async function createRun(req: RunRequest): Promise<RunPlan> {
  // Checked before the id names a folder: `..` would put runs/<id>/ at the output root.
  const id = RunId.safeParse(req.run_id);
  if (!id.success) throw new ConfigError(`--run-id ${JSON.stringify(req.run_id)}: ${id.error.issues[0]?.message}`);
  if (hasUserinfo(req.out)) throw new ConfigError('--out: credentials may not be written into the output URI (it is stored in provenance): set them in the environment');
  const work_dir = joinUri(req.out, 'runs', req.run_id);
  const existing = planUri(work_dir);
  const pipeline_hash = sha256Hex(canonicalJson(req.pipeline)).slice(0, 16);
  if (await storageFor(existing).exists(existing)) {
    // A resubmitted run keeps its plan, and with it every task result already committed.
    const plan = await loadPlan(work_dir);
    if (plan.pipeline_hash !== pipeline_hash) {
      throw new ConfigError(`run ${req.run_id} was planned from another pipeline (hash ${plan.pipeline_hash}, this one ${pipeline_hash}): resume it with the same pipeline file, or start a new run id`);
    }
    return plan;
  }
  if (req.resume) throw new ConfigError(`--resume ${req.run_id}: no run with that id under ${joinUri(req.out, 'runs')}`);
  const { version, parent } = await nextVersion(req.out, req.pipeline.name);
  const plan: RunPlan = RunPlan.parse({
    run_id: req.run_id,
    pipeline: req.pipeline,
    base_dir: req.base_dir,
    pipeline_hash,
    code_version: CODE_VERSION,
    work_dir,
    release_dir: joinUri(req.out, 'releases', req.pipeline.name, `v${version}`),
    release_version: version,
    parent_version: parent,
    stages: req.pipeline.stages.map((config, index) => {
      const def = stageDefinition(config.stage);
      const task_queue = 'task_queue' in config ? config.task_queue : null;
      // Where a stage's tasks run and how often they are retried never changes what they write:
      // the queue and the retry policy stay out of the hash.
      const placed = Object.fromEntries(Object.entries(config).filter(([key]) => key !== 'task_queue' && key !== 'retry'));
      return { index, name: def.name, version: def.version, config_hash: configHash(placed), phases: phasesOf(def), task_queue, retry: config.retry };
    }),
  });
  await storageFor(existing).write(existing, JSON.stringify(plan, null, 2));
  return plan;
}

/** The parts a stage's first phase reads: the previous stage's dataset. */
async function inputParts(plan: RunPlan, stageIndex: number): Promise<string[]> {
  const uri = datasetUri(stageDir(plan, stageIndex - 1));
  return DatasetManifest.parse(await readJson(uri)).parts.map((p) => p.uri);
}

/** Write the task list of one phase and return how many tasks it has. */
export async function planPhase(workDir: string, stageIndex: number, phase: string): Promise<number> {
  const plan = await loadPlan(workDir);
  const config = plan.pipeline.stages[stageIndex];
  const stagePlan = plan.stages[stageIndex];
  if (!config || !stagePlan) throw new Error(`the plan has no stage ${stageIndex}`);
  const def = stageDefinition(config.stage);
  const dir = stageDir(plan, stageIndex);
  const uri = tasksUri(dir, phase);
  if (await storageFor(uri).exists(uri)) return (await loadTasks(dir, phase)).length;

  let tasks: TaskSpec[];
  const phaseIndex = stagePlan.phases.indexOf(phase);
  if (def.kind === 'source') {
    tasks = await def.listInputs(config, { plan, storage: storageFor });
  } else if (phaseIndex <= 0) {
    const parts = await inputParts(plan, stageIndex);
    tasks = def.kind === 'global' && def.phases[0]?.kind === 'reduce' ? [{ kind: 'reduce', parts }] : parts.map((part) => ({ kind: 'part', part }));
  } else {
    // Later phases read what the previous phase of the same stage wrote.
    const previous = stagePlan.phases[phaseIndex - 1] as string;
    const parts = (await loadResults(dir, previous)).flatMap((r) => r.outputs.map((o) => o.uri));
    const phaseDef = def.kind === 'global' ? def.phases[phaseIndex] : undefined;
    if (phaseDef?.kind === 'reduce') tasks = [{ kind: 'reduce', parts }];
    else if (phaseDef?.kind === 'partitioned') {
      const count = phaseDef.partitions?.(config) ?? 1;
      tasks = Array.from({ length: count }, (_, index) => ({ kind: 'partition', index, count, parts }));
    } else tasks = parts.map((part) => ({ kind: 'part', part }));
  }
  await storageFor(uri).write(uri, JSON.stringify(tasks));
  return tasks.length;
}

/** Sum a stage's task results into its _dataset.json. */
export async function finalizeStage(workDir: string, stageIndex: number): Promise<DatasetManifest> {
  const plan = await loadPlan(workDir);
  const stagePlan = plan.stages[stageIndex];
  if (!stagePlan) throw new Error(`the plan has no stage ${stageIndex}`);
  const dir = stageDir(plan, stageIndex);
  const first = stagePlan.phases[0] as string;
  const last = stagePlan.phases.at(-1) as string;
  const firstResults = await loadResults(dir, first);
  const lastResults = first === last ? firstResults : await loadResults(dir, last);
  const dropped: Record<string, number> = {};
  for (const r of lastResults.concat(first === last ? [] : firstResults)) {
    for (const [reason, n] of Object.entries(r.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
  }
  const manifest: DatasetManifest = {
    schema_version: 1,
    stage: stagePlan.name,
    stage_version: stagePlan.version,
    config_hash: stagePlan.config_hash,
    parts: lastResults.flatMap((r) => r.outputs),
    rejected: firstResults.concat(first === last ? [] : lastResults).flatMap((r) => r.rejected),
    docs_in: firstResults.reduce((n, r) => n + r.docs_in, 0),
    docs_out: lastResults.reduce((n, r) => n + r.docs_out, 0),
    dropped,
    bad_records: firstResults.reduce((n, r) => n + r.bad_records, 0),
  };
  const uri = datasetUri(dir);
  await storageFor(uri).write(uri, JSON.stringify(manifest, null, 2));
  // Only after the manifest is written: a crash before it leaves the inputs for the stage's retry.
  const config = plan.pipeline.stages[stageIndex];
  if (config && stageDefinition(config.stage).supersedesUpstream?.(config)) {
    for (let i = 0; i < stageIndex; i++) {
      for (const sub of ['parts', 'rejected']) {
        const prefix = joinUri(stageDir(plan, i), sub);
        await storageFor(prefix).remove(prefix);
      }
    }
  }
  return manifest;
}
