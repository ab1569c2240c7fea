import { spawn, type ChildProcess } from 'node:child_process';
import { storageFor } from '../../src/storage/index.js';
import { CLI } from './cli.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker polls its queue, or once it exits. */
  ready: Promise<void>;
}

/** `corpusflow worker` as its own process with one task thread, as a fleet machine runs it; its stderr goes to `log`. */
export function spawnWorker(address: string, taskQueue: string, log: string[] = []): WorkerProcess {
  const child = spawn('node', [CLI, 'worker', '--address', address, '--task-queue', taskQueue, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ready = new Promise<void>((resolve) => {
    child.stderr?.on('data', (d: Buffer) => {
      log.push(d.toString());
      if (d.toString().includes('corpusflow worker on')) resolve();
    });
    child.once('exit', () => resolve());
  });
  return { child, ready };
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Every object under a release, by its name inside the release. */
export async function releaseFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const o of await storageFor(dir).list(dir)) out.set(o.uri.slice(dir.length + 1), await storageFor(o.uri).read(o.uri));
  return out;
}
