import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { ROOT } from './pipelines.js';

/** The Temporal CLI the Makefile builds; tests run against it, never against a mock. */
export function temporalBin(): string {
  return process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(ROOT, '.tools', 'bin', 'temporal');
}

export function startTemporal(): Promise<DevServer> {
  return startDevServer(temporalBin());
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
