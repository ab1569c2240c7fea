import { isValidIBAN } from 'ibantools';
import type { Recognizer } from '../recognizer.js';

export const iban: Recognizer = {
  entity: 'IBAN',
  name: 'iban',
  prefilter: /[A-Z]{2}\d{2}/,
  patterns: [{ regex: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/, score: 0.5 }],
  // ISO 13616 mod-97 check digits and the country's BBAN length (ibantools): a valid checksum is certain.
  validate: (value) => (isValidIBAN(value.replace(/ /g, '')) ? 1.0 : false),
  context: ['iban', 'bank', 'account', 'transfer', 'sepa', 'konto', 'compte', 'cuenta'],
};
