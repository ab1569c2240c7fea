#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PipelineSpec } from '../../schemas/pipeline.js';
import type { RunSummary } from '../../schemas/run.js';
import type { RunRequest } from '../run/plan.js';
import { runLocal } from '../executors/local.js';
import { ConfigError, loadPipeline, pipelineJsonSchema } from '../pipeline.js';
import { auditCommand, traceCommand } from './audit.js';
import { formatSummary, progressPrinter } from './progress.js';
import { diffCommand, forgetCommand, verifyCommand } from './release.js';
import { redact } from '../secrets.js';
import { checkRunId, newRunId } from './run-id.js';

const USAGE = `corpusflow: web crawls to deduplicated, tokenized WebDataset shards, with provenance

Usage:
  corpusflow run <pipeline.yaml> [--out DIR] [--threads N] [--strict] [--run-id ID | --resume ID] [--json]
      run on this machine (worker threads)
  corpusflow worker [--address HOST:PORT] [--namespace NS] [--task-queue Q] [--threads N]
      serve Temporal activities and workflows
  corpusflow submit <pipeline.yaml> [--out DIR] [--address HOST:PORT] [--strict] [--run-id ID | --resume ID] [--json]
      start a run on Temporal workers and follow its progress
  corpusflow status <run-id> [--address HOST:PORT] [--json]
      progress of a submitted run: a bar per stage phase, docs/s and ETA for the running one
  corpusflow cancel <run-id> [--address HOST:PORT]
      stop a submitted run and wait until it has stopped; it publishes no release
  corpusflow validate <pipeline.yaml>
      check a pipeline file and print it with defaults filled in
  corpusflow signals <release-dir | provenance.duckdb> [--html FILE]
      histograms of every quality signal recorded, as text or a self-contained HTML page
  corpusflow train-classifier <labelled.jsonl> --out MODEL [--epoch N] [--lr X]
      train a fastText quality classifier from {"text", "label"} lines (WebAssembly, deterministic)
  corpusflow schema
      print the JSON Schema of pipeline files (for editors; committed as schemas/pipeline.schema.json)
  corpusflow trace <release> --url U | --doc-id D | --sample SHARD:KEY [--json]
      the full path of a document: source file and offset, every stage decision and its reason,
      dedup cluster, PII counts by type, and the shards and token ranges that hold it
  corpusflow audit <release> [PRESET | SQL] [--param NAME=VALUE]... [--json]
      answer a preset question (licenses, filter-funnel, pii-summary, languages, sources, ...; none
      lists them) or run one read-only SQL statement on the release's provenance.duckdb
  corpusflow verify <release> [--json]
      re-hash every shard against manifest.json, parse each tar (no links, no names outside the
      folder) and check sample and token counts; exit 1 on any fault
  corpusflow diff <releaseA> <releaseB> [--json]
      documents added and removed, token and sample deltas, changed shards and config differences
  corpusflow forget <release> --url U | --domain D | --doc-id D [--reason R] [--json]
      erase documents after release: writes v<N+1> rewriting only the shards that hold them,
      records the request in its provenance and data card
  corpusflow crawl <urls.txt> --warc FILE.warc.gz [--concurrency N] [--per-host N] [--delay-ms MS]
                   [--retries N] [--user-agent UA] [--max-depth N] [--max-pages-per-host N] [--warc-max-bytes N]
      fetch the URLs (one per line) politely (robots.txt, per-host limits, retries) into a WARC
      that an ingest input with format: warc reads; --max-depth follows same-host links and
      robots.txt sitemaps that many clicks deep; the WARC rotates to FILE-00001.warc.gz, … by size

--out       root of runs/ and releases/ (a folder or s3://bucket/prefix; default: out)
--strict    exit with status 3 when any input record was unreadable
--resume    finish an interrupted run under --out with the same pipeline: tasks whose stored
            outputs still match their checksums are reused, the others run again
--address   Temporal frontend (default: $TEMPORAL_ADDRESS or 127.0.0.1:7233)
<release>   a release folder (out/releases/<name>/v<N>, or s3://...) or its provenance.duckdb
--param     binds $NAME in the SQL to VALUE (never spliced into the query text)
`;

const OPTIONS = {
  out: { type: 'string', default: 'out' },
  threads: { type: 'string' },
  strict: { type: 'boolean', default: false },
  'run-id': { type: 'string' },
  resume: { type: 'string' },
  json: { type: 'boolean', default: false },
  address: { type: 'string' },
  namespace: { type: 'string', default: 'default' },
  'task-queue': { type: 'string', default: 'corpusflow' },
  url: { type: 'string' },
  'doc-id': { type: 'string' },
  sample: { type: 'string' },
  domain: { type: 'string' },
  reason: { type: 'string' },
  param: { type: 'string', multiple: true },
  html: { type: 'string' },
  epoch: { type: 'string' },
  lr: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  warc: { type: 'string' },
  concurrency: { type: 'string' },
  'per-host': { type: 'string' },
  'delay-ms': { type: 'string' },
  retries: { type: 'string' },
  'user-agent': { type: 'string' },
  'max-depth': { type: 'string' },
  'max-pages-per-host': { type: 'string' },
  'warc-max-bytes': { type: 'string' },
} as const;

