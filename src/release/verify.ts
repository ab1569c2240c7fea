import { ReleaseManifest } from '../../schemas/release.js';
import { sha256Hex } from '../hash.js';
import { ConfigError, describeIssues } from '../pipeline.js';
import { joinUri, storageFor } from '../storage/index.js';
import { readNpy } from './npy.js';
import { shardUri, shardUrl } from './shard-location.js';
import { readTar, TarError, type TarMember } from './tar-read.js';

export interface VerifyReport {
  release: string;
  shards: number;
  samples: number;
  tokens: number;
  /** Empty when the release is intact; otherwise one line per fault, naming the file. */
  problems: string[];
}

export async function readManifest(release: string): Promise<ReleaseManifest> {
  const uri = joinUri(release, 'manifest.json');
  const storage = storageFor(uri);
  // A user naming the wrong folder: exit 2 with the message, as for a bad pipeline file.
  if (!(await storage.exists(uri))) throw new ConfigError(`no manifest.json in ${release}: not a finished release`);
  // A manifest comes with a copied release: a name in it that leaves the folder is refused here.
  const parsed = ReleaseManifest.safeParse(JSON.parse((await storage.read(uri)).toString('utf8')));
  if (!parsed.success) throw new ConfigError(`${uri}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Group tar members into WebDataset samples: the key is the name up to its first dot. */
export function samplesOf(members: TarMember[]): Map<string, Map<string, Buffer>> {
  const samples = new Map<string, Map<string, Buffer>>();
  for (const m of members) {
    const dot = m.name.indexOf('.');
    const key = dot < 0 ? m.name : m.name.slice(0, dot);
    let s = samples.get(key);
    if (!s) samples.set(key, (s = new Map()));
    s.set(dot < 0 ? '' : m.name.slice(dot + 1), m.data);
  }
  return samples;
}

/**
 * Check one shard's members: every sample has its tokens and JSON, and they agree on the token count.
 * A member that does not parse is a problem of its shard, never an exception: verify exists to judge
 * shards that may have been tampered with.
 */
export function checkSamples(name: string, tar: Buffer, problems: string[]): { samples: number; tokens: number } {
  let members: TarMember[];
  try {
    members = readTar(tar);
  } catch (e) {
    if (!(e instanceof TarError)) throw e;
    problems.push(`${name}: ${e.message}`);
    return { samples: 0, tokens: 0 };
  }
  const samples = samplesOf(members);
  let tokens = 0;
  for (const [key, files] of samples) {
    const npy = files.get('tokens.npy');
    const json = files.get('json');
    const mask = files.get('loss_mask.npy');
    if (!npy || !json || files.size !== (mask ? 3 : 2)) {
      problems.push(`${name}: sample ${key} has members [${[...files.keys()].join(', ')}], expected json and tokens.npy (and optionally loss_mask.npy)`);
      continue;
    }
    let count: number, meta: { tokens?: unknown }, maskCount: number | null;
    try {
      count = readNpy(npy).length;
      maskCount = mask ? readNpy(mask).length : null;
      meta = JSON.parse(json.toString('utf8')) as { tokens?: unknown };
    } catch (e) {
      problems.push(`${name}: sample ${key} does not parse (${(e as Error).message})`);
      continue;
    }
    if (maskCount !== null && maskCount !== count) problems.push(`${name}: sample ${key} has ${maskCount} loss-mask values for ${count} tokens`);
    if (meta?.tokens !== count) problems.push(`${name}: sample ${key} says ${meta.tokens} tokens, its .npy holds ${count}`);
    tokens += count;
  }
  return { samples: samples.size, tokens };
}

/**
 * Re-check a release against its manifest: every shard's size and sha256 (a carried shard's in the
 * earlier version that holds it, against this manifest's hash), every tar parsed with
 * our own reader (no links, no names outside the folder), sample and token counts, equal sample
 * counts in every shard but the last, the totals and index.wids.json; and the size and sha256 of every
 * synth file (pairs and their shards).
 */
export async function verifyRelease(release: string): Promise<VerifyReport> {
  const manifest = await readManifest(release);
  const problems: string[] = [];
  let samples = 0;
  let tokens = 0;
  for (const [i, shard] of manifest.shards.entries()) {
    const uri = shardUri(release, shard);
    const storage = storageFor(uri);
    if (!(await storage.exists(uri))) {
      problems.push(`${shard.name}: missing${shard.from ? ` from ${shard.from}, the version it is carried from` : ''}`);
      continue;
    }
    const tar = await storage.read(uri);
    if (tar.length !== shard.bytes) problems.push(`${shard.name}: ${tar.length} bytes, manifest says ${shard.bytes}`);
    const sha = sha256Hex(tar);
    if (sha !== shard.sha256) problems.push(`${shard.name}${shard.from ? ` (in ${shard.from})` : ''}: sha256 ${sha}, manifest says ${shard.sha256}`);
    const got = checkSamples(shard.name, tar, problems);
    if (got.samples !== shard.samples) problems.push(`${shard.name}: ${got.samples} samples, manifest says ${shard.samples}`);
    if (got.tokens !== shard.tokens) problems.push(`${shard.name}: ${got.tokens} tokens, manifest says ${shard.tokens}`);
    if (i < manifest.shards.length - 1 && shard.samples !== manifest.packing.samples_per_shard) {
      problems.push(`${shard.name}: ${shard.samples} samples, every shard but the last must hold ${manifest.packing.samples_per_shard}`);
    }
    samples += got.samples;
    tokens += got.tokens;
  }
  const t = manifest.totals;
  if (t.shards !== manifest.shards.length || t.samples !== samples || t.tokens !== tokens) {
    problems.push(`totals: manifest says ${t.shards} shards, ${t.samples} samples, ${t.tokens} tokens; found ${manifest.shards.length}, ${samples}, ${tokens}`);
  }
  const indexUri = joinUri(release, manifest.files.index);
  const index = JSON.parse((await storageFor(indexUri).read(indexUri)).toString('utf8')) as { shardlist: { url: string; nsamples: number; filesize: number }[] };
  const expected = manifest.shards.map((s) => ({ url: shardUrl(s), nsamples: s.samples, filesize: s.bytes }));
  if (JSON.stringify(index.shardlist) !== JSON.stringify(expected)) problems.push(`${manifest.files.index}: its shard list differs from the manifest`);
  for (const f of [...(manifest.synth?.files ?? []), ...(manifest.synth?.shards ?? [])]) {
    const uri = joinUri(release, f.name);
    if (!(await storageFor(uri).exists(uri))) {
      problems.push(`${f.name}: missing`);
      continue;
    }
    const bytes = await storageFor(uri).read(uri);
    if (bytes.length !== f.bytes) problems.push(`${f.name}: ${bytes.length} bytes, manifest says ${f.bytes}`);
    const sha = sha256Hex(bytes);
    if (sha !== f.sha256) problems.push(`${f.name}: sha256 ${sha}, manifest says ${f.sha256}`);
  }
  return { release, shards: manifest.shards.length, samples, tokens, problems };
}
