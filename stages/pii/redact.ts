import { createHmac } from 'node:crypto';
import type { PiiEntity, PiiMode } from '../../schemas/stages/pii.js';
import type { Finding } from './scan.js';

/** What provenance keeps per document: counts per type and spans in the redacted text, never a value. */
export interface PiiReport {
  counts: Partial<Record<PiiEntity, number>>;
  /** [type, start, end] in Unicode code points of the redacted text. */
  spans: [PiiEntity, number, number][];
  /** Counts per type found in the document's url (path, query, fragment, userinfo), rewritten in place. */
  url_counts?: Partial<Record<PiiEntity, number>>;
}

/** Pseudonyms key on a normalised value, so `Ann@X.org` and `ann@x.org`, or two spacings of one phone, agree. */
function normalise(entity: PiiEntity, value: string): string {
  if (entity === 'EMAIL') return value.toLowerCase();
  if (entity === 'PHONE' || entity === 'CN_MOBILE' || entity === 'CREDIT_CARD' || entity === 'US_SSN' || entity === 'IBAN') return value.replace(/[^0-9A-Za-z+]/g, '').toUpperCase();
  return value;
}

/**
 * 48 bits of HMAC-SHA256: distinct values collide only past ~16 million of one type (birthday bound),
 * and without the key a surrogate cannot be linked back to its value.
 */
export function pseudonym(key: Buffer, entity: PiiEntity, value: string): string {
  const mac = createHmac('sha256', key).update(`${entity}\0${normalise(entity, value)}`).digest('hex');
  return `<${entity}_${mac.slice(0, 12)}>`;
}

/** What one value becomes in a given mode; drop-mode types get the placeholder wherever they stay. */
export function replacement(mode: PiiMode, entity: PiiEntity, value: string, key: Buffer | null): string {
  if (mode === 'mask') return value.replace(/[^\s]/gu, '*');
  if (mode === 'pseudonym' && key) return pseudonym(key, entity, value);
  return `<${entity}>`;
}

const codePoints = (s: string) => {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
};

/** Rewrites the text span by span; findings are sorted and disjoint (scanText guarantees both). */
export function redact(text: string, findings: readonly Finding[], modeOf: (e: PiiEntity) => PiiMode, key: Buffer | null): { text: string; report: PiiReport } {
  const counts: PiiReport['counts'] = {};
  const spans: PiiReport['spans'] = [];
  const out: string[] = [];
  let cursor = 0;
  let outPoints = 0;
  for (const f of findings) {
    const before = text.slice(cursor, f.start);
    const rep = replacement(modeOf(f.entity), f.entity, text.slice(f.start, f.end), key);
    out.push(before, rep);
    outPoints += codePoints(before);
    const repPoints = codePoints(rep);
    spans.push([f.entity, outPoints, outPoints + repPoints]);
    outPoints += repPoints;
    counts[f.entity] = (counts[f.entity] ?? 0) + 1;
    cursor = f.end;
  }
  out.push(text.slice(cursor));
  return { text: out.join(''), report: { counts, spans } };
}
