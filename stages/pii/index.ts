import { ConfigError } from '../../src/pipeline.js';
import { NAME_ENTITIES, PiiConfig, type PiiEntity, type PiiPolicy } from '../../schemas/stages/pii.js';
import type { Document } from '../../schemas/document.js';
import type { MapStage, Outcome } from '../../src/stage.js';
import { allowList } from './allow.js';
import { RECOGNIZERS } from './recognizers/index.js';
import { redact, replacement } from './redact.js';
import { compileRecognizer, scanText, type CompiledRecognizer } from './scan.js';
import { scrubUrl } from './url.js';

/** Pseudonym keys shorter than this are guessable by brute force over common emails and phones. */
const MIN_KEY_BYTES = 16;

interface CompiledPolicy {
  policy: PiiPolicy;
  recognizers: CompiledRecognizer[];
  /** PERSON and LOCATION when the policy asks for them (found by names/detect.ts, not a pattern recognizer). */
  names: ReadonlySet<PiiEntity>;
  allowed: (entity: PiiEntity, value: string) => boolean;
  matches: (doc: Document) => boolean;
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function compilePolicy(policy: PiiPolicy, matches: (doc: Document) => boolean): CompiledPolicy {
  const wanted = new Set(policy.entities);
  const names = new Set(NAME_ENTITIES.filter((e) => wanted.has(e)));
  return { policy, recognizers: RECOGNIZERS.filter((r) => wanted.has(r.entity)).map(compileRecognizer), names, allowed: allowList(policy.allow), matches };
}

const usesPseudonyms = (p: PiiPolicy) => p.mode === 'pseudonym' || Object.values(p.modes).includes('pseudonym');

/** Reads the key named by the config; the error names the variable, never its content. */
function pseudonymKey(config: PiiConfig): Buffer | null {
  if (!usesPseudonyms(config) && !config.sources.some(usesPseudonyms)) return null;
  const raw = process.env[config.pseudonym_key_env];
  if (!raw) throw new ConfigError(`pii.pseudonym_key_env: environment variable ${config.pseudonym_key_env} is not set (pseudonym mode needs a secret key)`);
  const key = Buffer.from(raw, 'utf8');
  if (key.length < MIN_KEY_BYTES) throw new ConfigError(`pii.pseudonym_key_env: the key in ${config.pseudonym_key_env} must be at least ${MIN_KEY_BYTES} bytes`);
  return key;
}

/** Finds PII in one document and applies its policy: the whole of the stage's per-document work. */
export function piiScrubber(config: PiiConfig): (doc: Document) => Outcome {
  const key = pseudonymKey(config);
  const sources = config.sources.map((s) => compilePolicy(s, (doc) => {
    if (s.uri_prefix !== undefined && !doc.source.uri.startsWith(s.uri_prefix)) return false;
    if (s.url_domain === undefined) return true;
    const host = hostOf(doc.url);
    return host !== null && (host === s.url_domain || host.endsWith(`.${s.url_domain}`));
  }));
  const fallback = compilePolicy(config, () => true);
  return (doc) => {
    const { policy, recognizers, names, allowed } = sources.find((s) => s.matches(doc)) ?? fallback;
    const lang = typeof doc.meta.lang === 'string' ? doc.meta.lang : null;
    const findings = scanText(doc.text, recognizers, lang, policy.min_score, allowed, names);
    const modeOf = (e: PiiEntity) => policy.modes[e] ?? policy.mode;
    // Names in a url are lowercase slugs the capitalised-span detector cannot read; every other type is scanned there.
    const url = doc.url === null ? null
      : scrubUrl(doc.url, (t) => scanText(t, recognizers, lang, policy.min_score, allowed), (e, v) => replacement(modeOf(e), e, v, key));
    if (findings.length === 0 && url === null) return { action: 'keep' };
    const { text, report } = redact(doc.text, findings, modeOf, key);
    const urlPart = url === null ? {} : { url: url.url };
    // The scrubbed url goes into the event too: the catalog's documents table, loaded from ingest, takes it from there.
    const detail = url === null ? { pii: report } : { pii: { ...report, url_counts: url.counts }, url: url.url };
    const meta = url === null ? { pii_counts: report.counts } : { pii_counts: report.counts, pii_url_counts: url.counts };
    const perKChars = 1000 / Math.max(1, doc.text.length);
    const dense = (Object.keys(report.counts) as PiiEntity[])
      .filter((e) => modeOf(e) === 'drop' && (report.counts[e] ?? 0) * perKChars > (policy.drop_density[e] ?? 0));
    if (dense.length > 0) return { action: 'drop', reason: 'pii_density', text, ...urlPart, meta, detail: { ...detail, dense_types: dense } };
    return { action: 'modify', text, ...urlPart, meta, detail };
  };
}

export const pii: MapStage<PiiConfig> = {
  kind: 'map',
  name: 'pii',
  version: 1,
  config: PiiConfig,
  open: async (config) => piiScrubber(config),
  supersedesUpstream: (config) => config.delete_upstream_parts,
};
