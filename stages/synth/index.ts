import { z } from 'zod';
import type { Document } from '../../schemas/document.js';
import { SynthConfig, TemplateRecipe, type Recipe } from '../../schemas/stages/synth.js';
import { sha256Hex } from '../../src/hash.js';
import { readDocuments, writeDocuments } from '../../src/parts/documents.js';
import { partUri } from '../../src/run/paths.js';
import type { ReleaseFile, SynthRelease } from '../../schemas/release.js';
import type { PartInfo } from '../../schemas/run.js';
import type { GlobalStage, PhaseContext } from '../../src/stage.js';
import { joinUri } from '../../src/storage/index.js';
import { topLanguage } from '../langid/index.js';
import { ResponseCache, type ChatMessage } from './cache.js';
import { ChatClient } from './chat-client.js';
import { checkPair, InstructionDedup } from './gates.js';
import { writeMaskedShards, type MaskedShard } from './masked-shards.js';
import { writePairsParquet } from './pairs-parquet.js';
import { fill, recipeTemplates, templateId, type PromptTemplate } from './recipes.js';
import { templatePairs, type DraftPair } from './template-backend.js';

/** Self-Instruct (Wang et al. 2023) shows 8 tasks per prompt. */
const SEEDS_PER_PROMPT = 8;

/** One generated pair with everything needed to trace it back: source document, model, template, params, cache key. */
export interface SynthPair {
  id: string;
  messages: [ChatMessage, ChatMessage];
  source_doc_id: string;
  recipe: Recipe;
  generator: string;
  template: string;
  params: Record<string, number>;
  cache_key: string | null;
  grounding: number | null;
}

interface Candidate extends DraftPair {
  generator: string;
  params: Record<string, number>;
  cache_key: string | null;
  /** Why the candidate failed before the gates (the model's reply could not be used). */
  unusable: string | null;
}

const JsonPair = z.object({ instruction: z.string(), response: z.string() });

/** The JSON object in a reply, tolerating the code fences chat models like to add. */
function parseJsonPair(content: string): { instruction: string; response: string } | null {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const parsed = JsonPair.safeParse(JSON.parse(content.slice(start, end + 1)));
    return parsed.success ? { instruction: parsed.data.instruction.trim(), response: parsed.data.response.trim() } : null;
  } catch {
    return null;
  }
}

/** The source as a prompt sees it: cut at the last paragraph break before the limit when there is one. */
export function promptSource(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.lastIndexOf('\n', maxChars);
  return text.slice(0, cut > maxChars / 2 ? cut : maxChars);
}

/** A deterministic sample of seed tasks per document, so the same document always gets the same prompt (and cache key). */
function seedsFor(seeds: readonly string[], docId: string): string[] {
  return [...seeds]
    .map((s, i) => ({ s, k: sha256Hex(`${docId}\u0000${i}`) }))
    .sort((a, b) => (a.k < b.k ? -1 : 1))
    .slice(0, SEEDS_PER_PROMPT)
    .map((x) => x.s);
}

/** The run's output root: work dirs are <out>/runs/<run_id>, so the cache is shared by every run writing to <out>. */
function outRoot(workDir: string, runId: string): string {
  const suffix = `/runs/${runId}`;
  if (!workDir.endsWith(suffix)) throw new Error(`synth: work dir ${workDir} is not <out>${suffix}`);
  return workDir.slice(0, -suffix.length);
}

async function modelCandidate(client: ChatClient, t: PromptTemplate, doc: Document, source: string, seeds: readonly string[]): Promise<Candidate> {
  const recipe = t.recipe;
  const seedList = seedsFor(seeds, doc.id).map((s, i) => `${i + 1}. ${s}`).join('\n');
  const messages: ChatMessage[] = [{ role: 'system', content: t.system }, { role: 'user', content: fill(t.user, { text: source, seeds: seedList }) }];
  const reply = await client.complete(messages);
  const base = { recipe, generator: reply.model, params: client.params, cache_key: reply.key };
  if (reply.finish_reason === 'length') return { ...base, instruction: '', response: '', unusable: 'truncated' };
  if (!t.json) return { ...base, instruction: fill(t.instruction, { text: source }), response: reply.content.trim(), unusable: null };
  const pair = parseJsonPair(reply.content);
  return pair ? { ...base, ...pair, unusable: null } : { ...base, instruction: '', response: '', unusable: 'unparseable' };
}

