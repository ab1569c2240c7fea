import type { Recognizer } from '../recognizer.js';

/** HMRC's National Insurance number: prefixes BG, GB, KN, NK, NT, TN and ZZ are never issued. */
export const ukNino: Recognizer = {
  entity: 'UK_NINO',
  name: 'uk_nino',
  prefilter: /[A-Z]{2} ?\d{2}/,
  patterns: [{ regex: /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/, score: 0.5 }],
  context: ['national insurance', 'nino', 'ni number', 'ni no', 'insurance number'],
};
