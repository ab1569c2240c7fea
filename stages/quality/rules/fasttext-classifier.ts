import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Classifier, loadClassifier } from '../classifier.js';
import type { QualityRule, RuleOutput } from '../rule.js';

/**
 * Model-based quality: the probability a fastText supervised classifier gives the wanted label,
 * dropped below a threshold (DCLM's fastText filter, FineWeb-Edu's classifier cut-off). Train one
 * with `corpusflow train-classifier`; any fastText .bin/.ftz classifier works.
 */
export const FastTextClassifierConfig = z.strictObject({
  rule: z.literal('fasttext_classifier'),
  /** Path of the model file (absolute, or relative to the working directory). */
  model: z.string().min(1),
  /** The label that means "keep" (without __label__). */
  label: z.string().regex(/^[^\s]+$/).default('hq'),
  /** A binary classifier's decision boundary; raise it to keep only the most confident pages. */
  min_score: z.number().min(0).max(1).default(0.5),
});
export type FastTextClassifierConfig = z.infer<typeof FastTextClassifierConfig>;

const models = new Map<string, Promise<Classifier>>();

function modelFor(path: string): Promise<Classifier> {
  let m = models.get(path);
  if (!m) {
    m = readFile(path).then((bytes) => loadClassifier(new Uint8Array(bytes)));
    models.set(path, m);
  }
  return m;
}

const ready = new Map<string, Classifier>();

export const fastTextClassifier: QualityRule<FastTextClassifierConfig> = {
  name: 'fasttext_classifier',
  config: FastTextClassifierConfig,

  async open(c) {
    ready.set(c.model, await modelFor(c.model));
  },

  signals(doc, c): RuleOutput {
    const classify = ready.get(c.model);
    if (!classify) throw new Error(`fasttext_classifier: model ${c.model} was not opened`);
    return { signals: { score: classify(doc.text).get(c.label) ?? 0 } };
  },

  decide(s, c) {
    return (s.score ?? 0) < c.min_score ? 'min_score' : null;
  },
};
