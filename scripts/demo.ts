/**
 * `make demo`: run the quickstart pipeline through Temporal. Uses the server at $TEMPORAL_ADDRESS
 * (or 127.0.0.1:7233) when one answers; otherwise starts the Temporal CLI dev server on loopback
 * and stops it afterwards. A worker runs in this process.
 */
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSummary, progressPrinter } from '../src/cli/progress.js';
import { newRunId } from '../src/cli/run-id.js';
import { loadPipeline } from '../src/pipeline.js';
import { submitRun } from '../temporal/client.js';
import { reachable, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { startWorker } from '../temporal/worker.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const taskQueue = 'corpusflow-demo';

let address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
let server: DevServer | null = null;
if (!(await reachable(address))) {
  const bin = process.env.CORPUSFLOW_TEMPORAL_BIN ?? join(root, '.tools', 'bin', 'temporal');
  process.stderr.write(`no Temporal server at ${address}; starting the dev server (${relative(root, bin)})\n`);
  server = await startDevServer(bin, { ui: true });
  address = server.address;
  process.stderr.write(`Temporal dev server on ${address}, web UI at ${server.uiUrl} while the demo runs\n`);
}

const worker = await startWorker({ address, namespace: 'default', taskQueue });
const running = worker.run();
try {
  const { spec, baseDir } = await loadPipeline(join(root, 'pipelines', 'quickstart.yaml'));
  const summary = await submitRun(
    { run_id: newRunId(spec.name), pipeline: spec, base_dir: baseDir, out: join(root, 'out') },
    { address, namespace: 'default', taskQueue, onProgress: progressPrinter() },
  );
  process.stdout.write(`\n${formatSummary(summary)}\n`);
  process.stdout.write(`\nrelease: ${relative(root, summary.release_dir)}/{manifest.json,index.wids.json,provenance.duckdb,DATACARD.md,datacard.html,shards/}\n`);
} finally {
  worker.shutdown();
  await running;
  await server?.stop();
}
