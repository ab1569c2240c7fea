import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { ROOT } from './pipelines.js';

/** The Temporal CLI the Makefile builds; tests run against it, never against a mock. */
export function temporalBin(): string {
  return process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(ROOT, '.tools', 'bin', 'temporal');
}

export function startTemporal(): Promise<DevServer> {
  return startDevServer(temporalBin());
}
