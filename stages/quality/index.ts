import { QualityConfig } from '../../schemas/stages/quality.js';
import type { MapStage, Outcome } from '../../src/stage.js';
import { DocText, type RemovedLines, type Signals } from './rule.js';
import { bindRule } from './rules/index.js';
import { charLength } from './text.js';
import { splitWords } from './words.js';

/** Six significant digits: enough to re-apply any threshold, small enough for provenance rows. */
function rounded(signals: Signals): Signals {
  const out: Signals = {};
  for (const [k, v] of Object.entries(signals)) out[k] = Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v;
  return out;
}

export const quality: MapStage<QualityConfig> = {
  kind: 'map',
  name: 'quality',
  version: 1,
  config: QualityConfig,

  async open(config) {
    const rules = config.rules.map(bindRule);
    for (const rule of rules) await rule.open();
    return (doc): Outcome => {
      const lang = typeof doc.meta.lang === 'string' ? doc.meta.lang : config.default_language;
      let text = new DocText(doc.text, lang, doc.url, splitWords);
      const signals: Record<string, Signals> = {};
      const removed: Record<string, RemovedLines> = {};
      const flags: string[] = [];
      for (const rule of rules) {
        const result = rule.evaluate(text);
        signals[rule.name] = rounded(result.signals);
        const reason = result.reason === null ? null : `${rule.name}:${result.reason}`;
        if (config.mode === 'signals') {
          if (reason) flags.push(reason);
          if (result.cleaned) removed[rule.name] = result.cleaned.removed;
          continue;
        }
        if (reason) return { action: 'drop', reason, detail: { signals, ...(Object.keys(removed).length ? { removed } : {}) } };
        if (result.cleaned) {
          removed[rule.name] = result.cleaned.removed;
          text = new DocText(result.cleaned.text, lang, doc.url, splitWords);
        }
      }
      if (config.mode === 'signals') {
        return { action: 'keep', meta: { quality_signals: signals, quality_flags: flags }, detail: { signals, flags, ...(Object.keys(removed).length ? { removed } : {}) } };
      }
      if (text.text !== doc.text) {
        // Only counts and sizes of what was removed: removed lines may hold personal data.
        const chars_removed = charLength(doc.text) - charLength(text.text);
        return { action: 'modify', text: text.text, detail: { signals, removed, chars_removed } };
      }
      return { action: 'keep', detail: { signals } };
    };
  },
};
