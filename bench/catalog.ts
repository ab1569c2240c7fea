/**
 * Catalog scale: generate the provenance fragments of an N-document run (default 10M; set
 * CORPUSFLOW_BENCH_DOCS), then time loading them into provenance.duckdb the way buildCatalog does,
 * `corpusflow trace` lookups on the result, and the data card. No Python peer keeps a per-document
 * catalog (datatrove keeps stats and removed-document dumps, Data-Juicer traces the first N
 * changed samples per op), so there is no ratio: the targets are the issue's (load in minutes,
 * trace under a second).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { PROVENANCE_TABLES } from '../schemas/provenance.js';
import { sqlString } from '../src/parts/parquet.js';
import { finishCatalog, loadFragments } from '../src/provenance/catalog.js';
import { CatalogReader } from '../src/provenance/reader.js';
import { traceDocuments } from '../src/provenance/trace.js';
import { collectDataCard } from '../src/release/datacard.js';

const DOCS = Number(process.env.CORPUSFLOW_BENCH_DOCS ?? 10_000_000);
/** Documents per task, as an ingest task over one ~100 MB WET file would see. */
const PER_TASK = 100_000;
const DOCS_PER_SOURCE = 20_000;
const SAMPLES_PER_SHARD = 1_024;

/** One task's fragments: documents, sources and events of all four stages, and the samples of the documents kept. */
const fragmentSql: Record<keyof typeof PROVENANCE_TABLES, ((lo: number, hi: number) => string) | null> = {
  documents: (lo, hi) => `SELECT substr(md5(i::VARCHAR), 1, 32) AS doc_id,
      's3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/' || (i // ${DOCS_PER_SOURCE}) || '.warc.wet.gz' AS source_uri,
      (i % ${DOCS_PER_SOURCE}) * 2600 AS source_offset, '<urn:uuid:' || md5('r' || i) || '>' AS record_id,
      'https://site' || (i % 200003) || '.example/page/' || i AS url, 'site' || (i % 200003) || '.example' AS domain,
      '2024-05-18T01:58:10Z' AS fetch_date, 'CC-TOU' AS license, 'ok' AS status, 500 + (i * 7919) % 20000 AS text_bytes
    FROM range(${lo}, ${hi}) t(i)`,
  sources: (lo, hi) => `SELECT 's3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/' || s || '.warc.wet.gz' AS uri, md5('f' || s) || md5('g' || s) AS sha256,
      ${DOCS_PER_SOURCE * 2600} AS bytes, 'wet' AS format, 'CC-TOU' AS license, ${DOCS_PER_SOURCE} AS records, 0 AS bad_records
    FROM range(${lo / DOCS_PER_SOURCE}, ${hi / DOCS_PER_SOURCE}) t(s)`,
  // 20% fail langid, 10% of the rest fail a Gopher rule; the rest are tokenized.
  doc_events: (lo, hi) => `WITH d AS (SELECT i, substr(md5(i::VARCHAR), 1, 32) AS doc_id FROM range(${lo}, ${hi}) t(i))
    SELECT 'bench' AS run_id, 'ingest' AS stage, 1 AS stage_version, 'read' AS phase, doc_id, 'keep' AS action, NULL AS reason, '{}' AS detail FROM d
    UNION ALL SELECT 'bench', 'langid', 1, 'map', doc_id, CASE WHEN i % 5 = 0 THEN 'drop' ELSE 'keep' END,
      CASE WHEN i % 5 = 0 THEN 'lang_not_allowed' END, CASE WHEN i % 5 = 0 THEN '{"lang":"ru","score":0.93}' ELSE '{"lang":"en","score":0.91}' END FROM d
    UNION ALL SELECT 'bench', 'quality', 1, 'map', doc_id, CASE WHEN i % 10 = 1 THEN 'drop' ELSE 'keep' END,
      CASE WHEN i % 10 = 1 THEN 'gopher_quality:word_count' END, '{}' FROM d WHERE i % 5 <> 0
    UNION ALL SELECT 'bench', 'shard', 1, 'tokenize', doc_id, 'keep', NULL, '{"tokens":' || (120 + i % 4000) || '}' FROM d WHERE i % 5 <> 0 AND i % 10 <> 1`,
  samples: (lo, hi) => `SELECT 'bench-' || lpad((i // (8 * ${SAMPLES_PER_SHARD}))::VARCHAR, 6, '0') || '.tar' AS shard, lpad((i // 8)::VARCHAR, 9, '0') AS key,
      substr(md5(i::VARCHAR), 1, 32) AS doc_id, (i % 8) * 256 AS sample_start, (i % 8) * 256 + 256 AS sample_end, 0 AS doc_token_start
    FROM range(${lo}, ${hi}) t(i) WHERE i % 5 <> 0 AND i % 10 <> 1`,
  shards: null,
  dedup_clusters: null,
  synth_pairs: null,
  erasures: null,
};

