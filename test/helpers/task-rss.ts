import { PipelineSpec } from '../../schemas/pipeline.js';
import { executeTask } from '../../src/run/execute.js';
import { createRun, planPhase } from '../../src/run/plan.js';

/**
 * Child process of the memory test: run the one ingest task of a one-file WET pipeline in this
 * process and print its peak RSS, so each measurement is a process of its own.
 * Usage: node task-rss.js <file.warc.wet.gz> <out dir> <part_bytes>
 */
const [input, out, partBytes] = process.argv.slice(2);
if (!input || !out || !partBytes) throw new Error('usage: task-rss.js <file.warc.wet.gz> <out dir> <part_bytes>');
const pipeline = PipelineSpec.parse({
  name: 'task-rss',
  part_bytes: Number(partBytes),
  stages: [
    { stage: 'ingest', inputs: [{ uri: input, format: 'wet' }], task_bytes: 2 ** 30 },
    { stage: 'shard', tokenizer: 'cl100k_base', seq_len: 512, samples_per_shard: 16 },
  ],
});
const plan = await createRun({ run_id: 'task-rss', pipeline, base_dir: '/', out });
const tasks = await planPhase(plan.work_dir, 0, 'read');
if (tasks !== 1) throw new Error(`expected one ingest task, planned ${tasks}`);
const result = await executeTask({ work_dir: plan.work_dir, stage_index: 0, phase: 'read', task_index: 0 });
process.stdout.write(`${JSON.stringify({ peak_rss_mb: process.resourceUsage().maxRSS / 1024, parts: result.outputs.length, docs_out: result.docs_out })}\n`);
