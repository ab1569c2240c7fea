import { parentPort } from 'node:worker_threads';
import type { Checkpoint, TaskRef } from '../../schemas/run.js';
import { executeTask } from '../run/execute.js';
import { redact } from '../secrets.js';

/** Worker-thread entry: runs tasks sent by TaskPool, one at a time, off the caller's event loop. */
if (!parentPort) throw new Error('task-thread must run as a worker thread');
const port = parentPort;
port.on('message', (msg: { id: number; ref: TaskRef; resume: Checkpoint | 'stored' | null }) => {
  executeTask(msg.ref, { resume: msg.resume, onProgress: (progress) => port.postMessage({ id: msg.id, progress }) }).then(
    (result) => port.postMessage({ id: msg.id, result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ id: msg.id, error: { name: e.name, message: redact(e.message), stack: e.stack && redact(e.stack) } });
    },
  );
});