const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-bench-catalog-'));
  try {
    const gen = await (await DuckDBInstance.create(':memory:')).connect();
    const fragments: Record<string, string[]> = {};
    const t0 = performance.now();
    for (let lo = 0, task = 0; lo < DOCS; lo += PER_TASK, task++) {
      const hi = Math.min(DOCS, lo + PER_TASK);
      for (const [table, sql] of Object.entries(fragmentSql)) {
        if (!sql) continue;
        const file = join(dir, `${table}-${task}.parquet`);
        await gen.run(`COPY (${sql(lo, hi)}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
        (fragments[table] ??= []).push(file);
      }
    }
    process.stderr.write(`generated ${DOCS} documents' fragments in ${seconds(t0)} s\n`);

    const dbFile = join(dir, 'provenance.duckdb');
    const t1 = performance.now();
    const instance = await DuckDBInstance.create(dbFile);
    const conn = await instance.connect();
    await loadFragments(conn, fragments);
    const stages = ['ingest', 'langid', 'quality', 'shard'];
    await conn.run(`CREATE TABLE runs AS SELECT 'bench' AS run_id, 'bench' AS pipeline, '0' AS pipeline_hash, '0.1.0' AS code_version, 1 AS release_version,
      '{"description":"catalog benchmark"}' AS pipeline_config`);
    await conn.run(`CREATE TABLE stages AS SELECT stage_index, name, 1 AS version, '{"stage":"' || name || '"}' AS config, '0' AS config_hash,
        (SELECT count(*) FROM doc_events e WHERE e.stage = name) AS docs_in, (SELECT count(*) FILTER (WHERE action <> 'drop') FROM doc_events e WHERE e.stage = name) AS docs_out
      FROM (VALUES ${stages.map((name, i) => `(${i}, ${sqlString(name)})`).join(', ')}) v(stage_index, name)`);
    await conn.run(`INSERT INTO shards SELECT shard, md5(shard) || md5(shard), count(DISTINCT key) * 4096, count(DISTINCT key), sum(sample_end - sample_start) FROM samples GROUP BY shard`);
    await finishCatalog(conn);
    conn.closeSync();
    instance.closeSync();
    const load = seconds(t1);
    const dbBytes = (await stat(dbFile)).size;
    process.stderr.write(`loaded into provenance.duckdb (${(dbBytes / 1e9).toFixed(2)} GB) in ${load} s\n`);

    const reader = await CatalogReader.open(dbFile);
    const latencies: number[] = [];
    // Documents spread over the id space, kept and dropped alike; the first lookup opens the file.
    for (let k = 0; k < 50; k++) {
      const i = Math.floor(((k * 7_368_787) % DOCS));
      const t = performance.now();
      const [trace] = await traceDocuments(reader, { url: `https://site${i % 200003}.example/page/${i}` });
      latencies.push(performance.now() - t);
      if (!trace || trace.events.length === 0) throw new Error(`no trace for document ${i}`);
    }
    const t2 = performance.now();
    const bySample = await traceDocuments(reader, { sample: `bench-000003.tar:${String(3 * 8 * SAMPLES_PER_SHARD / 8 + 5).padStart(9, '0')}` });
    const sampleMs = performance.now() - t2;
    const t3 = performance.now();
    await collectDataCard(reader, dir);
    const card = seconds(t3);
    reader.close();

    latencies.sort((a, b) => a - b);
    const ms = (v: number | undefined) => Math.round((v ?? 0) * 10) / 10;
    const result = {
      bench: 'catalog', unit: 'docs/s (catalog load)', ours: Math.round(DOCS / load), peers: {}, ratios: {},
      targets: { load_seconds: 600, trace_ms: 1000 },
      documents: DOCS, doc_events: DOCS * 3.5, load_seconds: load, db_bytes: dbBytes,
      trace_url_ms_median: ms(latencies[Math.floor(latencies.length / 2)]), trace_url_ms_p95: ms(latencies[Math.floor(latencies.length * 0.95)]),
      trace_url_ms_max: ms(latencies.at(-1)), trace_sample_ms: ms(sampleMs), trace_sample_docs: bySample.length, datacard_seconds: card,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
