import type { RunPlan } from '../../schemas/run.js';
import type { IngestConfig } from '../../schemas/stages/ingest.js';
import { ingest } from '../../stages/ingest/index.js';
import type { SourceItem } from '../../src/stage.js';
import { storageFor } from '../../src/storage/index.js';

/** Every item ingest reads from `bytes` as input 0 of `config`, as one task would. */
export async function readAll(config: IngestConfig, file: string, bytes: Buffer, baseDir = '/'): Promise<SourceItem[]> {
  const plan = { base_dir: baseDir } as RunPlan;
  const items: SourceItem[] = [];
  const task = { kind: 'read' as const, input_index: 0, uri: file, source_key: `k:${bytes.length}`, bytes: bytes.length, range: null };
  for await (const item of ingest.read(task, bytes, config, { plan, storage: storageFor })) items.push(item);
  return items;
}

export const docsOf = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'doc' ? [i.doc] : []));
export const badOf = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'bad' ? [i] : []));
export const dropsOf = (items: SourceItem[]) => items.flatMap((i) => (i.kind === 'drop' ? [i] : []));
