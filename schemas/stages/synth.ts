import { z } from 'zod';
import { PlainUri } from '../uri.js';
import { TaskQueue } from '../task-queue.js';
import { TokenizerName } from './shard.js';
import { RetryPolicy } from '../retry-policy.js';

/**
 * Built-in recipes. Model recipes need a chat endpoint; template recipes build pairs from the
 * document's own structure and run anywhere.
 */
export const ModelRecipe = z.enum(['qa', 'summarize', 'extract', 'rewrite', 'self_instruct']);
export const TemplateRecipe = z.enum(['lead_summary', 'title_body', 'heading_section']);
export type TemplateRecipe = z.infer<typeof TemplateRecipe>;
export const BuiltinRecipe = z.union([ModelRecipe, TemplateRecipe]);
export type BuiltinRecipe = z.infer<typeof BuiltinRecipe>;
/** A built-in recipe or one of `custom_recipes`. */
export const Recipe = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lowercase letters, digits and _ (at most 32), starting with a letter');
export type Recipe = z.infer<typeof Recipe>;

/** What a custom prompt may refer to: the source text (cut to max_source_chars) and the sampled seed tasks. */
export const PROMPT_PLACEHOLDERS = ['text', 'seeds'] as const;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/**
 * A user-defined prompt template, versioned and hashed like the built-in ones. The model replies
 * either with JSON {"instruction", "response"} (`reply: json`), or with the response alone, the
 * pair's instruction then being `instruction` filled with the source.
 */
export const CustomRecipe = z
  .strictObject({
    /** Bump when the wording changes; provenance also records the hash of the wording. */
    version: z.number().int().positive().default(1),
    system: z.string().default(''),
    /** The user message: must hold {{text}}; may hold {{seeds}} (needs seed_tasks). */
    user: z.string().min(1),
    reply: z.enum(['json', 'text']).default('text'),
    /** The pair's instruction for `reply: text`, e.g. "Translate the following text into French.\n\n{{text}}". */
    instruction: z.string().min(1).nullable().default(null),
    /** The response must be supported by the source: the grounding gate applies. */
    grounded: z.boolean().default(true),
  })
  .superRefine((r, ctx) => {
    const check = (field: 'user' | 'instruction' | 'system', allowed: readonly string[]) => {
      const found = [...(r[field] ?? '').matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
      for (const name of found.filter((f) => !allowed.includes(f))) {
        ctx.addIssue({ code: 'custom', path: [field], message: `unknown placeholder {{${name}}}: ${allowed.length ? `use ${allowed.map((a) => `{{${a}}}`).join(' or ')}` : 'the system message takes none'}` });
      }
      return found;
    };
    check('system', []);
    // A prompt without the document would ask every document the same thing, and the cache would answer each with one reply.
    if (!check('user', PROMPT_PLACEHOLDERS).includes('text')) ctx.addIssue({ code: 'custom', path: ['user'], message: 'the prompt must include the document as {{text}}' });
    check('instruction', ['text']);
    if (r.reply === 'text' && r.instruction === null) ctx.addIssue({ code: 'custom', path: ['instruction'], message: 'reply: text needs the instruction the pair shows' });
    if (r.reply === 'json' && r.instruction !== null) ctx.addIssue({ code: 'custom', path: ['instruction'], message: 'reply: json takes the instruction from the model; remove instruction' });
  });
export type CustomRecipe = z.infer<typeof CustomRecipe>;

const TemplateBackend = z.strictObject({ kind: z.literal('template') });

export const OpenAiBackend = z.strictObject({
  kind: z.literal('openai'),
  /** Base of an OpenAI-compatible API, e.g. http://localhost:8000/v1 (vLLM), https://api.openai.com/v1. */
  base_url: z.url().pipe(PlainUri),
  model: z.string().min(1),
  /** Name of the environment variable holding the API key; the key itself never enters config, cache or provenance. */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).nullable().default(null),
  temperature: z.number().min(0).max(2).default(0.7),
  max_tokens: z.number().int().positive().default(512),
  /** Requests in flight at once. */
  concurrency: z.number().int().positive().default(8),
  /** Requests per rolling minute (retries count); null: no limit. */
  rpm: z.number().int().positive().nullable().default(null),
  /** Prompt + max_tokens per rolling minute, as providers count it before a request runs; null: no limit. */
  tpm: z.number().int().positive().nullable().default(null),
  timeout_ms: z.number().int().positive().default(120_000),
  /** Attempts after the first on 429, 5xx, timeouts, connection errors and unparseable bodies. */
  max_retries: z.number().int().nonnegative().default(6),
  /** First backoff; doubles per attempt with full jitter, capped at a minute, unless the server sends Retry-After. */
  backoff_ms: z.number().int().positive().default(1000),
  /** USD per million tokens, for the run's cost report. */
  price: z.strictObject({ input_per_mtok: z.number().nonnegative().default(0), output_per_mtok: z.number().nonnegative().default(0) }).prefault({}),
});
export type OpenAiBackend = z.infer<typeof OpenAiBackend>;

