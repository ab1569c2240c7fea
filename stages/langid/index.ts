import { getLIDModel } from 'fasttext.wasm.js';
import { LangidConfig } from '../../schemas/stages/langid.js';
import type { MapStage } from '../../src/stage.js';

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

export const langid: MapStage<LangidConfig> = {
  kind: 'map',
  name: 'langid',
  version: 2,
  config: LangidConfig,

  async open(config) {
    const lid = await lid176();
    const allowed = config.languages ? new Set(config.languages) : null;
    return (doc) => {
      // fastText predicts on the first line only: join lines, as the published pipelines do. Only
      // newlines: other whitespace (tabs, no-break spaces) changes fastText's tokens and scores.
      const prediction = lid.predict(doc.text.replaceAll('\n', ' '), config.top_k, 0);
      const top: { lang: string; score: number }[] = [];
      for (let i = 0; i < prediction.size(); i++) {
        const [p, label] = prediction.get(i);
        top.push({ lang: label.replace('__label__', ''), score: round4(p) });
      }
      prediction.delete?.();
      const best = top[0] ?? { lang: 'und', score: 0 };
      const meta = { lang: best.lang, lang_score: best.score, lang_top: top };
      if (best.score < config.min_score) return { action: 'drop', reason: 'lang_low_score', meta, detail: { lang: best.lang, score: best.score } };
      if (allowed && !allowed.has(best.lang)) return { action: 'drop', reason: 'lang_not_allowed', meta, detail: { lang: best.lang, score: best.score } };
      return { action: 'keep', meta, detail: { lang: best.lang, score: best.score } };
    };
  },
};
