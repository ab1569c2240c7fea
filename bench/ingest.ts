/**
 * Ingest throughput per core: WET records, and WARC responses with HTML main-text extraction, read
 * by our ingest stage and by the Python references on the same files, in the same run, each
 * single-threaded: warcio + trafilatura called directly, and datatrove's WarcReader + Trafilatura. The files are real Common Crawl records
 * (bench/warc-corpus.ts) repeated with fresh record ids until the run is long enough to time.
 * Rates are documents per CPU second, so other load on the machine does not count against either.
 * Run: make bench B=ingest   (BENCH_WET_RECORDS, BENCH_WARC_RECORDS size the files)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { RunPlan } from '../schemas/run.js';
import { IngestConfig, type InputFormat } from '../schemas/stages/ingest.js';
import { ingest } from '../stages/ingest/index.js';
import { storageFor } from '../src/storage/index.js';
import { buildWarcGz, realRecords, ROOT } from './warc-corpus.js';

const python = process.env.CORPUSFLOW_BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');
const WET_RECORDS = Number(process.env.BENCH_WET_RECORDS ?? 40_000);
const WARC_RECORDS = Number(process.env.BENCH_WARC_RECORDS ?? 600);

interface Rate {
  docs: number;
  seconds: number;
}

async function ours(file: string, format: InputFormat): Promise<Rate> {
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri: file, format }] });
  const plan = { base_dir: ROOT } as RunPlan;
  const start = process.cpuUsage();
  // As a task does: read the whole file, then stream its records through the reader.
  const bytes = readFileSync(file);
  let docs = 0;
  const task = { kind: 'read' as const, input_index: 0, uri: file, source_key: `bench:${bytes.length}`, bytes: bytes.length, range: null };
  for await (const item of ingest.read(task, bytes, config, { plan, storage: storageFor })) {
    if (item.kind === 'doc' && item.doc.text !== '') docs++;
  }
  const used = process.cpuUsage(start);
  return { docs, seconds: (used.user + used.system) / 1e6 };
}

async function peer(script: 'warcio_ingest.py' | 'datatrove_ingest.py', file: string, mode: 'wet' | 'warc'): Promise<Rate> {
  const { stdout } = await promisify(execFile)(python, [join(ROOT, 'bench', 'python', script), file, mode], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Rate;
}

const dir = mkdtempSync(join(tmpdir(), 'corpusflow-bench-ingest-'));
const wetFile = join(dir, 'bench.warc.wet.gz');
const warcFile = join(dir, 'bench.warc.gz');
writeFileSync(wetFile, buildWarcGz(realRecords('conversion'), WET_RECORDS));
writeFileSync(warcFile, buildWarcGz(realRecords('response'), WARC_RECORDS));

const results: Record<string, { bytes: number; raw_bytes: number; ours: Rate; warcio: Rate; datatrove: Rate }> = {};
for (const [name, file, format] of [['wet', wetFile, 'wet'], ['warc_html', warcFile, 'warc']] as const) {
  const bytes = readFileSync(file);
  await ours(file, format); // warm-up: JIT and the extractor's first pages
  results[name] = {
    bytes: bytes.length, raw_bytes: gunzipSync(bytes).length, ours: await ours(file, format),
    warcio: await peer('warcio_ingest.py', file, format), datatrove: await peer('datatrove_ingest.py', file, format),
  };
}
rmSync(dir, { recursive: true, force: true });

const perSec = (r: Rate) => r.docs / r.seconds;
const mb = (n: number) => n / 1e6;
const round = (x: number, d = 0) => Number(x.toFixed(d));
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name}: ${r.ours.docs} docs, ${round(mb(r.bytes), 1)} MB gz (${round(mb(r.raw_bytes), 1)} MB raw) | ours ${round(perSec(r.ours))} docs/s, ` +
      `${round(mb(r.raw_bytes) / r.ours.seconds, 1)} MB/s raw | warcio${name === 'wet' ? '' : ' + trafilatura'} ${round(perSec(r.warcio))} docs/s ` +
      `(${r.warcio.docs} docs), ${round(mb(r.raw_bytes) / r.warcio.seconds, 1)} MB/s raw | ratio ${round(perSec(r.ours) / perSec(r.warcio), 2)} | ` +
      `datatrove ${round(perSec(r.datatrove))} docs/s (${r.datatrove.docs} docs), ratio ${round(perSec(r.ours) / perSec(r.datatrove), 2)}`,
  );
}
const wet = results.wet!, html = results.warc_html!;
console.log(JSON.stringify({
  bench: 'ingest',
  unit: 'docs/s/core',
  ours: round(perSec(html.ours)),
  peers: { warcio_trafilatura: round(perSec(html.warcio)), datatrove_trafilatura: round(perSec(html.datatrove)) },
  ratios: {
    warcio_trafilatura: round(perSec(html.ours) / perSec(html.warcio), 2),
    datatrove_trafilatura: round(perSec(html.ours) / perSec(html.datatrove), 2),
    warcio_wet: round(perSec(wet.ours) / perSec(wet.warcio), 2),
    datatrove_wet: round(perSec(wet.ours) / perSec(wet.datatrove), 2),
  },
  targets: { warcio_trafilatura: 3, datatrove_trafilatura: 3, warcio_wet: 3, datatrove_wet: 3 },
  warc_html: { docs: html.ours.docs, peer_docs: html.warcio.docs, ours_mb_s: round(mb(html.raw_bytes) / html.ours.seconds, 1), peer_mb_s: round(mb(html.raw_bytes) / html.warcio.seconds, 1) },
  wet: { docs: wet.ours.docs, ours_docs_s: round(perSec(wet.ours)), peer_docs_s: round(perSec(wet.warcio)), datatrove_docs_s: round(perSec(wet.datatrove)), ours_mb_s: round(mb(wet.raw_bytes) / wet.ours.seconds, 1), peer_mb_s: round(mb(wet.raw_bytes) / wet.warcio.seconds, 1) },
}));