export const SynthGates = z.strictObject({
  min_response_chars: z.number().int().nonnegative().default(20),
  max_response_chars: z.number().int().positive().default(8000),
  min_instruction_chars: z.number().int().nonnegative().default(10),
  max_instruction_chars: z.number().int().positive().default(20_000),
  /** Drop a response whose language (lid.176) differs from the source document's meta.lang. */
  lang_match: z.boolean().default(true),
  /** Drop an instruction whose word-3-gram Jaccard to an earlier one of the run, estimated by MinHash, reaches this (Self-Instruct drops at ROUGE-L 0.7). */
  dedup_jaccard: z.number().gt(0).max(1).default(0.7),
  /** Share of the response's content words that must occur in the source, for grounded recipes. */
  min_grounding: z.number().min(0).max(1).default(0.5),
});
export type SynthGates = z.infer<typeof SynthGates>;

export const SynthConfig = z
  .strictObject({
    stage: z.literal('synth'),
    recipes: z.array(Recipe).min(1).default(['lead_summary', 'title_body', 'heading_section']),
    /** Prompt templates of your own, by name; list a name in `recipes` to run it. They need a model backend. */
    custom_recipes: z.record(Recipe, CustomRecipe).default({}),
    backend: z.discriminatedUnion('kind', [TemplateBackend, OpenAiBackend]).default({ kind: 'template' }),
    /** Example tasks shown to the model by the self_instruct recipe (Wang et al. 2023 sample 8 per prompt). */
    seed_tasks: z.array(z.string().min(1)).default([]),
    /** Source text beyond this many characters is cut (at a paragraph when possible) before it enters a prompt. */
    max_source_chars: z.number().int().positive().default(6000),
    /** Documents shorter than this yield no pairs. */
    min_source_chars: z.number().int().nonnegative().default(200),
    gates: SynthGates.prefault({}),
    /** Temporal task queue for the generate task, e.g. corpusflow-llm: requests wait on the network and the provider's limits, so they belong on workers of their own. */
    task_queue: TaskQueue,
    /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
    retry: RetryPolicy,
    /** Files of pairs per part: chat-format JSON lines, and/or Parquet with `messages` as a list of {role, content}. */
    formats: z.array(z.enum(['jsonl', 'parquet'])).min(1).default(['jsonl']),
    /** Also write tokenized WebDataset shards of the pairs with a loss mask over the response; null: JSONL only. */
    shards: z.strictObject({
      tokenizer: TokenizerName.default('cl100k_base'),
      samples_per_shard: z.number().int().positive().default(1024),
    }).nullable().default(null),
  })
  .superRefine((c, ctx) => {
    for (const name of Object.keys(c.custom_recipes)) {
      if (BuiltinRecipe.safeParse(name).success) ctx.addIssue({ code: 'custom', path: ['custom_recipes', name], message: `${name} is a built-in recipe: choose another name` });
    }
    c.recipes.forEach((r, i) => {
      const custom = c.custom_recipes[r];
      if (!custom && !BuiltinRecipe.safeParse(r).success) {
        ctx.addIssue({ code: 'custom', path: ['recipes', i], message: `unknown recipe ${r}: use one of ${BuiltinRecipe.options.flatMap((o) => o.options).join(', ')} or define it under custom_recipes` });
      } else if (c.backend.kind === 'template' && !TemplateRecipe.safeParse(r).success) {
        ctx.addIssue({ code: 'custom', path: ['recipes', i], message: `recipe ${r} needs a model: set backend.kind to openai, or use lead_summary, title_body, heading_section` });
      }
      const seeds = r === 'self_instruct' || (custom?.user.match(PLACEHOLDER) ?? []).some((p) => /\bseeds\b/.test(p));
      if (seeds && c.seed_tasks.length === 0) ctx.addIssue({ code: 'custom', path: ['seed_tasks'], message: `the ${r} recipe needs seed tasks` });
    });
  });
export type SynthConfig = z.infer<typeof SynthConfig>;
