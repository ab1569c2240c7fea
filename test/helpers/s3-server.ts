/**
 * A real S3-compatible server on loopback for tests: versitygw with its POSIX backend
 * (built by `make .tools/bin/versitygw`). Each call starts its own server on a free port
 * with a fresh data directory, so tests never share state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { resetStorageCache } from '../../src/storage/index.js';

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

/** The repo root: the nearest directory above this file holding package.json (works from dist/ too). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export function s3ServerBin(): string {
  return process.env.CORPUSFLOW_S3_SERVER_BIN || path.join(repoRoot(), '.tools', 'bin', 'versitygw');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once the server answers HTTP (any status); rejects if it exits or the wait runs out. */
async function waitUntilReady(child: ChildProcess, endpoint: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`S3 server exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${stderr()}`);
    }
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`S3 server did not accept requests at ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
}

async function startOnce(bin: string): Promise<S3Server> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'corpusflow-s3-'));
  const objects = path.join(dataDir, 'objects');
  const meta = path.join(dataDir, 'meta'); // sidecar metadata: no need for xattr support on the fs
  await mkdir(objects);
  await mkdir(meta);
  const port = await freePort();
  const region = 'us-east-1';
  const accessKeyId = `test${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const endpoint = `http://127.0.0.1:${port}`;

  // Credentials go through the environment, not argv, so they never show in `ps`.
  const child = spawn(bin, ['--port', `127.0.0.1:${port}`, '--region', region, 'posix', '--sidecar', meta, objects], {
    env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`cannot start S3 server ${bin}: ${err.message}`))),
  );
  spawnError.catch(() => undefined); // a late 'error' (after start-up) must not be an unhandled rejection
  // A crashed test process must not leave the server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = waitForExit(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await Promise.race([waitUntilReady(child, endpoint, () => log), spawnError]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, region, accessKeyId, secretAccessKey, stop };
}

export async function startS3Server(): Promise<S3Server> {
  const bin = s3ServerBin();
  if (!existsSync(bin)) {
    throw new Error(`S3 server binary not found at ${bin}: run \`make .tools/bin/versitygw\` or set CORPUSFLOW_S3_SERVER_BIN`);
  }
  // The free port can be taken between probing and binding: try a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin);
    } catch (err) {
      lastError = err;
      if (!(err instanceof Error && /address already in use/i.test(err.message))) throw err;
    }
  }
  throw lastError;
}

/**
 * A loopback S3 server that whole pipeline runs use: its endpoint and credentials go into the
 * environment (worker threads copy process.env when they start), and `bucket` exists.
 */
export async function startS3ForRuns(bucket: string): Promise<S3Server> {
  const s3 = await startS3Server();
  Object.assign(process.env, {
    CORPUSFLOW_S3_ENDPOINT: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });
  resetStorageCache();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return s3;
}
