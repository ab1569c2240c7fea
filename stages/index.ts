import type { StageConfig } from '../schemas/pipeline.js';
import type { StageDefinition } from '../src/stage.js';
import { decontam } from './decontam/index.js';
import { dedup } from './dedup/index.js';
import { ingest } from './ingest/index.js';
import { langid } from './langid/index.js';
import { paragraphDedup } from './paragraph_dedup/index.js';
import { pii } from './pii/index.js';
import { quality } from './quality/index.js';
import { shard } from './shard/index.js';
import { synth } from './synth/index.js';

/** Every stage a pipeline can name. Adding a stage means a folder in stages/ and a line here. */
const STAGES = { ingest, langid, quality, dedup, paragraph_dedup: paragraphDedup, decontam, pii, synth, shard } as const;

export function stageDefinition(name: StageConfig['stage']): StageDefinition<StageConfig> {
  // Each definition takes its own config type; the plan holds configs already parsed by its schema.
  return STAGES[name] as unknown as StageDefinition<StageConfig>;
}
