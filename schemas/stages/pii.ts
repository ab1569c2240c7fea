import { z } from 'zod';
import { RetryPolicy } from '../retry-policy.js';

/** Every entity type a recognizer in stages/pii/recognizers/ can report. */
export const PiiEntity = z.enum([
  'EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'IP_ADDRESS',
  'US_SSN', 'US_PASSPORT', 'US_DRIVER_LICENSE', 'UK_NINO', 'CN_RESIDENT_ID', 'CN_MOBILE',
  'CRYPTO', 'URL_CREDENTIALS',
  'AWS_KEY', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'SLACK_TOKEN', 'PRIVATE_KEY', 'JWT', 'API_KEY',
  'PERSON', 'LOCATION',
]);
export type PiiEntity = z.infer<typeof PiiEntity>;

/**
 * placeholder: `<EMAIL>`; pseudonym: `<EMAIL_1a2b3c4d>` from a keyed hash of the value, the same within a
 * release for the same key; mask: `*` for every character, so offsets around it stay put; drop: the
 * document goes to rejected/ when this type's density passes `drop_density` (else placeholder).
 */
export const PiiMode = z.enum(['placeholder', 'pseudonym', 'mask', 'drop']);
export type PiiMode = z.infer<typeof PiiMode>;

export const PiiAllow = z.strictObject({
  /** Exact values never redacted (case-insensitive), e.g. a project's public contact address. */
  values: z.array(z.string().min(1)).default([]),
  /** Emails and credential URLs at these domains (and their subdomains) are left alone. RFC 2606 names by default. */
  domains: z.array(z.string().regex(/^[a-z0-9.-]+$/, 'a lowercase domain name')).default(['example.com', 'example.net', 'example.org', 'example', 'test', 'invalid', 'localhost']),
  /** Local parts of role addresses (info@, support@, ...): a public contact point, not a person. */
  role_accounts: z.array(z.string()).default(['info', 'contact', 'support', 'help', 'hello', 'press', 'media', 'sales', 'office', 'admin', 'webmaster', 'postmaster', 'abuse', 'noreply', 'no-reply', 'privacy', 'security']),
  /** Private, loopback, link-local and documentation IP ranges identify no one; set true to redact them too. */
  redact_private_ips: z.boolean().default(false),
});
export type PiiAllow = z.infer<typeof PiiAllow>;

/**
 * Names are opt-in: on presidio-research's set a LOCATION finding is wrong about 4 times in 10 and most
 * capitalised names on the open web are public figures and places whose removal costs training text
 * (datatrove and BigCode's PII pipelines leave names alone too). Add PERSON, LOCATION to `entities` to scrub them.
 */
export const NAME_ENTITIES: readonly PiiEntity[] = ['PERSON', 'LOCATION'];

/** What can differ from one source to another. */
const PiiPolicyShape = {
  /** Entity types to look for; every type except PERSON and LOCATION by default. */
  entities: z.array(PiiEntity).default(PiiEntity.options.filter((e) => !NAME_ENTITIES.includes(e))),
  /**
   * A span is redacted at this score or above. Scores follow Presidio's scale: a validated checksum
   * gives 1.0, a bare pattern 0.2–0.6, and a context word within the window adds 0.35.
   */
  min_score: z.number().min(0).max(1).default(0.5),
  mode: PiiMode.default('placeholder'),
  /** Per-type modes, overriding `mode`. */
  modes: z.partialRecord(PiiEntity, PiiMode).default({}),
  /**
   * For types in `drop` mode: drop the document when the type exceeds this many per 1,000 characters.
   * Unlisted drop-mode types drop on any occurrence (a private key); a phone directory wants e.g. 10.
   */
  drop_density: z.partialRecord(PiiEntity, z.number().min(0)).default({}),
  allow: PiiAllow.default(PiiAllow.parse({})),
};

export const PiiSourcePolicy = z.strictObject({
  /** Applies to documents whose source uri starts with this. */
  uri_prefix: z.string().optional(),
  /** Applies to documents whose url's host is this domain or a subdomain of it. */
  url_domain: z.string().optional(),
  ...PiiPolicyShape,
}).refine((s) => s.uri_prefix !== undefined || s.url_domain !== undefined, { message: 'name uri_prefix or url_domain' });
export type PiiSourcePolicy = z.infer<typeof PiiSourcePolicy>;

export const PiiConfig = z.strictObject({
  stage: z.literal('pii'),
  ...PiiPolicyShape,
  /** Name of the environment variable holding the pseudonym key (the key itself never enters a config or provenance). */
  pseudonym_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('CORPUSFLOW_PII_KEY'),
  /** Per-source policies; the first that matches a document replaces the top-level policy for it. */
  sources: z.array(PiiSourcePolicy).default([]),
  /**
   * Once the stage's dataset is committed, delete `parts/` and `rejected/` of every earlier stage in the
   * run's work dir: they are copies of the unscrubbed input. Set false to keep them (debugging a filter on
   * restricted storage); provenance, task results and manifests are kept either way.
   */
  delete_upstream_parts: z.boolean().default(true),
  /** How Temporal retries this stage's failed tasks; null: 5 attempts with the default backoff. */
  retry: RetryPolicy,
});
export type PiiConfig = z.infer<typeof PiiConfig>;
export type PiiPolicy = Pick<PiiConfig, 'entities' | 'min_score' | 'mode' | 'modes' | 'drop_density' | 'allow'>;
