import { isIPv6 } from 'node:net';
import type { Recognizer } from '../recognizer.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

export const ipAddress: Recognizer = {
  entity: 'IP_ADDRESS',
  name: 'ip_address',
  prefilter: /\d\.\d|:[0-9A-Fa-f]*:/,
  patterns: [
    // Not inside a longer dotted run (versions like 1.2.3.4.5, OIDs) and not after `v` (v1.2.3.4).
    { regex: new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`), score: 0.6 },
    { regex: /(?<![\w:.])(?=[0-9A-Fa-f:.]*[0-9A-Fa-f]:)[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])/, score: 0.6 },
  ],
  notAfter: /(?<![A-Za-z])(?:version|release|build|ver\.?|v|rev|firmware|sdk|api)[ :]*$/i,
  validate(value) {
    if (!value.includes(':')) return true;
    // At least three colon groups with hex digits, so clock times and C++ scopes never qualify.
    return isIPv6(value) && (value.match(/[0-9A-Fa-f]+/g)?.length ?? 0) >= 2;
  },
  context: ['ip', 'address', 'host', 'server', 'client', 'addr', 'ipv4', 'ipv6'],
};

/** Ranges that identify no one: private, loopback, link-local, CGNAT, documentation, multicast, reserved. */
export function isNonPublicIp(value: string): boolean {
  if (value.includes(':')) {
    const v = value.toLowerCase();
    return v === '::' || v === '::1' || /^f[cd]/.test(v) || /^fe[89ab]/.test(v) || v.startsWith('2001:db8:') || v.startsWith('ff')
      || (v.startsWith('::ffff:') && isNonPublicIp(v.slice(7)));
  }
  const [a = 0, b = 0, c = 0] = value.split('.').map(Number);
  return a === 0 || a === 10 || a === 127 || a >= 224
    || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32)
    || (a === 192 && b === 168) || (a === 192 && b === 0 && (c === 0 || c === 2))
    || (a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113);
}
