import { z } from 'zod';
import { hasUserinfo } from '../src/secrets.js';

/**
 * A location in a config. Configs are stored in provenance and run plans, so a URI that carries a
 * password (`https://user:key@host`, `s3://id:secret@bucket`) is refused with the way to do it instead.
 */
export const PlainUri = z
  .string()
  .min(1)
  .refine((u) => !hasUserinfo(u), 'credentials may not be written into a URI (it is stored in provenance): set them in the environment (AWS_* for S3, api_key_env for a model)');
