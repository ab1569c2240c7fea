import type { Document } from '../../schemas/document.js';
import type { StageConfig } from '../../schemas/pipeline.js';
import { Checkpoint, RunPlan, TaskResult, TaskSpec, type TaskProgress, type TaskRef } from '../../schemas/run.js';
import { stageDefinition } from '../../stages/index.js';
import { sha256Hex } from '../hash.js';
import { streamDocuments } from '../parts/documents.js';
import { Fragment } from '../provenance/fragment.js';
import type { GlobalStage, MapStage, SourceStage } from '../stage.js';
import { redact } from '../secrets.js';
import { readJson, storageFor } from '../storage/index.js';
import { emptyTally, TaskOutput, usableCheckpoint, verified, type Tally } from './checkpoint.js';
import { checkpointUri, planUri, resultUri, stageDir, tasksUri } from './paths.js';

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

export interface TaskOptions {
  /**
   * A checkpoint of an earlier attempt of this task (from a Temporal heartbeat), or `stored`: the one
   * a killed run left in storage (local executor). Continued after once its objects verify.
   */
  resume?: Checkpoint | 'stored' | null;
  /** Progress every few thousand records and at each checkpoint (Temporal heartbeats carry it). */
  onProgress?: (p: TaskProgress) => void;
}

/**
 * Run one task of a run: the same function behind the local executor's worker threads and the
 * Temporal activities. Idempotent: outputs go to paths derived from the task's address, and a
 * task whose result is already stored returns it without running again.
 */
export async function executeTask(ref: TaskRef, opts: TaskOptions = {}): Promise<TaskResult> {
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
  let tally: Tally;
  if (def.kind === 'global') {
    tally = emptyTally();
    await runPhase(def, config, plan, spec, dir, ref, fragment, tally);
    tally.provenance = await fragment.write(storageFor, dir, ref.task_index);
  } else {
    const address = { dir, phase: ref.phase, task: ref.task_index, stage: def.name, budget: plan.pipeline.part_bytes };
    const from = opts.resume === 'stored' ? await storedCheckpoint(ref) : opts.resume;
    const out = new TaskOutput(address, fragment, await usableCheckpoint(from), opts.onProgress);
    if (def.kind === 'source') await runSource(def, config, plan, spec, out, fragment);
    else await runMap(def, config, spec, out, fragment);
    tally = await out.finish();
  }
  const result: TaskResult = {
    stage: def.name,
    phase: ref.phase,
    task_index: ref.task_index,
    ...tally,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  // The result is written last: it marks the task done for a resumed run.
  await storageFor(resultAt).write(resultAt, JSON.stringify(result));
  return result;
}

/** The checkpoint a killed attempt of this task left in storage, if any (unverified). */
export async function storedCheckpoint(ref: TaskRef): Promise<Checkpoint | null> {
  const plan = await loadPlan(ref.work_dir);
  const uri = checkpointUri(stageDir(plan, ref.stage_index), ref.phase, ref.task_index);
  if (!(await storageFor(uri).exists(uri))) return null;
  const parsed = Checkpoint.safeParse(await readJson(uri).catch(() => null));
  return parsed.success ? parsed.data : null;
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
  return (await verified([...result.outputs, ...result.rejected, ...result.provenance])) ? result : null;
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
  def: SourceStage<StageConfig>, config: StageConfig, plan: RunPlan, spec: TaskSpec, out: TaskOutput, fragment: Fragment,
): Promise<void> {
  if (spec.kind !== 'read') throw new Error(`${def.name} tasks read input files`);
  const { range } = spec;
  const bytes = range ? await storageFor(spec.uri).readRange(spec.uri, range.read_start, range.read_end) : await storageFor(spec.uri).read(spec.uri);
  // Unreadable records are numbered per offset, so their ids do not depend on how a file was sliced.
  const badAt = new Map<number, number>();
  const license = config.stage === 'ingest' ? (config.inputs[spec.input_index]?.license ?? null) : null;
  const { tally } = out;
  // Records before a resumed checkpoint are parsed again but neither written nor recorded; only
  // their bad-record numbering is replayed, so the ids after the checkpoint come out the same.
  let skip = out.position;
  for await (const item of def.read(spec, bytes, config, { plan, storage: storageFor })) {
    if (skip > 0) {
      skip--;
      if (item.kind === 'bad') badAt.set(item.offset, (badAt.get(item.offset) ?? 0) + 1);
      continue;
    }
    out.read(item.kind === 'bad' ? '' : item.doc.text);
    if (item.kind !== 'bad') {
      const { doc } = item;
      fragment.row('documents', {
        doc_id: doc.id, source_uri: doc.source.uri, source_offset: doc.source.offset, record_id: doc.source.record_id, url: doc.url,
        domain: domainOf(doc.url), fetch_date: doc.source.fetch_date, license: doc.source.license, status: 'ok', text_bytes: Buffer.byteLength(doc.text),
        content_type: item.record?.content_type ?? null, http_status: item.record?.http_status ?? null,
      });
      if (item.kind === 'drop') out.drop(doc, item.reason, item.detail);
      else if (doc.text.trim() === '') out.drop(doc, 'empty_text', {});
      else {
        fragment.event(doc.id, 'keep', null, {});
        out.keep(doc);
      }
      await out.next();
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
    out.drop(doc, item.reason, detail);
    tally.bad_records++;
    if (tally.errors.length < MAX_REPORTED_ERRORS) tally.errors.push({ uri: spec.uri, offset: item.offset, reason: item.reason, message });
    await out.next();
  }
  // A slice of a file is its own source row (`uri#bytes=start-end`, checksum of those bytes), so a
  // split file's rows add up to the file and each can be checked with one range read.
  const owned = range ? bytes.subarray(range.start - range.read_start, range.end - range.read_start) : bytes;
  const uri = range ? `${spec.uri}#bytes=${range.start}-${range.end}` : spec.uri;
  const source = { uri, sha256: sha256Hex(owned), bytes: owned.length, license, records: tally.docs_in, bad_records: tally.bad_records };
  fragment.row('sources', { ...source, format: config.stage === 'ingest' ? (config.inputs[spec.input_index]?.format ?? null) : null });
  tally.stats.sources = [source];
}

async function runMap(def: MapStage<StageConfig>, config: StageConfig, spec: TaskSpec, out: TaskOutput, fragment: Fragment): Promise<void> {
  if (spec.kind !== 'part') throw new Error(`${def.name} tasks read one part`);
  const decide = await def.open(config);
  for await (const doc of streamDocuments(storageFor(spec.part), spec.part, out.position)) {
    out.read(doc.text);
    const outcome = await decide(doc);
    const annotated: Document = outcome.meta ? { ...doc, meta: { ...doc.meta, ...outcome.meta } } : doc;
    if (outcome.action === 'drop') {
      const stored = { ...annotated, ...(outcome.text === undefined ? {} : { text: outcome.text }), ...(outcome.url === undefined ? {} : { url: outcome.url }) };
      out.drop(stored, outcome.reason, outcome.detail ?? {});
    } else {
      if (outcome.action === 'modify') {
        out.tally.modified++;
        annotated.text = outcome.text;
        if (outcome.url !== undefined) annotated.url = outcome.url;
      }
      fragment.event(doc.id, outcome.action, null, outcome.detail ?? {});
      out.keep(annotated);
    }
    await out.next();
  }
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
