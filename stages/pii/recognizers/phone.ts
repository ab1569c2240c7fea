import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Recognizer } from '../recognizer.js';

/**
 * Regions tried for numbers written without a country code: Presidio's PhoneRecognizer default set
 * (US, UK, DE, FR, IL, IN, CA, BR). Chinese mobiles have their own recognizer (CN_MOBILE).
 */
const NATIONAL_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR', 'IL', 'IN', 'CA', 'BR'];

/** Shapes that are numbers but not phones: ISO dates, dotted quads and versions, decimals. */
const NOT_A_PHONE = /^\d{4}-\d{2}-\d{2}|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d+(?:\.\d+){2,}$|^\d+\.\d+$/;

/**
 * Candidates are digit runs with phone punctuation; libphonenumber (full metadata) decides. A number with
 * `+` or national grouping punctuation is strong evidence; a bare digit run needs a context word.
 */
export const phone: Recognizer = {
  entity: 'PHONE',
  name: 'phone',
  prefilter: /\d{3}/,
  patterns: [{ regex: /(?<![\w+.\/:-])(?:\+|\(\+?)?\d[\d \-.()\/]{5,20}\d(?![\w\/:]|[.-]\d)/, score: 0.6 }],
  validate(value) {
    const digits = value.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15 || NOT_A_PHONE.test(value)) return false;
    const grouped = /[ \-.()]/.test(value);
    if (value.startsWith('+') || value.startsWith('(+')) {
      return parsePhoneNumberFromString(value)?.isValid() ? 0.75 : false;
    }
    for (const region of NATIONAL_REGIONS) {
      if (parsePhoneNumberFromString(value, region)?.isValid()) return grouped ? 0.6 : 0.3;
    }
    return false;
  },
  context: ['phone', 'telephone', 'tel', 'mobile', 'cell', 'call', 'fax', 'contact', 'whatsapp', 'telefon', 'téléphone', 'teléfono', '电话', '手机'],
};