type Rejected = Omit<SynthPair, 'grounding'> & { reason: string; detail: Record<string, number | string> };

/** Tallies over the whole run, reported in the task's stats. */
interface SynthTally {
  pairs: number;
  rejected: Record<string, number>;
  recipes: Record<string, number>;
}

/** Pairs of one part's documents, through the gates, in document and recipe order (so dedup is deterministic). */
async function synthesizePart(
  ctx: PhaseContext<SynthConfig>, docs: Document[], templates: ReadonlyMap<Recipe, PromptTemplate>, client: ChatClient | null, dedup: InstructionDedup, tally: SynthTally,
): Promise<{ pairs: SynthPair[]; rejected: Rejected[] }> {
  const { config } = ctx;
  const modelTemplates = config.recipes.filter((r) => !TemplateRecipe.safeParse(r).success).map((r) => templates.get(r) as PromptTemplate);
  const templateRecipes = config.recipes.flatMap((r) => TemplateRecipe.safeParse(r).data ?? []);
  // Every request of the part is queued at once: the client's queue, not this loop, decides how many run.
  const perDoc = await Promise.all(docs.map(async (doc): Promise<Candidate[]> => {
    if (doc.text.length < config.min_source_chars) return [];
    const source = promptSource(doc.text, config.max_source_chars);
    const fromTemplates = templatePairs(doc, templateRecipes, config.max_source_chars)
      .map((p): Candidate => ({ ...p, generator: 'template', params: {}, cache_key: null, unusable: null }));
    const fromModel = client ? await Promise.all(modelTemplates.map((t) => modelCandidate(client, t, doc, source, config.seed_tasks))) : [];
    return [...fromTemplates, ...fromModel];
  }));

  const pairs: SynthPair[] = [];
  const rejected: Rejected[] = [];
  for (const [i, doc] of docs.entries()) {
    let kept = 0;
    for (const c of perDoc[i] ?? []) {
      const t = templates.get(c.recipe) as PromptTemplate;
      const template = templateId(t);
      const messages: [ChatMessage, ChatMessage] = [{ role: 'user', content: c.instruction }, { role: 'assistant', content: c.response }];
      const id = sha256Hex(`${doc.id}\u0000${template}\u0000${c.cache_key ?? ''}\u0000${c.instruction}\u0000${c.response}`).slice(0, 32);
      const base = { id, messages, source_doc_id: doc.id, recipe: c.recipe, generator: c.generator, template, params: c.params, cache_key: c.cache_key };
      let verdict = c.unusable ? { pass: false as const, reason: c.unusable, detail: {} } : checkPair(c.instruction, c.response, doc.text, t.grounded, config.gates);
      // A reply in another language is also ungrounded by word overlap; name the cause that is true.
      if ((verdict.pass || verdict.reason === 'ungrounded') && config.gates.lang_match && c.generator !== 'template' && typeof doc.meta.lang === 'string') {
        const lang = (await topLanguage(c.response)).lang;
        if (lang !== doc.meta.lang) verdict = { pass: false, reason: 'lang_mismatch', detail: { lang, source_lang: doc.meta.lang } };
      }
      if (verdict.pass) {
        const similarity = dedup.check(c.instruction);
        if (similarity !== null) verdict = { pass: false, reason: 'near_duplicate_instruction', detail: { estimated_jaccard: Math.round(similarity * 1e4) / 1e4 } };
      }
      if (!verdict.pass) {
        tally.rejected[verdict.reason] = (tally.rejected[verdict.reason] ?? 0) + 1;
        rejected.push({ ...base, reason: verdict.reason, detail: verdict.detail });
        continue;
      }
      pairs.push({ ...base, grounding: verdict.grounding });
      tally.recipes[c.recipe] = (tally.recipes[c.recipe] ?? 0) + 1;
      tally.pairs++;
      ctx.row('synth_pairs', { synth_doc_id: id, source_doc_id: doc.id, generator: c.generator, template });
      kept++;
    }
    ctx.event(doc.id, 'keep', null, { synth_pairs: kept });
  }
  return { pairs, rejected };
}

