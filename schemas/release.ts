import { z } from 'zod';

/**
 * A file name inside a release folder: one segment, no `..`, no separator. A manifest is read back
 * by `verify` and `forget` from wherever a release was copied, so its names are untrusted input.
 */
export const ReleaseFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'a file name in the release folder: letters, digits, ".", "_" or "-", no path separators');

/** A path below the release folder (synth/shards/…): segments that are each a ReleaseFileName, so none is `.` or `..`. */
export const ReleasePath = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}(\/[A-Za-z0-9][A-Za-z0-9_.-]{0,254}){0,3}$/, 'a path in the release folder: "/"-separated names of letters, digits, ".", "_" or "-", each starting with a letter or digit');

export const ShardEntry = z.object({
  name: ReleaseFileName,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  samples: z.number().int().positive(),
  tokens: z.number().int().nonnegative(),
});

/** A sibling version folder of the same release, `v<N>`: the only place a manifest may point a shard at. */
export const VersionFolder = z.string().regex(/^v[1-9][0-9]*$/, 'a version folder of the same release, "v<N>"');

/** A file of the release beside the corpus shards: its path inside the release and what `verify` checks. */
export const ReleaseFile = z.object({
  name: ReleasePath,
  format: z.enum(['jsonl', 'parquet']),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
});
export type ReleaseFile = z.infer<typeof ReleaseFile>;

/** The instruction pairs a synth stage published: pair files and, when configured, tokenized shards (names relative to the release). */
export const SynthRelease = z.object({
  pairs: z.number().int().nonnegative(),
  files: z.array(ReleaseFile),
  shards: z.array(ShardEntry.extend({ name: ReleasePath })),
});
export type SynthRelease = z.infer<typeof SynthRelease>;

/**
 * releases/<name>/v<N>/manifest.json, written last as the commit marker of a version. It holds no
 * run id or clock time: the same inputs and config give the same bytes.
 */
export const ReleaseManifest = z.object({
  schema_version: z.literal(1),
  name: z.string(),
  version: z.number().int().positive(),
  parent_version: z.number().int().positive().nullable(),
  code_version: z.string(),
  pipeline_hash: z.string(),
  stages: z.array(z.object({ name: z.string(), version: z.number().int(), config_hash: z.string(), docs_in: z.number().int(), docs_out: z.number().int() })),
  inputs: z.array(z.object({ uri: z.string(), sha256: z.string(), bytes: z.number().int(), license: z.string().nullable() })),
  tokenizer: z.object({ name: z.string(), package: z.string(), vocab_size: z.number().int(), vocab_sha256: z.string().regex(/^[0-9a-f]{64}$/), eos_id: z.number().int(), bos_id: z.number().int().optional(), bos: z.boolean().default(false), eos: z.boolean().default(true), dtype: z.enum(['uint16', 'uint32']) }),
  packing: z.object({
    seq_len: z.number().int(),
    samples_per_shard: z.number().int(),
    separator: z.string(),
    remainder: z.string(),
    layout: z.enum(['packed', 'documents']).default('packed'),
    sample_tokens: z.number().int().nullable().optional(),
    loss_mask: z.boolean().default(false),
    shard_bytes: z.number().int().optional(),
    mix: z.array(z.object({ source: z.string().optional(), lang: z.string().optional(), weight: z.number() })).optional(),
    copies: z.number().int().optional(),
    shuffle: z.object({ seed: z.number().int(), buckets: z.number().int() }).optional(),
    /** The shard stage's quotas as configured, and per quota group what they decided and what the release holds. */
    quotas: z.object({
      shares: z.record(z.string(), z.number()).optional(),
      max_tokens: z.record(z.string(), z.number().int()).optional(),
      total_tokens: z.number().int().optional(),
      max_repeats: z.number().int(),
      languages: z.array(z.object({
        lang: z.string(),
        target_share: z.number().nullable(),
        available_tokens: z.number().int(),
        budget_tokens: z.number().int(),
        repeats: z.number().int(),
        tokens: z.number().int(),
        share: z.number(),
        documents: z.number().int(),
        dropped: z.number().int(),
        repeated: z.number().int(),
      })),
    }).optional(),
  }),
  /** `from` marks a shard `forget` carried by reference: its bytes stay in that earlier version folder of the same release. */
  shards: z.array(ShardEntry.extend({ from: VersionFolder.optional() })),
  totals: z.object({ documents: z.number().int(), samples: z.number().int(), tokens: z.number().int(), shards: z.number().int(), bytes: z.number().int() }),
  /** Present when the pipeline has a synth stage; absent otherwise, so other releases keep their bytes. */
  synth: SynthRelease.optional(),
  files: z.object({ index: ReleaseFileName, provenance: ReleaseFileName, datacard: z.object({ markdown: ReleaseFileName, html: ReleaseFileName }) }),
}).superRefine((m, ctx) => {
  // A reference forward or to itself would let two versions lean on each other's bytes; only an earlier, immutable version may hold them.
  for (const [i, s] of m.shards.entries()) {
    if (s.from !== undefined && Number(s.from.slice(1)) >= m.version) {
      ctx.addIssue({ code: 'custom', path: ['shards', i, 'from'], message: `${s.name} is carried from ${s.from}, which is not earlier than v${m.version}` });
    }
  }
});
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;
