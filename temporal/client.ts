import { Client, Connection } from '@temporalio/client';
import { RunSummary, type StageProgress } from '../schemas/run.js';
import type { RunRequest } from '../src/run/plan.js';
import { PIPELINE, STAGE } from './search-attributes.js';
import { pipelineRun, runProgress } from './workflows.js';

export interface SubmitOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  onProgress?: (p: StageProgress) => void;
  /** How long to wait between progress queries (ms). */
  pollMs?: number;
}

/** True when the namespace has corpusflow's search attributes registered, so runs can carry them. */
async function hasSearchAttributes(connection: Connection, namespace: string): Promise<boolean> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return [PIPELINE, STAGE].every((k) => customAttributes?.[k.name] !== undefined);
  } catch {
    // A server that does not let this client read its registrations: run without them.
    return false;
  }
}

/** Start a run on Temporal workers (workflow id = run id) and follow it through queries until it ends. */
export async function submitRun(request: RunRequest, opts: SubmitOptions): Promise<RunSummary> {
  const connection = await Connection.connect({ address: opts.address });
  try {
    const client = new Client({ connection, namespace: opts.namespace });
    const tagged = await hasSearchAttributes(connection, opts.namespace);
    const handle = await client.workflow.start(pipelineRun, {
      taskQueue: opts.taskQueue,
      workflowId: request.run_id,
      args: [request, { search_attributes: tagged }],
      ...(tagged ? { typedSearchAttributes: [{ key: PIPELINE, value: request.pipeline.name }] } : {}),
    });
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
        if (run.current) report(run.current);
      } catch {
        // The run may be between executions (continue-as-new) or just closed: the next poll catches up.
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

/** Where a run stands, from the server's record of its workflows and their progress queries. */
export interface RunStatus {
  run_id: string;
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  seconds: number;
  /** Finished phases, then the running one. */
  phases: StageProgress[];
  /** Seconds the running phase has been going (null when none runs). */
  current_seconds: number | null;
}

export async function runStatus(runId: string, opts: { address: string; namespace: string }): Promise<RunStatus> {
  const connection = await Connection.connect({ address: opts.address });
  try {
    const client = new Client({ connection, namespace: opts.namespace });
    const handle = client.workflow.getHandle(runId);
    const run = await handle.describe();
    const end = run.closeTime?.getTime() ?? Date.now();
    const progress = await handle.query(runProgress);
    const phases = [...progress.done];
    let current_seconds: number | null = null;
    if (progress.current && run.status.name === 'RUNNING') {
      phases.push(progress.current);
      current_seconds = progress.current_started_at === null ? null : (Date.now() - progress.current_started_at) / 1000;
    }
    return { run_id: runId, status: run.status.name, seconds: (end - progress.started_at) / 1000, phases, current_seconds };
  } finally {
    await connection.close();
  }
}

/**
 * Ask a run to stop and wait until it has. A release is written only after every stage has
 * finished, so a cancelled run leaves no manifest.json behind; a run already writing its release
 * finishes it. Returns the status the run ended in.
 */
export async function cancelRun(runId: string, opts: { address: string; namespace: string }): Promise<string> {
  const connection = await Connection.connect({ address: opts.address });
  try {
    const handle = new Client({ connection, namespace: opts.namespace }).workflow.getHandle(runId);
    const before = (await handle.describe()).status.name;
    if (before !== 'RUNNING') return before;
    await handle.cancel();
    await handle.result().catch(() => undefined);
    return (await handle.describe()).status.name;
  } finally {
    await connection.close();
  }
}
