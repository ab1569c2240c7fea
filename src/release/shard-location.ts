import { ConfigError } from '../pipeline.js';
import { joinUri } from '../storage/index.js';

/** A shard as a manifest lists it: `from` names the earlier version folder holding its bytes when `forget` carried it by reference. */
export interface ShardRef {
  name: string;
  from?: string | undefined;
}

/** The folder above `v<N>`, where every version of a release lives. */
export function releaseRoot(release: string): { root: string; version: number } {
  const m = /^(.*)\/v(\d+)\/?$/.exec(release);
  if (!m?.[1]) throw new ConfigError(`${release} is not a release version folder (…/releases/<name>/v<N>)`);
  return { root: m[1], version: Number(m[2]) };
}

/**
 * Where a shard's bytes live: in the version's own shards/ folder, or in the sibling version folder
 * its `from` names. `from` is joined as one segment onto the release root (the schema allows only
 * `v<N>`), so a manifest cannot point outside the release.
 */
export function shardUri(release: string, shard: ShardRef): string {
  return shard.from ? joinUri(releaseRoot(release).root, shard.from, 'shards', shard.name) : joinUri(release, 'shards', shard.name);
}

/**
 * The shard's URL in index.wids.json, relative to the index file: wids resolves it with urljoin
 * against the index's own URL, which turns `../v1/shards/x.tar` into the sibling version's file for
 * local paths and http(s) alike.
 */
export function shardUrl(shard: ShardRef): string {
  return shard.from ? `../${shard.from}/shards/${shard.name}` : `shards/${shard.name}`;
}
