import type { Document } from '../../schemas/document.js';
import type { Recipe, TemplateRecipe } from '../../schemas/stages/synth.js';
import { fill, TEMPLATES } from './recipes.js';

/** A pair before gates: who made it is added by the caller. */
export interface DraftPair {
  recipe: Recipe;
  instruction: string;
  response: string;
}

/** A title or heading: one short line that does not end like a sentence. */
const isHeading = (line: string) => line.length > 0 && line.length <= 80 && !/[.!?,;:]$/.test(line) && /^\p{Lu}|^\p{N}/u.test(line);

function paragraphs(text: string): string[] {
  const blocks = text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== '');
  // Extractors that keep one paragraph per line leave no blank lines.
  return blocks.length > 1 ? blocks : text.split('\n').map((p) => p.trim()).filter((p) => p !== '');
}

function titleOf(doc: Document, paras: string[]): { title: string; rest: string[] } | null {
  const meta = typeof doc.meta.title === 'string' ? doc.meta.title.trim() : '';
  if (meta !== '') return { title: meta, rest: paras[0] === meta ? paras.slice(1) : paras };
  const first = paras[0];
  return first !== undefined && isHeading(first) ? { title: first, rest: paras.slice(1) } : null;
}

/**
 * Pairs a document yields from its own structure, without a model: the lead paragraph as the
 * summary of the rest (news and encyclopedia leads are written as summaries), the title as the
 * prompt for the body, and each heading as the prompt for its section.
 */
export function templatePairs(doc: Document, recipes: readonly TemplateRecipe[], maxChars: number): DraftPair[] {
  const paras = paragraphs(doc.text);
  const titled = titleOf(doc, paras);
  const body = titled ? titled.rest : paras;
  const title = titled?.title ?? '';
  const cut = (s: string) => (s.length > maxChars ? s.slice(0, maxChars) : s);
  const out: DraftPair[] = [];
  for (const recipe of recipes) {
    const t = TEMPLATES[recipe];
    if (recipe === 'lead_summary') {
      const leadAt = body.findIndex((p) => !isHeading(p) && /[.!?]$/.test(p));
      const lead = body[leadAt];
      const rest = body.slice(leadAt + 1).join('\n\n');
      // The lead only summarises a text several times its length.
      if (lead !== undefined && rest.length >= 2 * lead.length) out.push({ recipe, instruction: fill(t.instruction, { text: cut(rest) }), response: lead });
    } else if (recipe === 'title_body') {
      if (title !== '' && body.length > 0) out.push({ recipe, instruction: fill(t.instruction, { title }), response: cut(body.join('\n\n')) });
    } else if (recipe === 'heading_section') {
      if (title === '') continue;
      let heading: string | null = null;
      let section: string[] = [];
      const flush = () => {
        if (heading !== null && section.length > 0) out.push({ recipe, instruction: fill(t.instruction, { heading, title }), response: cut(section.join('\n\n')) });
      };
      for (const p of body) {
        if (isHeading(p)) {
          flush();
          heading = p;
          section = [];
        } else section.push(p);
      }
      flush();
    }
  }
  return out;
}
