import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { after, before } from 'node:test';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { startWorker } from '../../temporal/worker.js';
import { ROOT } from './pipelines.js';

/** The Temporal CLI the Makefile builds; tests run against it, never against a mock. */
export function temporalBin(): string {
  return process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(ROOT, '.tools', 'bin', 'temporal');
}

export function startTemporal(): Promise<DevServer> {
  return startDevServer(temporalBin());
}

/** A dev server and one in-process worker on `taskQueue` for the whole test file, stopped after it. */
export function withTemporalWorker(taskQueue: string, threads: number): { readonly server: DevServer } {
  let server: DevServer | null = null;
  let worker: { run(): Promise<void>; shutdown(): void };
  let running: Promise<void>;
  before(async () => {
    server = await startTemporal();
    worker = await startWorker({ address: server.address, namespace: 'default', taskQueue, threads });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await server?.stop();
  });
  return {
    get server(): DevServer {
      if (!server) throw new Error('the Temporal dev server starts in before()');
      return server;
    },
  };
}

/** Where each task activity of a run was scheduled and which worker started it, read from the run's history. */
export async function taskPlacements(client: Client, workflowId: string): Promise<{ stage: number; queue: string; worker: string }[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  return events.flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    const scheduled = started ? byId.get(String(started.scheduledEventId))?.activityTaskScheduledEventAttributes : undefined;
    if (!started || scheduled?.activityType?.name !== 'runTask') return [];
    const input = JSON.parse(Buffer.from(scheduled.input?.payloads?.[0]?.data ?? new Uint8Array()).toString('utf8')) as { stage_index: number };
    return [{ stage: input.stage_index, queue: scheduled.taskQueue?.name ?? '', worker: started.identity ?? '' }];
  });
}
