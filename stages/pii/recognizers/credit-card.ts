import { luhnValid } from '../checksums.js';
import type { Recognizer } from '../recognizer.js';

/** Issuer prefixes (IIN ranges) of Visa, Mastercard, Amex, Discover, JCB (incl. 15-digit 1800/2131), Diners, UnionPay, Maestro. */
const ISSUER = /^(?:4|5[1-5]|2[2-7]|3[47]|6011|65|64[4-9]|35|1800|2131|30[0-5]|36|38|62|5[06-9]|6[37])/;
/** Maestro alone issues 12-digit numbers. */
const MAESTRO = /^(?:50|5[6-8]|6)/;

export const creditCard: Recognizer = {
  entity: 'CREDIT_CARD',
  name: 'credit_card',
  prefilter: /\d{4}/,
  patterns: [
    { regex: /(?<![\d.,-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\d{3})?|3[47]\d{2}([ -])\d{6}\2\d{5})(?![\d]|[.,-]\d)/, score: 1.0 },
    // A bare run is weaker evidence: 1 in 10 random runs passes Luhn.
    { regex: /(?<![\d.,-])\d{12,19}(?![\d]|[.,-]\d)/, score: 0.6 },
  ],
  validate(value) {
    const digits = value.replace(/\D/g, '');
    if (digits.length === 12 && !MAESTRO.test(digits)) return false;
    return ISSUER.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits);
  },
  context: ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'cc', 'payment', 'kreditkarte', 'carte', 'tarjeta', '信用卡'],
};
