import { sha256Hex } from '../hash.js';
import { storageFor } from '../storage/index.js';
import { readNpy } from './npy.js';
import { shardUri } from './shard-location.js';
import { readTar } from './tar-read.js';
import { readManifest, samplesOf } from './verify.js';

export interface Sample {
  /** Position in the release, counting from 0 across shards in manifest order. */
  index: number;
  shard: string;
  key: string;
  tokens: Uint16Array | Uint32Array;
  meta: { sample: number; tokens: number; docs: { id: string; range: [number, number]; doc_token_start: number }[] };
}

/**
 * Stream a release's samples in order, one shard in memory at a time, each shard checked against
 * the manifest's sha256 before a sample of it is yielded. `start` resumes at a global sample index:
 * whole shards before it are skipped by the manifest's counts, without being read.
 */
export async function* readSamples(release: string, opts: { start?: number } = {}): AsyncGenerator<Sample> {
  const manifest = await readManifest(release);
  const start = opts.start ?? 0;
  let index = 0;
  for (const shard of manifest.shards) {
    if (index + shard.samples <= start) {
      index += shard.samples;
      continue;
    }
    const uri = shardUri(release, shard);
    const tar = await storageFor(uri).read(uri);
    if (sha256Hex(tar) !== shard.sha256) throw new Error(`${shard.name}: sha256 differs from the manifest`);
    for (const [key, files] of samplesOf(readTar(tar))) {
      const npy = files.get('tokens.npy');
      const json = files.get('json');
      if (!npy || !json) throw new Error(`${shard.name}: sample ${key} lacks its tokens or JSON`);
      if (index >= start) yield { index, shard: shard.name, key, tokens: readNpy(npy), meta: JSON.parse(json.toString('utf8')) as Sample['meta'] };
      index++;
    }
  }
}
