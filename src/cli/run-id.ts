import { randomBytes } from 'node:crypto';

/** A run id a person can read: pipeline name, UTC start time, and a random suffix. */
export function newRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${name}-${stamp}-${randomBytes(3).toString('hex')}`;
}
