import { isAbsolute, resolve } from 'node:path';
import { IngestConfig } from '../../schemas/stages/ingest.js';
import type { ReadTask, SourceStage } from '../../src/stage.js';
import { ConfigError } from '../../src/pipeline.js';
import { parseGlob } from '../../src/storage/glob.js';
import { readArc } from './arc.js';
import { readJsonl } from './jsonl.js';
import { readParquetRows } from './parquet.js';
import { readText } from './text.js';
import { loadUrlPolicy } from './policy.js';
import type { ReadInput, SourceItem } from './records.js';
import { readWarc, readWet } from './warc.js';

const READERS = { jsonl: readJsonl, wet: readWet, warc: readWarc, arc: readArc, text: readText } as const;

export const ingest: SourceStage<IngestConfig> = {
  kind: 'source',
  name: 'ingest',
  version: 3,
  config: IngestConfig,

  async listInputs(config, { plan, storage }) {
    const tasks: ReadTask[] = [];
    for (const [inputIndex, input] of config.inputs.entries()) {
      const pattern = input.uri.startsWith('s3://') || isAbsolute(input.uri) ? input.uri : resolve(plan.base_dir, input.uri);
      const { root, match } = parseGlob(pattern);
      const found = (await storage(pattern).list(root)).filter((o) => match(o.uri));
      if (found.length === 0) throw new ConfigError(`stages[0].inputs[${inputIndex}].uri: no files match ${input.uri}`);
      for (const o of found) {
        const spec = { kind: 'read' as const, input_index: inputIndex, uri: o.uri, source_key: `${o.uri.slice(root.length + 1)}:${o.bytes}`, bytes: o.bytes };
        // WARC/WET/ARC gzip members hold one record each and are capped at max_record_bytes, so a slice
        // can always finish its last one; a JSONL gzip member or zstd frame holds any number of lines,
        // so only uncompressed JSONL (named so) is split, at line starts.
        const splittable = input.format === 'parquet' ? true : input.format === 'jsonl' ? /\.(jsonl|ndjson|json)$/i.test(o.uri) : input.format !== 'text' && /\.gz$/i.test(o.uri);
        if (!splittable || o.bytes <= config.task_bytes) {
          tasks.push({ ...spec, range: null });
          continue;
        }
        // The record that starts last in a slice may run on: a gzip member or line over the record cap is
        // reported as oversized without needing its end, so reading one cap (plus slack) further suffices.
        // A Parquet task reads its row groups through DuckDB and its slice only for the source checksum.
        const overhang = input.format === 'parquet' ? 0 : config.max_record_bytes + 1024 * 1024;
        for (let start = 0; start < o.bytes; start += config.task_bytes) {
          const end = Math.min(o.bytes, start + config.task_bytes);
          const readStart = input.format === 'parquet' ? start : Math.max(0, start - 1);
          tasks.push({ ...spec, range: { start, end, read_start: readStart, read_end: Math.min(o.bytes, end + overhang) } });
        }
      }
    }
    return tasks;
  },

  async *read(task, bytes, config, { plan, storage }) {
    const input = config.inputs[task.input_index];
    if (!input) throw new Error(`task names input ${task.input_index}, which the config does not have`);
    const policy = await loadUrlPolicy(config, plan.base_dir, storage);
    const slice = task.range ? { base: task.range.read_start, start: task.range.start, end: task.range.end } : { base: 0, start: 0, end: Infinity };
    const src: ReadInput = {
      uri: task.uri, source_key: task.source_key, bytes, input, policy, slice,
      max_record_bytes: config.max_record_bytes, max_decompressed_bytes: config.max_decompressed_bytes,
      html_work_budget: config.html_work_budget, html_time_budget_ms: config.html_time_budget_ms,
    };
    if (input.format === 'parquet') {
      for await (const item of readParquetRows(src, storage(task.uri))) yield withPolicy(src, item);
      return;
    }
    for (const item of READERS[input.format](src)) yield withPolicy(src, item);
  },
};

/** Blocklists and licence rules apply to every format; WARC and ARC readers apply them before parsing HTML. */
function withPolicy(src: ReadInput, item: SourceItem): SourceItem {
  if (item.kind !== 'doc') return item;
  const blocked = src.policy.blocked(item.doc.url);
  const license = src.policy.license(item.doc.url, src.input.license);
  if (!blocked && license === item.doc.source.license) return item;
  const doc = { ...item.doc, source: { ...item.doc.source, license } };
  if (blocked) return { kind: 'drop', doc: { ...doc, text: '' }, reason: blocked.reason, detail: blocked.detail, record: item.record };
  return { ...item, doc };
}
