import { z } from 'zod';

/** `corpusflow trace --json`: the full path of one document from its input record to the release. */
export const DocumentTrace = z.object({
  doc_id: z.string(),
  url: z.string().nullable(),
  domain: z.string().nullable(),
  status: z.enum(['ok', 'bad']),
  source: z.object({
    uri: z.string(),
    offset: z.number().int(),
    record_id: z.string().nullable(),
    fetch_date: z.string().nullable(),
    license: z.string().nullable(),
    format: z.string().nullable(),
    sha256: z.string().nullable(),
  }),
  /** One per stage the document reached, in pipeline order. */
  events: z.array(z.object({
    stage_index: z.number().int(),
    stage: z.string(),
    stage_version: z.number().int(),
    phase: z.string(),
    action: z.enum(['keep', 'modify', 'drop']),
    reason: z.string().nullable(),
    detail: z.unknown(),
  })),
  dedup: z.array(z.object({ method: z.string(), cluster_id: z.string(), kept: z.boolean(), similarity: z.number().nullable(), cluster_size: z.number().int() })),
  /** Entity type to count; the values themselves are never stored. */
  pii: z.record(z.string(), z.number().int()),
  synth: z.array(z.object({ synth_doc_id: z.string(), source_doc_id: z.string(), generator: z.string().nullable(), template: z.string().nullable() })),
  /** Where its tokens are: [sample_start, sample_end) of the sample, [doc_start, doc_end) of the document's tokens. */
  samples: z.array(z.object({
    shard: z.string(), key: z.string(), sample_start: z.number().int(), sample_end: z.number().int(), doc_start: z.number().int(), doc_end: z.number().int(),
  })),
  erasures: z.array(z.object({ request_id: z.string().nullable(), requested_at: z.string().nullable(), reason: z.string().nullable(), release_version: z.number().int().nullable() })),
  outcome: z.discriminatedUnion('status', [
    z.object({ status: z.literal('released'), samples: z.number().int(), tokens: z.number().int() }),
    z.object({ status: z.literal('dropped'), stage: z.string(), reason: z.string() }),
    z.object({ status: z.literal('erased'), request_id: z.string().nullable() }),
    z.object({ status: z.literal('not_released') }),
  ]),
});
export type DocumentTrace = z.infer<typeof DocumentTrace>;
