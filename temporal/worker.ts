import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { TaskPool } from '../src/executors/pool.js';
import { createActivities } from './activities.js';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  threads?: number;
}

let runtimeInstalled = false;

/** A Temporal worker serving the run and stage workflows and the task activities, backed by a thread pool. */
export async function startWorker(opts: WorkerOptions): Promise<{ run(): Promise<void>; shutdown(): void }> {
  if (!runtimeInstalled) {
    // The SDK logs every bundle and state change at INFO; a data team wants its own progress lines.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: opts.address });
  const pool = new TaskPool(opts.threads);
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    // Names the queue, so the server's history shows which kind of worker ran each task.
    identity: `${process.pid}@${hostname()} ${opts.taskQueue}`,
    workflowsPath: fileURLToPath(new URL('./workflows.js', import.meta.url)),
    activities: createActivities(pool),
    // The pool's tasks, four more waiting in its queue so a thread never idles through a round
    // trip to the server, and the release activity. Planning runs as local activities, apart.
    maxConcurrentActivityTaskExecutions: pool.size + 4,
  });
  return {
    async run() {
      try {
        await worker.run();
      } finally {
        await pool.close();
        await connection.close();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
