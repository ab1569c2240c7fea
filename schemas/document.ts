import { z } from 'zod';

/** Where a document came from: enough to find its bytes again. */
export const DocumentSource = z.object({
  uri: z.string(),
  /** Byte offset of the record in the (compressed) input file: a gzip member start, or a line start. */
  offset: z.number().int().nonnegative(),
  record_id: z.string().nullable(),
  fetch_date: z.string().nullable(),
  license: z.string().nullable(),
});
export type DocumentSource = z.infer<typeof DocumentSource>;

/** Annotations added by stages, e.g. lang, lang_score, token_count. */
export const DocumentMeta = z.record(z.string(), z.unknown());
export type DocumentMeta = z.infer<typeof DocumentMeta>;

export const Document = z.object({
  /** Stable: a hash of source identity and record position (see src/ids.ts). */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  text: z.string(),
  url: z.string().nullable(),
  source: DocumentSource,
  meta: DocumentMeta,
});
export type Document = z.infer<typeof Document>;
