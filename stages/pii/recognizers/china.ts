import { cnResidentIdValid } from '../checksums.js';
import type { Recognizer } from '../recognizer.js';

/** 18-character resident identity number (GB 11643-1999): region, birth date, sequence, MOD 11-2 check. */
export const cnResidentId: Recognizer = {
  entity: 'CN_RESIDENT_ID',
  name: 'cn_resident_id',
  prefilter: /\d{17}/,
  patterns: [{ regex: /(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/, score: 0.5 }],
  validate: (value) => (cnResidentIdValid(value) ? 1.0 : false),
  context: ['身份证', '身份证号', '公民身份号码', 'resident id', 'id card', 'id number'],
};

/**
 * Mainland mobile numbers: 11 digits from 13x to 19x. With +86 the shape is certain; a bare run counts in
 * Chinese text and otherwise needs a context word (11-digit ids are common in tables).
 */
export const cnMobile: Recognizer = {
  entity: 'CN_MOBILE',
  name: 'cn_mobile',
  prefilter: /1[3-9]\d/,
  patterns: [
    { regex: /(?<![\d+])(?:\+86|0086)[ -]?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)/, score: 0.8 },
    { regex: /(?<![\d+-])1[3-9]\d(?:[ -]?\d{4}){2}(?![\d]|-\d)/, score: 0.55, languages: ['zh'] },
    { regex: /(?<![\d+-])1[3-9]\d(?:[ -]?\d{4}){2}(?![\d]|-\d)/, score: 0.2 },
  ],
  context: ['手机', '手机号', '电话', '联系', '致电', '微信', '热线', 'mobile', 'phone', 'tel', 'cell'],
};
