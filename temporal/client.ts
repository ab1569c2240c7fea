import { Client, Connection } from '@temporalio/client';
import { RunSummary, type StageProgress } from '../schemas/run.js';
import type { RunRequest } from '../src/run/plan.js';
import { pipelineRun, runProgress, stageProgress } from './workflows.js';

export interface SubmitOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  onProgress?: (p: StageProgress) => void;
  /** How long to wait between progress queries (ms). */
  pollMs?: number;
}

/** Start a run on Temporal workers (workflow id = run id) and follow it through queries until it ends. */
export async function submitRun(request: RunRequest, opts: SubmitOptions): Promise<RunSummary> {
  const connection = await Connection.connect({ address: opts.address });
  try {
    const client = new Client({ connection, namespace: opts.namespace });
    const handle = await client.workflow.start(pipelineRun, { taskQueue: opts.taskQueue, workflowId: request.run_id, args: [request] });
    let finished = false;
    const result = handle.result().finally(() => {
      finished = true;
    });
    const reported = new Map<string, string>();
    const report = (p: StageProgress) => {
      const key = `${p.stage}/${p.phase}`;
      const seen = `${p.tasks_done}/${p.tasks_total}/${p.docs_out}`;
      if (reported.get(key) !== seen) {
        reported.set(key, seen);
        opts.onProgress?.(p);
      }
    };
    while (!finished && opts.onProgress) {
      try {
        const run = await handle.query(runProgress);
        run.done.forEach(report);
        if (run.current) {
          (await client.workflow.getHandle(run.current).query(stageProgress)).forEach(report);
        }
      } catch {
        // The child may not exist yet or has just closed: the next poll catches up.
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, opts.pollMs ?? 300))]);
    }
    const summary = RunSummary.parse(await result);
    if (opts.onProgress) {
      const final = await handle.query(runProgress).catch(() => null);
      final?.done.forEach(report);
    }
    return summary;
  } finally {
    await connection.close();
  }
}
