import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURES } from './pipelines.js';

/** The 372 UDHR articles (12 languages) of the quickstart fixtures. */
export const UDHR_ARTICLES = 372;

/**
 * The UDHR articles dealt round-robin into `count` small JSONL files, so a run has hundreds of
 * tiny tasks (one per file and stage): what the fleet tests need to land kills and cancels mid-run.
 */
export async function udhrInputs(count: number): Promise<{ name: string; text: string }[]> {
  const lines: string[] = [];
  for (const name of (await readdir(join(FIXTURES, 'quickstart'))).sort()) {
    lines.push(...gunzipSync(await readFile(join(FIXTURES, 'quickstart', name))).toString('utf8').split('\n').filter((l) => l.trim() !== ''));
  }
  const files: string[][] = Array.from({ length: count }, () => []);
  lines.forEach((line, i) => files[i % count]?.push(line));
  return files.map((f, i) => ({ name: `${String(i).padStart(4, '0')}.jsonl`, text: `${f.join('\n')}\n` }));
}

/** ingest → langid → shard over JSONL files matching `uri`: the light pipeline of the fleet tests. */
export function fleetPipeline(name: string, uri: string): object {
  return {
    name,
    stages: [
      { stage: 'ingest', inputs: [{ uri, format: 'jsonl', license: 'MIT', id_field: 'id' }] },
      { stage: 'langid', languages: ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'zh', 'ja'], min_score: 0.5 },
      { stage: 'shard', tokenizer: 'cl100k_base', seq_len: 512, samples_per_shard: 16 },
    ],
  };
}
