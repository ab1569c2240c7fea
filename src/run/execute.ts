import type { Document } from '../../schemas/document.js';
import type { StageConfig } from '../../schemas/pipeline.js';
import { RunPlan, TaskResult, TaskSpec, type PartInfo, type TaskRef } from '../../schemas/run.js';
import { stageDefinition } from '../../stages/index.js';
import { sha256Hex } from '../hash.js';
import { documentRow, readDocuments, REJECTED_COLUMNS, writeDocuments } from '../parts/documents.js';
import { writeParquet, type Row } from '../parts/parquet.js';
import { Fragment } from '../provenance/fragment.js';
import type { GlobalStage, MapStage, SourceStage } from '../stage.js';
import { redact } from '../secrets.js';
import { readJson, storageFor } from '../storage/index.js';
import { partUri, planUri, rejectedUri, resultUri, stageDir, tasksUri } from './paths.js';

const MAX_REPORTED_ERRORS = 20;
const plans = new Map<string, Promise<RunPlan>>();

export function loadPlan(workDir: string): Promise<RunPlan> {
  let plan = plans.get(workDir);
  if (!plan) {
    const uri = planUri(workDir);
    plan = readJson(uri).then((json) => RunPlan.parse(json));
    plans.set(workDir, plan);
  }
  return plan;
}

export async function loadTasks(dir: string, phase: string): Promise<TaskSpec[]> {
  const uri = tasksUri(dir, phase);
  return TaskSpec.array().parse(await readJson(uri));
}

/** The results of every task of one phase, in task order. */
export async function loadResults(dir: string, phase: string): Promise<TaskResult[]> {
  const count = (await loadTasks(dir, phase)).length;
  return Promise.all(Array.from({ length: count }, async (_, i) => TaskResult.parse(await readJson(resultUri(dir, phase, i)))));
}

/** Mutable tallies of one task, turned into its TaskResult at the end. */
interface Tally {
  docs_in: number;
  docs_out: number;
  modified: number;
  dropped: Record<string, number>;
  bad_records: number;
  errors: TaskResult['errors'];
  outputs: PartInfo[];
  rejected: PartInfo[];
  stats: Record<string, unknown>;
}

/**
 * Run one task of a run: the same function behind the local executor's worker threads and the
 * Temporal activities. Idempotent: outputs go to paths derived from the task's address, and a
 * task whose result is already stored returns it without running again.
 */
