import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from './search-attributes.js';

export interface DevServer {
  address: string;
  /** The SQLite file holding all state: start again on it (same port) to restart the server. */
  db: string;
  port: number;
  /** The server's process id (benches read its CPU time from /proc). */
  pid: number;
  uiUrl: string | null;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections at host:port. */
export function reachable(address: string, timeoutMs = 500): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.connect(Number(port), host ?? '127.0.0.1', () => done(true));
  });
}

/**
 * What the dev server changes from its defaults, measured on the quickstart (43 tasks, one worker
 * thread) as the time the task thread sits idle waiting for the server, and the server's CPU per run:
 * 0.9-1.1 s idle and 1.4-1.5 s CPU with the defaults, 0.3 s and 0.9 s with all three
 * (docs/fleet.md, "Orchestration overhead").
 * - WAL journal, synchronous=NORMAL: by default every history write is a rollback-journal commit
 *   waiting on fsync. In WAL mode a commit survives a killed server process (only a power cut can
 *   lose the last ones), which is all a dev server restarted on its file needs.
 * - Eager activity dispatch: the activities a workflow task schedules come back to its worker in
 *   the completion reply, up to its free slots, instead of through a poll of the task queue.
 * - One task-queue partition: with the default four, a worker's few pollers and a run's tasks
 *   spread over partitions and meet through forwarding; one partition serves far more tasks per
 *   second than a dev server's workers run.
 */
export const DEV_SERVER_TUNING = [
  '--sqlite-pragma', 'journal_mode=wal',
  '--sqlite-pragma', 'synchronous=normal',
  '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
  '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
];

/**
 * Start the Temporal CLI dev server (built from source by the Makefile) on loopback, with its
 * SQLite store in a temp folder and corpusflow's search attributes registered, and wait until its frontend answers gRPC. Given the `port` and
 * `db` of a stopped server, it restarts that server with its workflows where they were.
 */
export async function startDevServer(bin: string, opts: { ui?: boolean; port?: number; db?: string } = {}): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.ui ? await freePort() : null;
  const db = opts.db ?? join(await mkdtemp(join(tmpdir(), 'cf-temporal-')), 'temporal.db');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', db, '--log-level', 'error', ...SEARCH_ATTRIBUTE_FLAGS, ...DEV_SERVER_TUNING];
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode}: ${stderr}`);
    if (await reachable(address)) {
      try {
        const conn = await Connection.connect({ address, connectTimeout: 2000 });
        await conn.workflowService.getSystemInfo({});
        await conn.close();
        break;
      } catch {
        // frontend is up but not serving yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server did not answer on ${address} within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    db,
    port,
    pid: child.pid as number,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
