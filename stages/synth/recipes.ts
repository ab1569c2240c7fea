import { sha256Hex } from '../../src/hash.js';
import type { BuiltinRecipe, Recipe, SynthConfig } from '../../schemas/stages/synth.js';

/**
 * A prompt template: bump `version` whenever the wording changes, so pairs made with the old
 * wording stay distinguishable; `hash` is over the wording itself and is what provenance records.
 */
export interface PromptTemplate {
  recipe: Recipe;
  version: number;
  system: string;
  /** `{{text}}` is the source text, `{{seeds}}` the sampled seed tasks. */
  user: string;
  /** The model answers with JSON {"instruction","response"} instead of the response alone. */
  json: boolean;
  /** The response must be supported by the source (grounding gate applies). */
  grounded: boolean;
  /** The instruction shown in the pair; `{{text}}` is the source text. Unused when json. */
  instruction: string;
}

const SYSTEM = 'You write training data for an instruction-following assistant. Use only facts stated in the text you are given.';

export const TEMPLATES: Record<BuiltinRecipe, PromptTemplate> = {
  qa: {
    recipe: 'qa', version: 1, system: SYSTEM, json: true, grounded: true, instruction: '',
    user: 'Read the text below. Write one question a curious reader could ask that the text answers, and the answer, using only the text. The question must make sense without the text.\nReply with JSON only: {"instruction": "<question>", "response": "<answer>"}\n\nText:\n{{text}}',
  },
  summarize: {
    recipe: 'summarize', version: 1, system: SYSTEM, json: false, grounded: true,
    instruction: 'Summarize the following text.\n\n{{text}}',
    user: 'Summarize the following text in one paragraph.\n\n{{text}}',
  },
  extract: {
    recipe: 'extract', version: 1, system: SYSTEM, json: false, grounded: true,
    instruction: 'List the key facts stated in the following text as bullet points.\n\n{{text}}',
    user: 'List the key facts stated in the following text as bullet points, one fact per line, starting each line with "- ".\n\n{{text}}',
  },
  // Nemotron-CC (Su et al. 2024) rephrases web text "in high-quality English like sentences on Wikipedia".
  rewrite: {
    recipe: 'rewrite', version: 1, system: SYSTEM, json: false, grounded: true,
    instruction: 'Rewrite the following text in clear, encyclopedic prose.\n\n{{text}}',
    user: 'Paraphrase the following text in high-quality, encyclopedic prose like sentences on Wikipedia. Keep every fact; add none.\n\n{{text}}',
  },
  self_instruct: {
    recipe: 'self_instruct', version: 1, json: true, grounded: false, instruction: '',
    system: 'You write diverse, self-contained tasks for an instruction-following assistant, with a high-quality answer to each.',
    user: 'Here are example tasks:\n{{seeds}}\n\nWrite one new task, different from the examples, on a topic from the text below, and a high-quality answer to it. The task must make sense without the text.\nReply with JSON only: {"instruction": "<task>", "response": "<answer>"}\n\nText:\n{{text}}',
  },
  lead_summary: {
    recipe: 'lead_summary', version: 1, system: '', user: '', json: false, grounded: true,
    instruction: 'Summarize the following text.\n\n{{text}}',
  },
  title_body: {
    recipe: 'title_body', version: 1, system: '', user: '', json: false, grounded: true,
    instruction: 'Write an article titled "{{title}}".',
  },
  heading_section: {
    recipe: 'heading_section', version: 1, system: '', user: '', json: false, grounded: true,
    instruction: 'Write the section "{{heading}}" of an article titled "{{title}}".',
  },
};

/** `recipe@v<version>:<sha256 of the wording, 12 hex>`: what provenance names a template by. */
export function templateId(t: PromptTemplate): string {
  const hash = sha256Hex(JSON.stringify([t.system, t.user, t.instruction, t.json])).slice(0, 12);
  return `${t.recipe}@v${t.version}:${hash}`;
}

export function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => vars[k] ?? '');
}

/** Every template a config can name: the built-in ones and its `custom_recipes` (checked by the schema). */
export function recipeTemplates(config: Pick<SynthConfig, 'custom_recipes'>): Map<Recipe, PromptTemplate> {
  const out = new Map<Recipe, PromptTemplate>(Object.entries(TEMPLATES));
  for (const [recipe, c] of Object.entries(config.custom_recipes)) {
    out.set(recipe, { recipe, version: c.version, system: c.system, user: c.user, json: c.reply === 'json', grounded: c.grounded, instruction: c.instruction ?? '' });
  }
  return out;
}
