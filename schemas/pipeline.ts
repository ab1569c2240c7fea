import { z } from 'zod';
import { DecontamConfig } from './stages/decontam.js';
import { DedupConfig } from './stages/dedup.js';
import { IngestConfig } from './stages/ingest.js';
import { LangidConfig } from './stages/langid.js';
import { ParagraphDedupConfig } from './stages/paragraph_dedup.js';
import { PiiConfig } from './stages/pii.js';
import { QualityConfig } from './stages/quality.js';
import { ShardConfig } from './stages/shard.js';
import { SynthConfig } from './stages/synth.js';

export const StageConfig = z.discriminatedUnion('stage', [IngestConfig, LangidConfig, QualityConfig, DedupConfig, ParagraphDedupConfig, DecontamConfig, PiiConfig, SynthConfig, ShardConfig]);
export type StageConfig = z.infer<typeof StageConfig>;

export const PipelineSpec = z
  .strictObject({
    /** Names the release: releases/<name>/v<N>/. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _ (at most 64)'),
    description: z.string().default(''),
    /** Seed for every seeded choice in the run. */
    seed: z.number().int().nonnegative().default(0),
    /**
     * A task writes its documents as parts of about this many bytes of text (UTF-8), each a checkpoint
     * a retried task resumes after: a task's memory is bounded by this, not by its input. At 32 MiB a
     * part is seconds of work per stage and the e2e run peaks near 1 GB; 8 MiB halves that for about
     * 5% more CPU (docs/performance.md, Memory).
     */
    part_bytes: z.number().int().min(1024).default(32 * 1024 * 1024),
    stages: z.array(StageConfig).min(2),
  })
  .superRefine((spec, ctx) => {
    const names = spec.stages.map((s) => s.stage);
    if (names[0] !== 'ingest') ctx.addIssue({ code: 'custom', path: ['stages', 0], message: 'the first stage must be ingest' });
    if (names.at(-1) !== 'shard') ctx.addIssue({ code: 'custom', path: ['stages', names.length - 1], message: 'the last stage must be shard' });
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['stages', i], message: `stage ${n} appears twice` });
    });
  });
export type PipelineSpec = z.infer<typeof PipelineSpec>;
