import type { z } from 'zod';

/** Measured values of one rule on one document: what the decision reads and provenance records. */
export type Signals = Record<string, number>;

/** The text a rule looks at, with its words split once and shared by every rule that counts words. */
export class DocText {
  private cachedWords: string[] | undefined;
  constructor(
    readonly text: string,
    readonly lang: string,
    readonly url: string | null,
    private readonly split: (text: string, lang: string) => string[],
  ) {}
  get words(): string[] {
    this.cachedWords ??= this.split(this.text, this.lang);
    return this.cachedWords;
  }
}

/** Lines a cleaning rule removed, counted by the reason each was removed for. */
export type RemovedLines = Record<string, number>;

/** What a rule measured, and the text after its cleaning when it removed lines. */
export interface RuleOutput {
  signals: Signals;
  cleaned?: { text: string; removed: RemovedLines };
}

/**
 * One quality rule family: its config (the published defaults), the signals it measures, and the
 * decision it takes from them. A rule that cleans lines also returns the cleaned text.
 */
export interface QualityRule<C extends { rule: string }> {
  name: C['rule'];
  config: z.ZodType<C>;
  /** Load what the rule needs (a model) once per task, before the first document. */
  open?(config: C): Promise<void>;
  signals(doc: DocText, config: C): RuleOutput;
  /** The reason code (the threshold that failed), or null to keep. */
  decide(signals: Signals, config: C): string | null;
}
