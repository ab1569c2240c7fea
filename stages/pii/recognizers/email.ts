import type { Recognizer } from '../recognizer.js';

/** Image and asset names such as `logo@2x.png` share an email's shape; these endings are files, not TLDs. */
const FILE_ENDINGS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'ico', 'bmp', 'css', 'js', 'mjs', 'ts', 'json', 'map', 'woff', 'woff2', 'ttf', 'min', 'html', 'php']);

export const email: Recognizer = {
  entity: 'EMAIL',
  name: 'email',
  prefilter: '@',
  patterns: [{ regex: /(?<![\w.%+:\/-])[A-Za-z0-9][\w.%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}(?![\w-])/, score: 1.0 }],
  validate(value) {
    const [local = '', domain = ''] = value.split('@');
    if (local.endsWith('.') || local.includes('..')) return false;
    return !FILE_ENDINGS.has(domain.slice(domain.lastIndexOf('.') + 1).toLowerCase());
  },
  context: ['email', 'e-mail', 'mail', 'contact', '邮箱'],
};