function finish(summary: RunSummary, json: boolean, strict: boolean): number {
  process.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
  return strict && summary.bad_records > 0 ? 3 : 0;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [command, file, query] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const threads = values.threads ? Number(values.threads) : undefined;
  const address = values.address ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const runRequest = (spec: PipelineSpec, baseDir: string): RunRequest => {
    if (values.resume && values['run-id'] && values.resume !== values['run-id']) throw new ConfigError('--resume names the run id: leave out --run-id');
    const run_id = checkRunId(values.resume ?? values['run-id'] ?? newRunId(spec.name));
    return { run_id, pipeline: spec, base_dir: baseDir, out: outRoot(values.out), resume: values.resume !== undefined };
  };
  const needFile = () => {
    if (!file) throw new ConfigError(`corpusflow ${command}: name a pipeline file`);
    return loadPipeline(file);
  };

  switch (command) {
    case 'signals': {
      if (!file) throw new ConfigError('corpusflow signals: name a release folder or a provenance.duckdb');
      const { signalHistograms, signalsHtml, signalsText } = await import('../../stages/quality/report.js');
      const db = file.endsWith('.duckdb') ? file : join(file, 'provenance.duckdb');
      const hists = await signalHistograms(db);
      if (values.html) await writeFile(values.html, signalsHtml(hists, `Quality signals: ${file}`));
      else process.stdout.write(signalsText(hists));
      return 0;
    }
    case 'train-classifier': {
      if (!file || values.out === 'out') throw new ConfigError('corpusflow train-classifier: name a labelled JSONL file and --out MODEL');
      const { trainClassifier } = await import('../../stages/quality/classifier.js');
      const model = await trainClassifier(await readFile(file, 'utf8'), {
        ...(values.epoch ? { epoch: Number(values.epoch) } : {}),
        ...(values.lr ? { lr: Number(values.lr) } : {}),
      });
      await writeFile(values.out, model);
      process.stdout.write(`${values.out}: ${model.length} bytes\n`);
      return 0;
    }
    case 'crawl': {
      if (!file) throw new ConfigError('corpusflow crawl: name a file of URLs');
      const { runCrawl } = await import('../crawl/cli.js');
      const summary = await runCrawl(file, {
        out: values.warc, concurrency: values.concurrency, per_host_concurrency: values['per-host'], per_host_delay_ms: values['delay-ms'],
        retries: values.retries, user_agent: values['user-agent'], max_depth: values['max-depth'],
        max_pages_per_host: values['max-pages-per-host'], warc_max_bytes: values['warc-max-bytes'],
      });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return summary.failed > 0 ? 1 : 0;
    }
    case 'schema':
      process.stdout.write(pipelineJsonSchema());
      return 0;
    case 'validate': {
      const { spec } = await needFile();
      process.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
      return 0;
    }
    case 'run': {
      const { spec, baseDir } = await needFile();
      const summary = await runLocal(runRequest(spec, baseDir), { threads, onProgress: progressPrinter() });
      return finish(summary, values.json, values.strict);
    }
    case 'submit': {
      const { spec, baseDir } = await needFile();
      const { submitRun } = await import('../../temporal/client.js');
      const summary = await submitRun(runRequest(spec, baseDir), { address, namespace: values.namespace, taskQueue: values['task-queue'], onProgress: progressPrinter() });
      return finish(summary, values.json, values.strict);
    }
    case 'trace':
      return traceCommand(file, { url: values.url, docId: values['doc-id'], sample: values.sample, json: values.json });
    case 'verify':
      return verifyCommand(file, values.json);
    case 'diff':
      return diffCommand(file, query, values.json);
    case 'forget':
      return forgetCommand(file, { url: values.url, domain: values.domain, docId: values['doc-id'], reason: values.reason, json: values.json });
    case 'audit':
      return auditCommand(file, query, { params: values.param ?? [], json: values.json });
    case 'status': {
      if (!file) throw new ConfigError('corpusflow status: name a run id');
      const { runStatus } = await import('../../temporal/client.js');
      const { formatStatus } = await import('./status.js');
      const status = await runStatus(file, { address, namespace: values.namespace });
      process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
      return 0;
    }
    case 'cancel': {
      if (!file) throw new ConfigError('corpusflow cancel: name a run id');
      const { cancelRun } = await import('../../temporal/client.js');
      const status = await cancelRun(file, { address, namespace: values.namespace });
      process.stdout.write(`run ${file}: ${status}\n`);
      return status === 'CANCELLED' ? 0 : 1;
    }
    case 'worker': {
      const { startWorker } = await import('../../temporal/worker.js');
      const worker = await startWorker({ address, namespace: values.namespace, taskQueue: values['task-queue'], threads });
      process.stderr.write(`corpusflow worker on ${address}, task queue ${values['task-queue']}\n`);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
      await worker.run();
      return 0;
    }
    default:
      process.stderr.write(`corpusflow: unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

/** Local output roots are made absolute so workers in other directories agree on them. */
function outRoot(out: string): string {
  return out.startsWith('s3://') ? out : resolve(out);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error;
    // A ConfigError thrown in a task thread arrives as a TaskError carrying the same name.
    const config = e instanceof ConfigError || e.name === 'ConfigError';
    process.stderr.write(redact(`corpusflow: ${config ? e.message : (e.stack ?? e.message)}\n`));
    process.exitCode = config ? 2 : 1;
  },
);
