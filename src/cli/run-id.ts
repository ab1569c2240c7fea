import { randomBytes } from 'node:crypto';
import { RunId } from '../../schemas/run.js';
import { ConfigError } from '../pipeline.js';

/** A run id a person can read: pipeline name, UTC start time, and a random suffix. */
export function newRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${name}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A --run-id checked before it names a workflow or a folder; the message says what an id may hold. */
export function checkRunId(id: string): string {
  const r = RunId.safeParse(id);
  if (!r.success) throw new ConfigError(`--run-id ${JSON.stringify(id)}: ${r.error.issues[0]?.message}`);
  return id;
}
