import type { Recognizer } from '../recognizer.js';

/** Numbers the SSA never issues or that are famous fakes (the Woolworth wallet card 078-05-1120). */
const NEVER_ISSUED = new Set(['123456789', '078051120', '219099999', '987654320', '987654321']);

export const usSsn: Recognizer = {
  entity: 'US_SSN',
  name: 'us_ssn',
  prefilter: /\d{3}/,
  patterns: [
    { regex: /(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w]|-\d)/, score: 0.5 },
    { regex: /(?<![\w-])\d{9}(?![\w]|-\d)/, score: 0.2 },
  ],
  validate(value) {
    const d = value.replace(/\D/g, '');
    const area = d.slice(0, 3);
    return area !== '000' && area !== '666' && area[0] !== '9' && d.slice(3, 5) !== '00' && d.slice(5) !== '0000' && !NEVER_ISSUED.has(d);
  },
  context: ['ssn', 'ssns', 'social security', 'social sec', 'ssa', 'ss#', 'ss #', 'ss no', 'taxpayer'],
};

/** A 9-digit book number, or a letter and 8 digits (the Next Generation passport, 2021). Needs context. */
export const usPassport: Recognizer = {
  entity: 'US_PASSPORT',
  name: 'us_passport',
  prefilter: /\d{8}/,
  patterns: [{ regex: /(?<![\w-])(?:[A-Z]\d{8}|\d{9})(?![\w]|-\d)/, score: 0.2 }],
  context: ['passport', 'passport number', 'passport no', 'travel document'],
};

/** State formats differ (a letter and 4–12 digits, or 7–9 digits); without a context word nothing qualifies. */
export const usDriverLicense: Recognizer = {
  entity: 'US_DRIVER_LICENSE',
  name: 'us_driver_license',
  prefilter: /\d{5}/,
  patterns: [{ regex: /(?<![\w-])(?:[A-Z]{1,2}\d{5,12}|\d{7,9})(?![\w]|-\d)/, score: 0.2 }],
  context: ['driver license', "driver's license", 'drivers license', 'driver licence', 'driving licence', 'license number', 'license no', 'dl', 'dln', 'dl#'],
};
