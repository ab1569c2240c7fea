import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Recognizer } from '../recognizer.js';

/**
 * Regions tried for numbers written without a country code, by document language: a French-format
 * national number in an English page is more likely lottery numbers than a phone. Without a language,
 * Presidio's PhoneRecognizer default set (US, UK, DE, FR, IL, IN, CA, BR). Chinese mobiles have their
 * own recognizer (CN_MOBILE).
 */
const REGIONS_BY_LANGUAGE: Record<string, readonly CountryCode[]> = {
  en: ['US', 'GB', 'CA', 'IN', 'AU', 'IE'],
  de: ['DE', 'AT', 'CH'],
  fr: ['FR', 'BE', 'CH', 'CA'],
  es: ['ES', 'MX', 'AR', 'CO'],
  it: ['IT', 'CH'],
  pt: ['BR', 'PT'],
  nl: ['NL', 'BE'],
  pl: ['PL'],
  he: ['IL'],
  ja: ['JP'],
  zh: ['CN', 'HK', 'TW'],
};
const DEFAULT_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR', 'IL', 'IN', 'CA', 'BR'];

/**
 * Shapes that are numbers but not phones: ISO and short dates, year-prefixed ids (2024-000417), SSNs,
 * dotted quads, decimals. Dotted versions (124.0.6367.118) stay candidates: they fail the grouping
 * test below and so need a context word, while French and US dotted phones pass it.
 */
const NOT_A_PHONE = /^\d{3}-\d{2}-\d{4}$|^\d{4}-\d{2}-\d{2}|^(?:19|20)\d{2}-\d|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d{1,3}(?:\.\d{1,3}){3}$|^\d+\.\d+$/;

const groups = (s: string) => (s.replace(/ ?(?:x|ext\.?) ?\d+$/, '').match(/\d+/g) ?? []).map((g) => g.length).join(',');

/**
 * Candidates are digit runs with phone punctuation; libphonenumber (full metadata) decides validity. A
 * number with `+`, or grouped the way a region of the document's language writes numbers
 * (libphonenumber's EXACT_GROUPING idea), is strong evidence; bare runs, other groupings and numbers
 * valid only in a region of another language need a context word.
 */
export const phone: Recognizer = {
  entity: 'PHONE',
  name: 'phone',
  prefilter: /\d\d/,
  // An extension (`x549`, `ext. 12`) belongs to the number; libphonenumber parses it off.
  patterns: [{ regex: /(?<![\w+.\/:-])(?<!\d,)(?:\+|\(\+?)?\d[\d \-.()\/]{5,20}\d(?: ?(?:x|ext\.?) ?\d{1,5})?(?![\w\/:]|[.-]\d)/, score: 0.6 }],
  validate(value, lang) {
    const digits = value.replace(/ ?(?:x|ext\.?) ?\d+$/, '').replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15 || NOT_A_PHONE.test(value)) return false;
    const international = value.startsWith('+') || value.startsWith('(+');
    // A one-digit group after the first marks versions, ISBNs and section numbers (4.5.3.1.10), not a
    // national phone number; checked before libphonenumber, which costs ~0.1 ms a call.
    if (!international && /\D\d(?:\D|$)/.test(value.replace(/ ?(?:x|ext\.?) ?\d+$/, ''))) return false;
    const home: readonly (CountryCode | undefined)[] = international ? [undefined] : (lang === null ? DEFAULT_REGIONS : REGIONS_BY_LANGUAGE[lang]) ?? [];
    const written = groups(value);
    let best: number | false = false;
    // Regions of other languages only for grouped numbers: a bare digit run abroad is an id far more often.
    const abroad = international || !written.includes(',') ? [] : DEFAULT_REGIONS.filter((r) => !home.includes(r));
    for (const region of [...home, ...abroad]) {
      // `+41 (0)89 …`: the bracketed trunk zero is dialled only at home, so drop it for the international form.
      const parsed = parsePhoneNumberFromString(international ? value.replace('(0)', '') : value, region);
      if (!parsed?.isValid()) continue;
      // Mainland mobiles are CN_MOBILE's: the more specific type.
      if (parsed.country === 'CN' && parsed.getType() === 'MOBILE') return false;
      if (international) return 0.75;
      const grouped = written.includes(',') && (written === groups(parsed.formatNational()) || written === groups(parsed.formatInternational()).replace(/^\d+,/, ''));
      if (grouped && home.includes(region)) return 0.6;
      best = 0.2;
    }
    return best;
  },
  context: ['phone', 'telephone', 'tel', 'mobile', 'cell', 'call', 'fax', 'contact', 'whatsapp', 'telefon', 'téléphone', 'teléfono', '电话', '手机'],
};
