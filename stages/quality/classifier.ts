/**
 * Model-based quality: a fastText supervised classifier (the approach of DCLM and FineWeb-Edu's
 * fastText baselines), trained and run with the WebAssembly build in `fasttext.wasm.js`, so nothing
 * native is needed and nothing is downloaded. Training is single-threaded with a fixed seed, so the
 * same labelled file gives the same model bytes.
 */
import { getFastTextModule } from 'fasttext.wasm.js';
import { z } from 'zod';

/** The parts of the Emscripten module we use (the package's typings are not reachable under NodeNext). */
interface Vector<T> {
  size(): number;
  get(i: number): T;
  delete?: () => void;
}
interface NativeFastText {
  loadModel(path: string): void;
  saveModel(path: string): void;
  train(args: object, onProgress: (progress: number, loss: number, wordsPerSec: number, lr: number, eta: number) => void): void;
  predict(text: string, k: number, threshold: number): Vector<[number, string]>;
}
interface FastTextModule {
  FastText: new () => NativeFastText;
  Args: new () => Record<string, unknown>;
  ModelName: Record<string, unknown>;
  LossName: Record<string, unknown>;
  FS: { writeFile(path: string, data: Uint8Array): void; readFile(path: string, opts: { encoding: 'binary' }): Uint8Array; unlink(path: string): void };
}

let module: Promise<FastTextModule> | undefined;
function fastText(): Promise<FastTextModule> {
  module ??= (getFastTextModule as unknown as () => Promise<FastTextModule>)();
  return module;
}

/** One labelled training example, one JSON object per line of the input file. */
export const LabelledDoc = z.object({ text: z.string(), label: z.string().regex(/^[^\s]+$/, 'one word, no spaces') });

export const TrainOptions = z.strictObject({
  /** fastText's supervised defaults (lr 0.1, 5 epochs, dim 100), with word bigrams as quality classifiers use. */
  epoch: z.number().int().positive().default(5),
  lr: z.number().positive().default(0.1),
  word_ngrams: z.number().int().min(1).max(5).default(2),
  dim: z.number().int().positive().default(100),
  /** Hash buckets for word n-grams. fastText's 2,000,000 makes an 800 MB model that does not fit the WebAssembly heap. */
  bucket: z.number().int().positive().default(100_000),
  seed: z.number().int().nonnegative().default(0),
});
export type TrainOptions = z.infer<typeof TrainOptions>;

/** fastText reads one example per line: labels first, text with its newlines flattened. */
function trainingLine(doc: z.infer<typeof LabelledDoc>): string {
  return `__label__${doc.label} ${doc.text.replace(/\s+/g, ' ').trim()}`;
}

/** Train from labelled JSONL ({"text", "label"} per line); returns the model file's bytes. */
export async function trainClassifier(jsonl: string, options: Partial<TrainOptions> = {}): Promise<Uint8Array> {
  const opts = TrainOptions.parse(options);
  const lines = jsonl.split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    const parsed = LabelledDoc.safeParse(JSON.parse(l));
    if (!parsed.success) throw new Error(`line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return trainingLine(parsed.data);
  });
  if (lines.length === 0) throw new Error('no labelled documents');
  const m = await fastText();
  m.FS.writeFile('train.txt', new TextEncoder().encode(`${lines.join('\n')}\n`));
  const args = new m.Args();
  Object.assign(args, { epoch: opts.epoch, lr: opts.lr, wordNgrams: opts.word_ngrams, dim: opts.dim, bucket: opts.bucket, seed: opts.seed, minCount: 1, verbose: 0, thread: 1, input: 'train.txt' });
  args.model = m.ModelName.supervised;
  args.loss = m.LossName.softmax;
  const ft = new m.FastText();
  // The native loop calls back with its progress; a function is required.
  ft.train(args, () => undefined);
  ft.saveModel('trained.bin');
  const bytes = m.FS.readFile('trained.bin', { encoding: 'binary' }).slice();
  m.FS.unlink('trained.bin');
  m.FS.unlink('train.txt');
  return bytes;
}

/** Scores a text: the probability of each label, labels without the __label__ prefix. */
export type Classifier = (text: string) => Map<string, number>;

let loaded = 0;
/** Load model bytes (from trainClassifier or fastText's own tools) into a scoring function. */
export async function loadClassifier(bytes: Uint8Array): Promise<Classifier> {
  const m = await fastText();
  const path = `model-${loaded++}.bin`;
  m.FS.writeFile(path, bytes);
  const ft = new m.FastText();
  ft.loadModel(path);
  m.FS.unlink(path);
  return (text) => {
    // All labels (k = -1): the score of the wanted label is needed even when it is not the top one.
    const v = ft.predict(text.replaceAll('\n', ' '), -1, 0);
    const out = new Map<string, number>();
    for (let i = 0; i < v.size(); i++) {
      const [p, label] = v.get(i);
      out.set(label.replace(/^__label__/, ''), p);
    }
    v.delete?.();
    return out;
  };
}