/**
 * One task over every part, so one client holds the provider's limits exactly: concurrency, RPM and
 * TPM are properties of the endpoint, not of a worker. The work is I/O-bound, so one task loses no CPU.
 */
async function generate(ctx: PhaseContext<SynthConfig>): Promise<{ docs_in: number; docs_out: number; outputs: PartInfo[] }> {
  if (ctx.spec.kind !== 'reduce') throw new Error('synth generate is one task over all parts');
  const { config } = ctx;
  let client: ChatClient | null = null;
  if (config.backend.kind === 'openai' && config.recipes.some((r) => !TemplateRecipe.safeParse(r).success)) {
    const cacheRoot = joinUri(outRoot(ctx.plan.work_dir, ctx.plan.run_id), 'cache', 'synth');
    client = new ChatClient(config.backend, new ResponseCache(ctx.storage(cacheRoot), cacheRoot));
  }
  const dedup = new InstructionDedup(config.gates.dedup_jaccard);
  const templates = recipeTemplates(config);
  const tally: SynthTally = { pairs: 0, rejected: {}, recipes: {} };
  const outputs: PartInfo[] = [];
  const shards: MaskedShard[] = [];
  const files: ReleaseFile[] = [];
  let docsIn = 0;
  const jsonl = (rows: object[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  for (const [i, part] of ctx.spec.parts.entries()) {
    const docs = await readDocuments(ctx.storage(part), part);
    docsIn += docs.length;
    const { pairs, rejected } = await synthesizePart(ctx, docs, templates, client, dedup, tally);
    const name = `pairs-${String(i).padStart(5, '0')}`;
    if (config.formats.includes('jsonl')) {
      const uri = joinUri(ctx.plan.release_dir, 'synth', `${name}.jsonl`);
      const bytes = Buffer.from(jsonl(pairs));
      await ctx.storage(uri).write(uri, bytes);
      files.push({ name: `synth/${name}.jsonl`, format: 'jsonl', sha256: sha256Hex(bytes), bytes: bytes.length, rows: pairs.length });
    }
    if (config.formats.includes('parquet')) {
      const uri = joinUri(ctx.plan.release_dir, 'synth', `${name}.parquet`);
      const written = await writePairsParquet(ctx.storage(uri), uri, pairs);
      files.push({ name: `synth/${name}.parquet`, format: 'parquet', sha256: written.sha256, bytes: written.bytes, rows: written.rows });
    }
    const rejectedUri = joinUri(ctx.stageDir, 'rejected-pairs', `${name}.jsonl`);
    await ctx.storage(rejectedUri).write(rejectedUri, jsonl(rejected));
    if (config.shards) {
      const dir = joinUri(ctx.plan.release_dir, 'synth', 'shards');
      const written = await writeMaskedShards(pairs, config.shards.tokenizer, config.shards.samples_per_shard, dir, `synth-${String(i).padStart(5, '0')}`, ctx.storage(dir));
      shards.push(...written.map((sh) => ({ ...sh, name: `synth/shards/${sh.name}` })));
    }
    // Source documents pass through unchanged: synth adds a dataset beside the corpus, not into it.
    outputs.push(await writeDocuments(ctx.storage(ctx.stageDir), partUri(ctx.stageDir, i), docs));
  }
  const release: SynthRelease = { pairs: tally.pairs, files, shards };
  ctx.stats.synth = {
    ...tally,
    templates: Object.fromEntries(config.recipes.map((r) => [r, templateId(templates.get(r) as PromptTemplate)])),
    ...(client ? { usage: client.usage } : {}),
    release,
  };
  return { docs_in: docsIn, docs_out: docsIn, outputs };
}

export const synth: GlobalStage<SynthConfig> = {
  kind: 'global',
  name: 'synth',
  version: 1,
  config: SynthConfig,
  phases: [{ name: 'generate', kind: 'reduce', run: generate }],
};
