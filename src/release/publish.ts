import { relative } from 'node:path';
import { ReleaseManifest, SynthRelease } from '../../schemas/release.js';
import { DatasetManifest } from '../../schemas/run.js';
import { loadPlan, loadResults } from '../run/execute.js';
import { datasetUri, stageDir } from '../run/paths.js';
import { DATACARD_FILES, writeDataCard } from './datacard.js';
import { joinUri, readJson, storageFor } from '../storage/index.js';
import { shardUrl } from './shard-location.js';


/** How a release names its inputs: relative to the pipeline file, so the manifest does not depend on where the checkout sits. */
function displayUri(uri: string, baseDir: string): string {
  return uri.startsWith('s3://') ? uri : relative(baseDir, uri);
}

/** index.wids.json: wids resolves shard URLs relative to the index file; a carried shard's URL leads into the version that holds it. */
export function widsIndex(manifest: ReleaseManifest): string {
  const index = {
    __kind__: 'wids-shard-index-v1',
    wids_version: 1,
    name: `${manifest.name}-v${manifest.version}`,
    shardlist: manifest.shards.map((s) => ({ url: shardUrl(s), nsamples: s.samples, filesize: s.bytes })),
  };
  return `${JSON.stringify(index, null, 2)}\n`;
}

/**
 * Write index.wids.json, the data card (from the catalog already in the release) and then manifest.json into the release folder. The manifest goes last: a
 * version without one is unfinished and the next run may overwrite it.
 */
export async function publishRelease(workDir: string): Promise<ReleaseManifest> {
  const plan = await loadPlan(workDir);
  const results = (stageIndex: number, phase: string) => loadResults(stageDir(plan, stageIndex), phase);
  const last = plan.stages.at(-1);
  if (!last || last.name !== 'shard') throw new Error('a release needs a shard stage last');
  const [pack] = await results(last.index, 'pack');
  if (!pack) throw new Error('the shard stage has no pack result');
  const ingest = await results(0, 'read');
  const stages = await Promise.all(
    plan.stages.map(async (s) => {
      const d = DatasetManifest.parse(await readJson(datasetUri(stageDir(plan, s.index))));
      return { name: s.name, version: s.version, config_hash: s.config_hash, docs_in: d.docs_in, docs_out: d.docs_out };
    }),
  );
  const shards = ReleaseManifest.shape.shards.parse(pack.stats.shards);
  const synthStage = plan.stages.find((s) => s.name === 'synth');
  const synth = synthStage ? SynthRelease.parse(((await results(synthStage.index, 'generate'))[0]?.stats.synth as { release?: unknown } | undefined)?.release) : undefined;
  const manifest = ReleaseManifest.parse({
    schema_version: 1,
    name: plan.pipeline.name,
    version: plan.release_version,
    parent_version: plan.parent_version,
    code_version: plan.code_version,
    pipeline_hash: plan.pipeline_hash,
    stages,
    inputs: ingest
      .flatMap((r) => r.stats.sources as { uri: string; sha256: string; bytes: number; license: string | null }[])
      .map(({ uri, sha256, bytes, license }) => ({ uri: displayUri(uri, plan.base_dir), sha256, bytes, license })),
    tokenizer: pack.stats.tokenizer,
    packing: pack.stats.packing,
    shards,
    totals: {
      documents: pack.docs_out,
      samples: shards.reduce((n, s) => n + s.samples, 0),
      tokens: shards.reduce((n, s) => n + s.tokens, 0),
      shards: shards.length,
      bytes: shards.reduce((n, s) => n + s.bytes, 0),
    },
    synth,
    files: { index: 'index.wids.json', provenance: 'provenance.duckdb', datacard: DATACARD_FILES },
  });
  const indexUri = joinUri(plan.release_dir, 'index.wids.json');
  await storageFor(indexUri).write(indexUri, widsIndex(manifest));
  await writeDataCard(plan.release_dir, plan.base_dir, manifest.shards);
  const manifestUri = joinUri(plan.release_dir, 'manifest.json');
  await storageFor(manifestUri).write(manifestUri, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
