import { z } from 'zod';
import { PipelineSpec } from './pipeline.js';
import { RetryPolicy } from './retry-policy.js';

/**
 * A run id names the folder runs/<id>/ and the Temporal workflow: one path segment that cannot be
 * `.` or `..` (it starts with a letter or digit), so no id leaves the runs/ prefix.
 */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "a run id is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");

/** Everything a worker needs to run any task of a run; stored once as <work_dir>/plan.json. */
export const RunPlan = z.object({
  run_id: RunId,
  pipeline: PipelineSpec,
  /** Directory of the pipeline file: relative input paths resolve against it. */
  base_dir: z.string(),
  pipeline_hash: z.string(),
  code_version: z.string(),
  work_dir: z.string(),
  release_dir: z.string(),
  release_version: z.number().int().positive(),
  parent_version: z.number().int().positive().nullable(),
  stages: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      name: z.string(),
      version: z.number().int().positive(),
      config_hash: z.string(),
      phases: z.array(z.string()).min(1),
      /** Temporal task queue of the stage's tasks (its config's `task_queue`); null: the run's queue. */
      task_queue: z.string().nullable().default(null),
      /** Retry policy of the stage's tasks (its config's `retry`); null: the run's default. */
      retry: RetryPolicy,
    }),
  ),
});
export type RunPlan = z.infer<typeof RunPlan>;

/** A task is addressed, never shipped: payloads between orchestrator and workers stay tiny. */
export const TaskRef = z.object({
  work_dir: z.string(),
  stage_index: z.number().int().nonnegative(),
  phase: z.string(),
  task_index: z.number().int().nonnegative(),
});
export type TaskRef = z.infer<typeof TaskRef>;

/** What one task does, written by the planner to <stage dir>/<phase>/tasks.json. */
export const TaskSpec = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('read'),
    input_index: z.number().int().nonnegative(),
    uri: z.string(),
    /** Source identity used for document ids: path relative to the input's glob root, plus size. */
    source_key: z.string(),
    bytes: z.number().int().nonnegative(),
    /**
     * A slice of a large file: the task owns the records that start in [start, end), and reads bytes
     * [read_start, read_end): from just before its start (to see whether a line starts there) to far
     * enough past its end for its last record to finish. null: the whole file.
     */
    range: z
      .object({
        start: z.number().int().nonnegative(),
        end: z.number().int().positive(),
        read_start: z.number().int().nonnegative(),
        read_end: z.number().int().positive(),
      })
      .nullable()
      .default(null),
  }),
  z.object({ kind: z.literal('part'), part: z.string() }),
  z.object({ kind: z.literal('reduce'), parts: z.array(z.string()) }),
  /** Partition `index` of `count` over all of `parts`. */
  z.object({ kind: z.literal('partition'), index: z.number().int().nonnegative(), count: z.number().int().positive(), parts: z.array(z.string()) }),
]);
export type TaskSpec = z.infer<typeof TaskSpec>;

export const PartInfo = z.object({ uri: z.string(), rows: z.number().int().nonnegative(), sha256: z.string(), bytes: z.number().int() });
export type PartInfo = z.infer<typeof PartInfo>;

export const TaskResult = z.object({
  stage: z.string(),
  phase: z.string(),
  task_index: z.number().int().nonnegative(),
  docs_in: z.number().int().nonnegative(),
  docs_out: z.number().int().nonnegative(),
  modified: z.number().int().nonnegative(),
  dropped: z.record(z.string(), z.number().int().nonnegative()),
  /** Input records that could not be read (corrupt, truncated, bad encoding), also counted in dropped. */
  bad_records: z.number().int().nonnegative(),
  outputs: z.array(PartInfo),
  rejected: z.array(PartInfo),
  /** The task's provenance fragments, one per table it wrote rows to. */
  provenance: z.array(PartInfo).default([]),
  /** The first few unreadable records, with file and offset, for the CLI to show. */
  errors: z.array(z.object({ uri: z.string(), offset: z.number().int(), reason: z.string(), message: z.string() })),
  /** Stage-specific totals (tokens, shards, input fingerprints …). */
  stats: z.record(z.string(), z.unknown()),
  seconds: z.number().nonnegative(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/**
 * What a task has committed so far: every part, rejected part and provenance fragment written up to
 * `position` (input records or rows consumed), with the tallies at that point. Stored as
 * <stage dir>/<phase>/checkpoints/<task>.json and carried in Temporal heartbeats; a retried task
 * whose checkpoint still verifies (size + SHA-256 of each object) continues after `position`.
 */
export const Checkpoint = z.object({
  /** Checkpoints committed; the next one's objects are numbered this. */
  seq: z.number().int().positive(),
  position: z.number().int().nonnegative(),
  /** UTF-8 bytes of document text read up to `position`. */
  bytes_in: z.number().int().nonnegative(),
  docs_in: TaskResult.shape.docs_in,
  docs_out: TaskResult.shape.docs_out,
  modified: TaskResult.shape.modified,
  dropped: TaskResult.shape.dropped,
  bad_records: TaskResult.shape.bad_records,
  errors: TaskResult.shape.errors,
  outputs: TaskResult.shape.outputs,
  rejected: TaskResult.shape.rejected,
  provenance: z.array(PartInfo),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

/** A running task's progress: what its Temporal heartbeats carry. */
export const TaskProgress = z.object({
  docs_in: z.number().int().nonnegative(),
  docs_out: z.number().int().nonnegative(),
  /** UTF-8 bytes of document text read. */
  bytes_in: z.number().int().nonnegative(),
  checkpoints: z.number().int().nonnegative(),
  /** Checkpoints this attempt found verified and skipped; 0 when it started from the beginning. */
  resumed_from: z.number().int().nonnegative(),
  checkpoint: Checkpoint.nullable(),
});
export type TaskProgress = z.infer<typeof TaskProgress>;

/** <stage dir>/_dataset.json: what a stage produced, and how. */
export const DatasetManifest = z.object({
  schema_version: z.literal(1),
  stage: z.string(),
  stage_version: z.number().int(),
  config_hash: z.string(),
  parts: z.array(PartInfo),
  rejected: z.array(PartInfo),
  docs_in: z.number().int(),
  docs_out: z.number().int(),
  dropped: z.record(z.string(), z.number().int()),
  bad_records: z.number().int(),
});
export type DatasetManifest = z.infer<typeof DatasetManifest>;

/** What the orchestrator reports and `status` shows. */
export const StageProgress = z.object({
  stage: z.string(),
  phase: z.string(),
  tasks_done: z.number().int(),
  tasks_total: z.number().int(),
  docs_in: z.number().int(),
  docs_out: z.number().int(),
});
export type StageProgress = z.infer<typeof StageProgress>;

/** What a finished run reports to the person who started it. */
export const RunSummary = z.object({
  run_id: z.string(),
  executor: z.enum(['local', 'temporal']),
  release_dir: z.string(),
  release_version: z.number().int(),
  stages: z.array(
    z.object({ name: z.string(), docs_in: z.number().int(), docs_out: z.number().int(), dropped: z.record(z.string(), z.number().int()), bad_records: z.number().int() }),
  ),
  documents: z.number().int(),
  samples: z.number().int(),
  tokens: z.number().int(),
  shards: z.number().int(),
  bad_records: z.number().int(),
  errors: TaskResult.shape.errors,
  seconds: z.number(),
});
export type RunSummary = z.infer<typeof RunSummary>;
