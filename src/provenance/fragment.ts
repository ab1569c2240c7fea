import { PROVENANCE_TABLES } from '../../schemas/provenance.js';
import type { PartInfo } from '../../schemas/run.js';
import type { Cell, Row } from '../parts/parquet.js';
import { writeParquet } from '../parts/parquet.js';
import { fragmentUri } from '../run/paths.js';
import type { Storage } from '../storage/types.js';

type Table = keyof typeof PROVENANCE_TABLES;

/**
 * The provenance rows of one task, written as Parquet fragments at each of its checkpoints and when
 * it ends. Tasks never open the catalog: DuckDB allows one writer per file, so the catalog step
 * loads all fragments.
 */
export class Fragment {
  private readonly rows = new Map<Table, Row[]>();

  constructor(
    private readonly base: { run_id: string; stage: string; stage_version: number; phase: string },
  ) {}

  event(docId: string, action: string, reason: string | null, detail: Record<string, unknown>): void {
    this.row('doc_events', { ...this.base, doc_id: docId, action, reason, detail: JSON.stringify(detail) });
  }

  row(table: Table, row: Record<string, Cell>): void {
    let rows = this.rows.get(table);
    if (!rows) this.rows.set(table, (rows = []));
    rows.push(row);
  }

  /**
   * Write the rows gathered since the last call, one fragment per table that has any, numbered by
   * the task's checkpoint; their checksums let a resumed task or run trust them.
   */
  async write(storage: (uri: string) => Storage, stageDir: string, taskIndex: number, seq = 0): Promise<PartInfo[]> {
    const written: PartInfo[] = [];
    for (const [table, rows] of this.rows) {
      const uri = fragmentUri(stageDir, table, this.base.phase, taskIndex, seq);
      written.push(await writeParquet(storage(uri), uri, PROVENANCE_TABLES[table], rows));
    }
    this.rows.clear();
    return written;
  }
}
