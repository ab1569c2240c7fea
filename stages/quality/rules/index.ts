import { z } from 'zod';
import type { DocText, QualityRule, RemovedLines, Signals } from '../rule.js';
import { BadWordsConfig, badWordsRule } from './bad-words.js';
import { BoilerplateLinesConfig, boilerplateLines } from './boilerplate-lines.js';
import { C4Config, c4 } from './c4.js';
import { FastTextClassifierConfig, fastTextClassifier } from './fasttext-classifier.js';
import { FineWebConfig, fineweb } from './fineweb.js';
import { GopherQualityConfig, gopherQuality } from './gopher-quality.js';
import { GopherRepetitionConfig, gopherRepetition } from './gopher-repetition.js';
import { TextStatsConfig, textStats } from './text-stats.js';
import { UrlConfig, urlRule } from './url.js';

/** One entry of a quality stage's `rules` list: the rule's name in `rule`, its thresholds beside it. */
export const QualityRuleConfig = z.discriminatedUnion('rule', [
  GopherQualityConfig, GopherRepetitionConfig, C4Config, FineWebConfig, BadWordsConfig, UrlConfig, TextStatsConfig, FastTextClassifierConfig,
  BoilerplateLinesConfig,
]);
export type QualityRuleConfig = z.infer<typeof QualityRuleConfig>;

/** A rule bound to its config: measure, decide, and maybe clean one text. */
export interface BoundRule {
  name: string;
  open(): Promise<void>;
  evaluate(doc: DocText): { signals: Signals; reason: string | null; cleaned?: { text: string; removed: RemovedLines } };
}

function bind<C extends { rule: string }>(rule: QualityRule<C>, config: C): BoundRule {
  return {
    name: rule.name,
    open: async () => rule.open?.(config),
    evaluate(doc) {
      const { signals, cleaned } = rule.signals(doc, config);
      return { signals, reason: rule.decide(signals, config), ...(cleaned ? { cleaned } : {}) };
    },
  };
}

/** Adding a rule: a file in this folder, its config in the union above, and a case here. */
export function bindRule(config: QualityRuleConfig): BoundRule {
  switch (config.rule) {
    case 'gopher_quality': return bind(gopherQuality, config);
    case 'gopher_repetition': return bind(gopherRepetition, config);
    case 'c4': return bind(c4, config);
    case 'fineweb': return bind(fineweb, config);
    case 'bad_words': return bind(badWordsRule, config);
    case 'url': return bind(urlRule, config);
    case 'text_stats': return bind(textStats, config);
    case 'fasttext_classifier': return bind(fastTextClassifier, config);
    case 'boilerplate_lines': return bind(boilerplateLines, config);
  }
}
