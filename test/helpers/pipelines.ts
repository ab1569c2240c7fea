import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { RunRequest } from '../../src/run/plan.js';
import { loadPipeline } from '../../src/pipeline.js';

/** The repository root (tests run from dist/test/). */
export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const FIXTURES = join(ROOT, 'fixtures');

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `cf-test-${prefix}-`));
}

/** A run request for a pipeline file, writing under `out`. */
export async function request(pipelineFile: string, out: string, runId: string): Promise<RunRequest> {
  const { spec, baseDir } = await loadPipeline(pipelineFile);
  return { run_id: runId, pipeline: spec, base_dir: baseDir, out };
}

/** Write a pipeline YAML into `dir` and return its path; input uris are used as given. */
export async function writePipeline(dir: string, spec: object): Promise<string> {
  const path = join(dir, 'pipeline.yaml');
  await writeFile(path, stringify(spec));
  return path;
}

export const QUICKSTART = join(ROOT, 'pipelines', 'quickstart.yaml');