export async function executeTask(ref: TaskRef): Promise<TaskResult> {
  const started = performance.now();
  const plan = await loadPlan(ref.work_dir);
  const dir = stageDir(plan, ref.stage_index);
  const resultAt = resultUri(dir, ref.phase, ref.task_index);
  const committed = await committedResult(resultAt);
  if (committed) return committed;
  const stagePlan = plan.stages[ref.stage_index];
  const config = plan.pipeline.stages[ref.stage_index];
  if (!stagePlan || !config) throw new Error(`the plan has no stage ${ref.stage_index}`);
  const spec = (await loadTasks(dir, ref.phase))[ref.task_index];
  if (!spec) throw new Error(`stage ${stagePlan.name} phase ${ref.phase} has no task ${ref.task_index}`);

  const def = stageDefinition(config.stage);
  const fragment = new Fragment({ run_id: plan.run_id, stage: def.name, stage_version: def.version, phase: ref.phase });
  const tally: Tally = { docs_in: 0, docs_out: 0, modified: 0, dropped: {}, bad_records: 0, errors: [], outputs: [], rejected: [], stats: {} };

  if (def.kind === 'source') await runSource(def, config, plan, spec, dir, ref.task_index, fragment, tally);
  else if (def.kind === 'map') await runMap(def, config, spec, dir, ref.task_index, fragment, tally);
  else await runPhase(def, config, plan, spec, dir, ref, fragment, tally);

  const provenance = await fragment.write(storageFor, dir, ref.task_index);
  const result: TaskResult = {
    stage: def.name,
    phase: ref.phase,
    task_index: ref.task_index,
    ...tally,
    provenance,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  // The result is written last: it marks the task done for a resumed run.
  await storageFor(resultAt).write(resultAt, JSON.stringify(result));
  return result;
}

/**
 * A stored result whose every output, rejected part and provenance fragment still has the size and
 * SHA-256 it recorded; null when there is none, or when it or anything it names is unreadable,
 * partial or changed, so the task runs again and overwrites them.
 */
async function committedResult(resultAt: string): Promise<TaskResult | null> {
  if (!(await storageFor(resultAt).exists(resultAt))) return null;
  const parsed = TaskResult.safeParse(await readJson(resultAt).catch(() => null));
  if (!parsed.success) return null;
  const result = parsed.data;
  for (const part of [...result.outputs, ...result.rejected, ...result.provenance]) {
    const bytes = await storageFor(part.uri).read(part.uri).catch(() => null);
    if (!bytes || bytes.length !== part.bytes || sha256Hex(bytes) !== part.sha256) return null;
  }
  return result;
}

function domainOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

async function runSource(
  def: SourceStage<StageConfig>, config: StageConfig, plan: RunPlan, spec: TaskSpec, dir: string, task: number, fragment: Fragment, tally: Tally,
): Promise<void> {
  if (spec.kind !== 'read') throw new Error(`${def.name} tasks read input files`);
  const { range } = spec;
  const bytes = range ? await storageFor(spec.uri).readRange(spec.uri, range.read_start, range.read_end) : await storageFor(spec.uri).read(spec.uri);
  // Unreadable records are numbered per offset, so their ids do not depend on how a file was sliced.
  const badAt = new Map<number, number>();
  const docs: Document[] = [];
  const rejected: Row[] = [];
  const license = config.stage === 'ingest' ? (config.inputs[spec.input_index]?.license ?? null) : null;
  for await (const item of def.read(spec, bytes, config, { plan, storage: storageFor })) {
    tally.docs_in++;
    if (item.kind !== 'bad') {
      const { doc } = item;
      fragment.row('documents', {
        doc_id: doc.id, source_uri: doc.source.uri, source_offset: doc.source.offset, record_id: doc.source.record_id, url: doc.url,
        domain: domainOf(doc.url), fetch_date: doc.source.fetch_date, license: doc.source.license, status: 'ok', text_bytes: Buffer.byteLength(doc.text),
        content_type: item.record?.content_type ?? null, http_status: item.record?.http_status ?? null,
      });
      if (item.kind === 'drop') {
        drop(tally, fragment, rejected, doc, item.reason, item.detail, def.name);
        continue;
      }
      if (doc.text.trim() === '') {
        drop(tally, fragment, rejected, doc, 'empty_text', {}, def.name);
        continue;
      }
      fragment.event(doc.id, 'keep', null, {});
      docs.push(doc);
      tally.docs_out++;
      continue;
    }
    // An unreadable record still gets an id, a documents row and an event: nothing disappears silently.
    const nth = badAt.get(item.offset) ?? 0;
    badAt.set(item.offset, nth + 1);
    const id = sha256Hex(`${spec.source_key}\u0000bad\u0000${item.offset}\u0000${nth}`).slice(0, 32);
    const message = redact(item.message);
    const detail = { uri: spec.uri, offset: item.offset, message };
    fragment.row('documents', {
      doc_id: id, source_uri: spec.uri, source_offset: item.offset, record_id: item.record_id, url: item.url,
      domain: domainOf(item.url), fetch_date: null, license, status: 'bad', text_bytes: null, content_type: null, http_status: null,
    });
    const doc: Document = { id, text: '', url: item.url, source: { uri: spec.uri, offset: item.offset, record_id: item.record_id, fetch_date: null, license }, meta: {} };
    drop(tally, fragment, rejected, doc, item.reason, detail, def.name);
    tally.bad_records++;
    if (tally.errors.length < MAX_REPORTED_ERRORS) tally.errors.push({ uri: spec.uri, offset: item.offset, reason: item.reason, message });
  }
  tally.outputs.push(await writeDocuments(storageFor(dir), partUri(dir, task), docs));
  tally.rejected.push(await writeParquet(storageFor(dir), rejectedUri(dir, task), REJECTED_COLUMNS, rejected));
  // A slice of a file is its own source row (`uri#bytes=start-end`, checksum of those bytes), so a
  // split file's rows add up to the file and each can be checked with one range read.
  const owned = range ? bytes.subarray(range.start - range.read_start, range.end - range.read_start) : bytes;
  const uri = range ? `${spec.uri}#bytes=${range.start}-${range.end}` : spec.uri;
  const source = { uri, sha256: sha256Hex(owned), bytes: owned.length, license, records: tally.docs_in, bad_records: tally.bad_records };
  fragment.row('sources', { ...source, format: config.stage === 'ingest' ? (config.inputs[spec.input_index]?.format ?? null) : null });
  tally.stats.sources = [source];
}

function drop(tally: Tally, fragment: Fragment, rejected: Row[], doc: Document, reason: string, detail: Record<string, unknown>, stage: string): void {
  tally.dropped[reason] = (tally.dropped[reason] ?? 0) + 1;
  fragment.event(doc.id, 'drop', reason, detail);
  rejected.push({ ...documentRow(doc), stage, reason, detail: JSON.stringify(detail) });
}

async function runMap(
  def: MapStage<StageConfig>, config: StageConfig, spec: TaskSpec, dir: string, task: number, fragment: Fragment, tally: Tally,
): Promise<void> {
  if (spec.kind !== 'part') throw new Error(`${def.name} tasks read one part`);
  const decide = await def.open(config);
  const kept: Document[] = [];
  const rejected: Row[] = [];
  for (const doc of await readDocuments(storageFor(spec.part), spec.part)) {
    tally.docs_in++;
    const outcome = await decide(doc);
    const annotated: Document = outcome.meta ? { ...doc, meta: { ...doc.meta, ...outcome.meta } } : doc;
    if (outcome.action === 'drop') {
      const stored = { ...annotated, ...(outcome.text === undefined ? {} : { text: outcome.text }), ...(outcome.url === undefined ? {} : { url: outcome.url }) };
      drop(tally, fragment, rejected, stored, outcome.reason, outcome.detail ?? {}, def.name);
      continue;
    }
    if (outcome.action === 'modify') {
      tally.modified++;
      annotated.text = outcome.text;
      if (outcome.url !== undefined) annotated.url = outcome.url;
    }
    fragment.event(doc.id, outcome.action, null, outcome.detail ?? {});
    kept.push(annotated);
    tally.docs_out++;
  }
  tally.outputs.push(await writeDocuments(storageFor(dir), partUri(dir, task), kept));
  tally.rejected.push(await writeParquet(storageFor(dir), rejectedUri(dir, task), REJECTED_COLUMNS, rejected));
}

async function runPhase(
  def: GlobalStage<StageConfig>, config: StageConfig, plan: RunPlan, spec: TaskSpec, dir: string, ref: TaskRef, fragment: Fragment, tally: Tally,
): Promise<void> {
  const phase = def.phases.find((p) => p.name === ref.phase);
  if (!phase) throw new Error(`stage ${def.name} has no phase ${ref.phase}`);
  const out = await phase.run({
    config, plan, spec, taskIndex: ref.task_index, stageDir: dir, storage: storageFor,
    event: (docId, action, reason, detail) => fragment.event(docId, action, reason, detail),
    row: (table, row) => fragment.row(table, row),
    stats: tally.stats,
  });
  tally.docs_in = out.docs_in;
  tally.docs_out = out.docs_out;
  tally.modified = out.modified ?? 0;
  tally.outputs.push(...out.outputs);
  tally.dropped = out.dropped ?? {};
  tally.rejected.push(...(out.rejected ?? []));
}
