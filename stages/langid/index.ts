import { getLIDModel } from 'fasttext.wasm.js';
import { LangidConfig } from '../../schemas/stages/langid.js';
import type { MapStage } from '../../src/stage.js';
import { dominantScript, iso6393 } from './labels.js';

/** The part of the fastText WASM model we use: predict returns an Emscripten vector we must free. */
interface Prediction {
  size(): number;
  get(i: number): [number, string];
  delete?: () => void;
}
interface LidModel {
  predict(text: string, k: number, threshold: number): Prediction;
}

let model: Promise<LidModel> | undefined;

/** lid.176.ftz ships inside the fasttext.wasm.js package; load it once per thread. */
function lid176(): Promise<LidModel> {
  // The package's exports map lists `types` after `import`, so TypeScript sees the loader untyped.
  const load = getLIDModel as unknown as () => Promise<{ load(): Promise<unknown> }>;
  const loaded = model ?? load().then(async (m) => (await m.load()) as LidModel);
  model = loaded;
  return loaded;
}

const round4 = (x: number) => Math.round(Math.min(1, x) * 1e4) / 1e4;

export interface Label {
  lang: string;
  score: number;
}

function identify(lid: LidModel, text: string, k: number): Label[] {
  // fastText predicts on the first line only: join lines, as the published pipelines do. Only
  // newlines: other whitespace (tabs, no-break spaces) changes fastText's tokens and scores.
  const prediction = lid.predict(text.replaceAll('\n', ' '), k, 0);
  const top: Label[] = [];
  for (let i = 0; i < prediction.size(); i++) {
    const [p, label] = prediction.get(i);
    top.push({ lang: label.replace('__label__', ''), score: p });
  }
  prediction.delete?.();
  return top;
}

/** The top lid.176 label of a text, for stages that check a language without running langid (synth's gate). */
export async function topLanguage(text: string): Promise<Label> {
  return identify(await lid176(), text, 1)[0] ?? { lang: 'und', score: 0 };
}

export const langid: MapStage<LangidConfig> = {
  kind: 'map',
  name: 'langid',
  version: 2,
  config: LangidConfig,

  async open(config) {
    const lid = await lid176();
    const allowed = config.languages ? new Set(config.languages) : null;
    const thresholds = new Map(Object.entries(config.thresholds));
    return (doc) => {
      const top = identify(lid, doc.text, config.top_k);
      const best = top[0] ?? { lang: 'und', score: 0 };
      const iso = iso6393(best.lang);
      const script = dominantScript(doc.text);
      const meta: Record<string, unknown> = {
        lang: best.lang, lang_score: round4(best.score), lang_iso639_3: iso, lang_script: script,
        lang_top: top.map((t) => ({ lang: t.lang, score: round4(t.score) })),
      };
      if (config.per_paragraph) {
        meta.lang_paragraphs = doc.text.split(/\n\s*\n/).filter((p) => p.trim() !== '').map((p) => {
          const [first] = identify(lid, p, 1);
          return { lang: first?.lang ?? 'und', score: round4(first?.score ?? 0), chars: p.length };
        });
      }
      const detail = { lang: best.lang, score: round4(best.score), iso639_3: iso, script };
      // A per-language threshold may be keyed by the lid.176 label or the ISO 639-3 code.
      const minScore = thresholds.get(best.lang) ?? thresholds.get(iso) ?? config.min_score;
      if (best.score < minScore) return { action: 'drop', reason: 'lang_low_score', meta, detail: { ...detail, min_score: minScore } };
      if (allowed && !allowed.has(best.lang) && !allowed.has(iso)) return { action: 'drop', reason: 'lang_not_allowed', meta, detail };
      return { action: 'keep', meta, detail };
    };
  },
};
