import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { DedupConfig } from '../../schemas/stages/dedup.js';
import { joinUri } from '../../src/storage/index.js';
import type { Storage } from '../../src/storage/types.js';

/**
 * A release's dedup index, `<release>/dedup-index/`: `index.json` (which release, with which
 * settings) and per part of kept documents `part-N.keys` (the signatures phase's rows),
 * `part-N.sig` and `part-N.ids.json` (document ids, row order).
 */
export const ReleaseIndexManifest = z.strictObject({
  release: z.string(),
  /** The settings that decide the keys: a new run must use the same ones to match against them. */
  keys: z.strictObject({
    text: z.boolean(), url: z.boolean(),
    minhash: z.strictObject({ unit: z.string(), ngram: z.number(), bands: z.number(), rows: z.number(), seed: z.number() }).nullable(),
  }),
});
export type ReleaseIndexManifest = z.infer<typeof ReleaseIndexManifest>;

export const indexDir = (releaseDir: string) => joinUri(releaseDir, 'dedup-index');

export function keySettings(config: DedupConfig): ReleaseIndexManifest['keys'] {
  const mh = config.minhash;
  return { text: config.exact.text, url: config.exact.url, minhash: mh ? { unit: mh.unit, ngram: mh.ngram, bands: mh.bands, rows: mh.rows, seed: mh.seed } : null };
}

/** The `.keys` files of every release in `against`, in config order then part order, with the release label. */
export async function storedKeyFiles(config: DedupConfig, baseDir: string, storage: (uri: string) => Storage): Promise<{ uri: string; release: string }[]> {
  const out: { uri: string; release: string }[] = [];
  for (const [i, dir] of config.against.entries()) {
    const releaseDir = dir.startsWith('s3://') || isAbsolute(dir) ? dir : resolve(baseDir, dir);
    const at = indexDir(releaseDir);
    const manifestUri = joinUri(at, 'index.json');
    if (!(await storage(manifestUri).exists(manifestUri))) throw new Error(`against[${i}] (${dir}): no dedup index at ${manifestUri} (run that release with write_index: true)`);
    const manifest = ReleaseIndexManifest.parse(JSON.parse((await storage(manifestUri).read(manifestUri)).toString('utf8')));
    const want = JSON.stringify(keySettings(config));
    if (JSON.stringify(manifest.keys) !== want) throw new Error(`against[${i}] (${dir}): index keys ${JSON.stringify(manifest.keys)} differ from this stage's ${want}`);
    for (const o of await storage(at).list(at)) if (o.uri.endsWith('.keys')) out.push({ uri: o.uri, release: manifest.release });
  }
  return out;
}
