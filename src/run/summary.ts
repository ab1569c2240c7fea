import { ReleaseManifest } from '../../schemas/release.js';
import { DatasetManifest, type RunSummary } from '../../schemas/run.js';
import { joinUri, readJson } from '../storage/index.js';
import { loadPlan, loadResults } from './execute.js';
import { datasetUri, stageDir } from './paths.js';


/** Counts per stage, totals from the manifest, and the unreadable records with file and offset. */
export async function summarizeRun(workDir: string, executor: RunSummary['executor'], seconds: number): Promise<RunSummary> {
  const plan = await loadPlan(workDir);
  const stages = await Promise.all(
    plan.stages.map(async (s) => {
      const d = DatasetManifest.parse(await readJson(datasetUri(stageDir(plan, s.index))));
      return { name: s.name, docs_in: d.docs_in, docs_out: d.docs_out, dropped: d.dropped, bad_records: d.bad_records };
    }),
  );
  const ingestDir = stageDir(plan, 0);
  const errors = (await loadResults(ingestDir, 'read')).flatMap((r) => r.errors);
  const manifest = ReleaseManifest.parse(await readJson(joinUri(plan.release_dir, 'manifest.json')));
  return {
    run_id: plan.run_id,
    executor,
    release_dir: plan.release_dir,
    release_version: plan.release_version,
    stages,
    documents: manifest.totals.documents,
    samples: manifest.totals.samples,
    tokens: manifest.totals.tokens,
    shards: manifest.totals.shards,
    bad_records: stages.reduce((n, s) => n + s.bad_records, 0),
    errors,
    seconds,
  };
}
