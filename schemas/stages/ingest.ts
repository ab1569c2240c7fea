import { z } from 'zod';

export const InputFormat = z.enum(['jsonl', 'wet']);
export type InputFormat = z.infer<typeof InputFormat>;

export const IngestInput = z.strictObject({
  /** A path, glob (`*`, `**`) or s3:// prefix. Relative paths resolve against the pipeline file's directory. */
  uri: z.string().min(1),
  format: InputFormat,
  /** SPDX id or free tag recorded for every document from this input. */
  license: z.string().nullable().default(null),
  text_field: z.string().default('text'),
  id_field: z.string().nullable().default(null),
  url_field: z.string().nullable().default('url'),
});
export type IngestInput = z.infer<typeof IngestInput>;

export const IngestConfig = z.strictObject({
  stage: z.literal('ingest'),
  inputs: z.array(IngestInput).min(1),
  /** Records larger than this are reported and skipped rather than loaded (bytes). */
  max_record_bytes: z.number().int().positive().default(16 * 1024 * 1024),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
