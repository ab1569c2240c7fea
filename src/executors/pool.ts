import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { TaskProgress, TaskResult, type Checkpoint, type TaskRef } from '../../schemas/run.js';

export interface RunOptions {
  /** Continue after this checkpoint of an earlier attempt (`stored`: the task's stored one), once its objects verify. */
  resume?: Checkpoint | 'stored' | null;
  onProgress?: (p: TaskProgress) => void;
}

interface Pending {
  ref: TaskRef;
  opts: RunOptions;
  resolve: (r: TaskResult) => void;
  reject: (e: Error) => void;
}

/**
 * Heap cap of one task thread (MB), from CORPUSFLOW_TASK_MEMORY_MB: a task that needs more fails with
 * a message naming the setting instead of taking the whole process (and its sibling tasks) down.
 * 4 GiB holds a default 256 MiB task slice with room for its documents and Parquet buffers.
 */
export function taskMemoryMb(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CORPUSFLOW_TASK_MEMORY_MB;
  if (raw === undefined || raw === '') return 4096;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 64) throw new Error(`CORPUSFLOW_TASK_MEMORY_MB: expected a whole number of MB, at least 64, got ${JSON.stringify(raw)}`);
  return mb;
}

/** An error from a task thread, keeping the thrower's name (ConfigError stays non-retryable). */
export class TaskError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

/**
 * A fixed set of worker threads that run tasks. Hashing, tokenizing and Parquet work stay off the
 * caller's event loop, so a Temporal worker keeps heartbeating while its tasks run.
 */
export class TaskPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending & { id: number }>();
  private nextId = 0;

  constructor(readonly size: number = availableParallelism()) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./task-thread.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: taskMemoryMb() } });
    worker.on('message', (msg: { id: number; result?: unknown; progress?: unknown; error?: { name: string; message: string; stack?: string } }) => {
      const job = this.running.get(worker);
      if (msg.progress !== undefined) {
        if (job?.id === msg.id) job.opts.onProgress?.(TaskProgress.parse(msg.progress));
        return;
      }
      this.running.delete(worker);
      this.idle.push(worker);
      if (job) {
        if (msg.error) job.reject(new TaskError(msg.error.name, msg.error.message, msg.error.stack));
        else job.resolve(TaskResult.parse(msg.result));
      }
      this.dispatch();
    });
    worker.on('error', (err: NodeJS.ErrnoException) => {
      // A crashed thread fails its task and is replaced, so the pool keeps its size.
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.all.splice(this.all.indexOf(worker), 1);
      job?.reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new TaskError('TaskMemoryExceeded', `task ${job.ref.stage_index}/${job.ref.phase}/${job.ref.task_index} ran out of memory: a task's heap is capped at ${taskMemoryMb()} MB (CORPUSFLOW_TASK_MEMORY_MB); raise it, or lower task_bytes or max_record_bytes`)
        : err);
      this.spawn();
      this.dispatch();
    });
    this.all.push(worker);
    this.idle.push(worker);
  }

  run(ref: TaskRef, opts: RunOptions = {}): Promise<TaskResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ref, opts, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const worker = this.idle.pop() as Worker;
      const job = { ...(this.queue.shift() as Pending), id: this.nextId++ };
      this.running.set(worker, job);
      worker.postMessage({ id: job.id, ref: job.ref, resume: job.opts.resume ?? null });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
