import { isAbsolute, resolve } from 'node:path';
import { IngestConfig } from '../../schemas/stages/ingest.js';
import type { ReadTask, SourceStage } from '../../src/stage.js';
import { ConfigError } from '../../src/pipeline.js';
import { parseGlob } from '../../src/storage/glob.js';
import { readJsonl } from './jsonl.js';
import { readWet } from './wet.js';

const READERS = { jsonl: readJsonl, wet: readWet } as const;

export const ingest: SourceStage<IngestConfig> = {
  kind: 'source',
  name: 'ingest',
  version: 1,
  config: IngestConfig,

  async listInputs(config, { plan, storage }) {
    const tasks: ReadTask[] = [];
    for (const [inputIndex, input] of config.inputs.entries()) {
      const pattern = input.uri.startsWith('s3://') || isAbsolute(input.uri) ? input.uri : resolve(plan.base_dir, input.uri);
      const { root, match } = parseGlob(pattern);
      const found = (await storage(pattern).list(root)).filter((o) => match(o.uri));
      if (found.length === 0) throw new ConfigError(`stages[0].inputs[${inputIndex}].uri: no files match ${input.uri}`);
      for (const o of found) {
        tasks.push({ kind: 'read', input_index: inputIndex, uri: o.uri, source_key: `${o.uri.slice(root.length + 1)}:${o.bytes}`, bytes: o.bytes });
      }
    }
    return tasks;
  },

  read(task, bytes, config) {
    const input = config.inputs[task.input_index];
    if (!input) throw new Error(`task names input ${task.input_index}, which the config does not have`);
    return READERS[input.format]({ uri: task.uri, source_key: task.source_key, bytes, input, max_record_bytes: config.max_record_bytes });
  },
};
