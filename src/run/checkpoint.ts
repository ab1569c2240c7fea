import type { Document } from '../../schemas/document.js';
import type { Checkpoint, PartInfo, TaskProgress, TaskResult } from '../../schemas/run.js';
import { sha256Hex } from '../hash.js';
import { documentRow, REJECTED_COLUMNS, writeDocuments } from '../parts/documents.js';
import { writeParquet, type Row } from '../parts/parquet.js';
import type { Fragment } from '../provenance/fragment.js';
import { storageFor } from '../storage/index.js';
import { checkpointUri, partUri, rejectedUri } from './paths.js';

/** Progress goes out this often (input records) between checkpoints: cheap, and fresh for a 1 s heartbeat. */
const PROGRESS_EVERY = 1000;

/** What a task has counted and written: its TaskResult without the timing. */
export type Tally = Omit<TaskResult, 'stage' | 'phase' | 'task_index' | 'seconds'>;

export function emptyTally(): Tally {
  return { docs_in: 0, docs_out: 0, modified: 0, dropped: {}, bad_records: 0, errors: [], outputs: [], rejected: [], provenance: [], stats: {} };
}

/** True when every object still has the size and SHA-256 recorded for it. */
export async function verified(parts: readonly PartInfo[]): Promise<boolean> {
  for (const part of parts) {
    const bytes = await storageFor(part.uri).read(part.uri).catch(() => null);
    if (!bytes || bytes.length !== part.bytes || sha256Hex(bytes) !== part.sha256) return false;
  }
  return true;
}

/** A checkpoint worth continuing from: all it names is intact. Null starts the task over. */
export async function usableCheckpoint(checkpoint: Checkpoint | null | undefined): Promise<Checkpoint | null> {
  if (!checkpoint) return null;
  return (await verified([...checkpoint.outputs, ...checkpoint.rejected, ...checkpoint.provenance])) ? checkpoint : null;
}

export interface TaskAddress {
  dir: string;
  phase: string;
  task: number;
  stage: string;
  /** Text bytes (UTF-8) buffered before a checkpoint: the plan's part_bytes. */
  budget: number;
}

/**
 * The output side of a map or source task: kept and dropped documents are buffered until their text
 * reaches the budget, then written as the next part, rejected part and provenance fragment, and
 * recorded as a checkpoint. Boundaries depend only on the input and the budget, so a task resumed
 * after checkpoint k writes exactly the objects an uninterrupted one writes after it.
 */
export class TaskOutput {
  readonly tally: Tally;
  private consumed: number;
  private bytesIn: number;
  private seq: number;
  private readonly resumedFrom: number;
  private last: Checkpoint | null;
  private kept: Document[] = [];
  private rejected: Row[] = [];
  private buffered = 0;

  constructor(
    private readonly at: TaskAddress,
    private readonly fragment: Fragment,
    from: Checkpoint | null,
    private readonly onProgress: (p: TaskProgress) => void = () => {},
  ) {
    this.tally = emptyTally();
    if (from) {
      const { seq: _seq, position: _position, bytes_in: _bytes, ...counts } = from;
      Object.assign(this.tally, structuredClone(counts));
    }
    this.consumed = from?.position ?? 0;
    this.bytesIn = from?.bytes_in ?? 0;
    this.seq = from?.seq ?? 0;
    this.resumedFrom = this.seq;
    this.last = from;
  }

  /** Input records (source) or rows (map) consumed; a resumed task skips this many first. */
  get position(): number {
    return this.consumed;
  }

  /** One input record or row consumed; `text` is the document text read, if any. */
  read(text: string): void {
    this.consumed++;
    this.tally.docs_in++;
    this.bytesIn += Buffer.byteLength(text);
    if (this.consumed % PROGRESS_EVERY === 0) this.onProgress(this.progress());
  }

  keep(doc: Document): void {
    this.kept.push(doc);
    this.buffered += Buffer.byteLength(doc.text);
    this.tally.docs_out++;
  }

  drop(doc: Document, reason: string, detail: Record<string, unknown>): void {
    this.tally.dropped[reason] = (this.tally.dropped[reason] ?? 0) + 1;
    this.fragment.event(doc.id, 'drop', reason, detail);
    this.rejected.push({ ...documentRow(doc), stage: this.at.stage, reason, detail: JSON.stringify(detail) });
    this.buffered += Buffer.byteLength(doc.text);
  }

  /** Called after each input record: commits a checkpoint once the buffered text reaches the budget. */
  async next(): Promise<void> {
    if (this.buffered < this.at.budget) return;
    await this.commit(false);
    const { stats: _stats, ...counts } = this.tally;
    this.last = structuredClone({ seq: this.seq, position: this.consumed, bytes_in: this.bytesIn, ...counts });
    const uri = checkpointUri(this.at.dir, this.at.phase, this.at.task);
    await storageFor(uri).write(uri, JSON.stringify(this.last));
    this.onProgress(this.progress());
  }

  /** Write what is buffered; every task ends with at least one part and one rejected part, maybe empty. */
  async finish(): Promise<Tally> {
    await this.commit(true);
    return this.tally;
  }

  private async commit(final: boolean): Promise<void> {
    const { dir, task } = this.at;
    const storage = storageFor(dir);
    if (this.kept.length || (final && this.tally.outputs.length === 0)) {
      this.tally.outputs.push(await writeDocuments(storage, partUri(dir, task, this.seq), this.kept));
    }
    if (this.rejected.length || (final && this.tally.rejected.length === 0)) {
      this.tally.rejected.push(await writeParquet(storage, rejectedUri(dir, task, this.seq), REJECTED_COLUMNS, this.rejected));
    }
    this.tally.provenance.push(...(await this.fragment.write(storageFor, dir, task, this.seq)));
    this.kept = [];
    this.rejected = [];
    this.buffered = 0;
    this.seq++;
  }

  /** Counts so far, with the last checkpoint: what a heartbeat carries and a retry resumes from. */
  progress(): TaskProgress {
    return {
      docs_in: this.tally.docs_in, docs_out: this.tally.docs_out, bytes_in: this.bytesIn,
      checkpoints: this.seq, resumed_from: this.resumedFrom, checkpoint: this.last,
    };
  }
}
