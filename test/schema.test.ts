import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pipelineJsonSchema } from '../src/pipeline.js';
import { ROOT } from './helpers/pipelines.js';

test('the committed pipeline JSON Schema matches the zod schema it is generated from', async () => {
  const committed = await readFile(join(ROOT, 'schemas', 'pipeline.schema.json'), 'utf8');
  assert.equal(committed, pipelineJsonSchema(), 'regenerate with: node dist/src/cli/main.js schema > schemas/pipeline.schema.json');
  const schema = JSON.parse(committed) as { properties: { stages: { items: { oneOf: { properties: { stage: { const: string } } }[] } } } };
  assert.deepEqual(schema.properties.stages.items.oneOf.map((s) => s.properties.stage.const), ['ingest', 'langid', 'quality', 'dedup', 'paragraph_dedup', 'decontam', 'pii', 'synth', 'shard']);
});
