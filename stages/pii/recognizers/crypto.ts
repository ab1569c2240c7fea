import { base58CheckValid, bech32Valid, eip55Valid } from '../checksums.js';
import type { Recognizer } from '../recognizer.js';

/** Bitcoin (Base58Check, bech32/bech32m) and Ethereum (EIP-55) addresses. */
export const cryptoWallet: Recognizer = {
  entity: 'CRYPTO',
  name: 'crypto_wallet',
  prefilter: /[13][1-9A-HJ-NP-Za-km-z]{25}|bc1|BC1|0x[0-9a-fA-F]{40}/,
  patterns: [
    { regex: /(?<![A-Za-z0-9])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9])/, score: 0.5 },
    { regex: /(?<![A-Za-z0-9])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}(?![A-Za-z0-9])/, score: 0.5 },
    { regex: /(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])/, score: 0.3 },
  ],
  validate(value) {
    if (value.startsWith('0x')) {
      const hex = value.slice(2);
      // All one case carries no checksum: a hash prefix looks the same, so context must decide.
      if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
      return eip55Valid(value) ? 1.0 : false;
    }
    if (/^bc1/i.test(value)) return bech32Valid(value) ? 1.0 : false;
    return base58CheckValid(value) ? 1.0 : false;
  },
  context: ['wallet', 'bitcoin', 'btc', 'ethereum', 'eth', 'ether', 'address', 'send', 'donate', 'metamask', '钱包'],
};
