import { proxyActivities } from '@temporalio/workflow';
import type { RunRequest } from '../../src/run/plan.js';
import type { Activities } from '../../temporal/activities.js';

const control = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes' });

/**
 * `pipelineRun` after an unpatched change: it plans the run with a regular activity where the
 * recorded histories hold a local activity's marker. The replay test needs it to show that the
 * replayer refuses a workflow whose commands differ from a history's.
 */
export async function pipelineRun(request: RunRequest): Promise<void> {
  await control.createRun(request);
}
