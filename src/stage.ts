import type { z } from 'zod';
import type { Document, DocumentMeta } from '../schemas/document.js';
import type { PartInfo, RunPlan, TaskSpec } from '../schemas/run.js';
import type { Cell } from './parts/parquet.js';
import type { ProvenanceTable } from '../schemas/provenance.js';
import type { Storage } from './storage/types.js';

/** A map stage's decision about one document. Annotations in `meta` are merged into doc.meta. */
export type Outcome =
  | { action: 'keep'; meta?: DocumentMeta; detail?: Record<string, unknown> }
  | { action: 'modify'; text: string; meta?: DocumentMeta; detail?: Record<string, unknown>;
      /** A rewritten url (PII in its query string); absent keeps the document's. */
      url?: string }
  | { action: 'drop'; reason: string; meta?: DocumentMeta; detail?: Record<string, unknown>;
      /** What rejected/ keeps instead of the original text and url, when the originals must not be stored (PII). */
      text?: string; url?: string };

interface StageBase<C> {
  name: string;
  /** Bump when the output for the same input and config changes. */
  version: number;
  config: z.ZodType<C>;
  /**
   * True when, once this stage's dataset is committed, the document parts (`parts/`, `rejected/`) of every
   * earlier stage in the run's work dir are superseded and must be deleted: they hold text this stage
   * rewrote for a reason that forbids keeping the original (PII).
   */
  supersedesUpstream?(config: C): boolean;
}

/** What the record a document came from said about itself, for the provenance `documents` table. */
export interface RecordInfo {
  content_type: string | null;
  http_status: number | null;
}

/**
 * What a reader yields: a document; a readable record it leaves out, with the reason (an opt-out, a
 * blocklist, an unsupported content type); or a record it could not read, with where it sits.
 */
export type SourceItem =
  | { kind: 'doc'; doc: Document; record?: RecordInfo }
  | { kind: 'drop'; doc: Document; reason: string; detail: Record<string, unknown>; record?: RecordInfo }
  | { kind: 'bad'; offset: number; reason: BadRecordReason; message: string; record_id: string | null; url: string | null };

export type BadRecordReason =
  | 'corrupt_gzip'
  | 'corrupt_zstd'
  | 'truncated_record'
  | 'malformed_record'
  | 'invalid_utf8'
  | 'bad_json'
  | 'missing_text'
  | 'oversized_record';

/** Reads input files into documents (ingest). One task per input file, or per slice of a large one. */
export interface SourceStage<C> extends StageBase<C> {
  kind: 'source';
  listInputs(config: C, ctx: { plan: RunPlan; storage: (uri: string) => Storage }): Promise<ReadTask[]>;
  read(task: ReadTask, bytes: Buffer, config: C, ctx: { plan: RunPlan; storage: (uri: string) => Storage }): Iterable<SourceItem> | AsyncIterable<SourceItem>;
}

export type ReadTask = Extract<TaskSpec, { kind: 'read' }>;

/** Decides each document on its own: one task per input part. */
export interface MapStage<C> extends StageBase<C> {
  kind: 'map';
  /** Build the per-document decision once per task (load models, compile rules). */
  open(config: C): Promise<(doc: Document) => Outcome | Promise<Outcome>>;
}

/** Sinks every phase writes through: document events, other provenance rows, and task stats. */
export interface PhaseContext<C> {
  config: C;
  plan: RunPlan;
  spec: TaskSpec;
  taskIndex: number;
  /** Folder of this stage in the run's work dir. */
  stageDir: string;
  storage: (uri: string) => Storage;
  event(docId: string, action: 'keep' | 'modify' | 'drop', reason: string | null, detail: Record<string, unknown>): void;
  row(table: ProvenanceTable, row: Record<string, Cell>): void;
  stats: Record<string, unknown>;
}

/** What a phase task hands back: counts, the objects the next phase reads, and what it dropped. */
export interface PhaseOutput {
  docs_in: number;
  docs_out: number;
  /** Documents whose text the phase changed. */
  modified?: number;
  outputs: PartInfo[];
  /** Drops by reason, and the parts holding the dropped documents, when the phase drops any. */
  dropped?: Record<string, number>;
  rejected?: PartInfo[];
}

/**
 * A stage that needs the whole dataset: named phases run in order, each per input part, as one
 * reduce, or `partitioned`: `partitions(config)` tasks that each read every output of the phase
 * before and handle their own share of it (e.g. the bands of MinHash-LSH).
 */
export interface GlobalStage<C> extends StageBase<C> {
  kind: 'global';
  phases: readonly {
    name: string;
    kind: 'per-part' | 'reduce' | 'partitioned';
    partitions?(config: C): number;
    run(ctx: PhaseContext<C>): Promise<PhaseOutput>;
  }[];
}

export type StageDefinition<C = unknown> = SourceStage<C> | MapStage<C> | GlobalStage<C>;

export function phasesOf(stage: StageDefinition): string[] {
  return stage.kind === 'global' ? stage.phases.map((p) => p.name) : [stage.kind === 'source' ? 'read' : 'map'];
}
