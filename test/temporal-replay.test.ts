import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { FIXTURES } from './helpers/pipelines.js';

// Quiet: the SDK logs bundling at INFO, and the refused replay below at WARN.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });

const HISTORIES = join(FIXTURES, 'temporal');
const WORKFLOWS = fileURLToPath(new URL('../temporal/workflows.js', import.meta.url));

type History = proto.temporal.api.history.v1.History;
const { History, EventType } = { History: proto.temporal.api.history.v1.History, EventType: proto.temporal.api.enums.v1.EventType };

/** The histories `fixtures/make-replay-history.ts` recorded, in protobufjs's object form. */
async function recorded(): Promise<{ name: string; history: History }[]> {
  const names = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => ({ name, history: History.fromObject(JSON.parse(await readFile(join(HISTORIES, name), 'utf8')) as object) })));
}

test('histories recorded from a quickstart run replay against the current workflow code, so a rolling upgrade can run them to the end', async () => {
  const histories = await recorded();
  // A fresh start, an execution continued as new mid-phase, and the one that publishes the release.
  assert.ok(histories.length >= 3, `expected at least 3 recorded executions in ${HISTORIES}, found ${histories.length}`);
  const kinds = histories.flatMap(({ history }) => history.events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []));
  assert.ok(kinds.includes('runTask') && kinds.includes('publishRun'));
  assert.ok(histories.some(({ history }) => history.events.at(-1)?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW));
  const replays = Worker.runReplayHistories({ workflowsPath: WORKFLOWS }, histories.map(({ name, history }) => ({ workflowId: name, history })));
  const replayed: string[] = [];
  for await (const { workflowId, error } of replays) {
    assert.equal(error, undefined, `${workflowId} no longer replays: a change to temporal/workflows.ts that alters its commands needs patched() (docs/fleet.md, "Rolling upgrades"): ${error?.message}`);
    replayed.push(workflowId);
  }
  assert.deepEqual(replayed.sort(), histories.map(({ name }) => name));
});

test('a workflow that issues other commands than the recorded ones fails the replay', async () => {
  const [first] = await recorded();
  assert.ok(first);
  // Stands for an unpatched change: planning moved from a local activity to a regular one.
  const changed = fileURLToPath(new URL('./helpers/changed-workflow.js', import.meta.url));
  await assert.rejects(Worker.runReplayHistory({ workflowsPath: changed }, first.history, first.name), DeterminismViolationError);
});
