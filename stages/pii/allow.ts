import type { PiiAllow, PiiEntity } from '../../schemas/stages/pii.js';
import { isNonPublicIp } from './recognizers/ip-address.js';

const underDomain = (host: string, domains: readonly string[]) =>
  domains.some((d) => host === d || host.endsWith(`.${d}`));

/** Builds the allow-list test of one policy: public contact points and reserved names are not personal data. */
export function allowList(allow: PiiAllow): (entity: PiiEntity, value: string) => boolean {
  const values = new Set(allow.values.map((v) => v.toLowerCase()));
  const roles = new Set(allow.role_accounts.map((r) => r.toLowerCase()));
  return (entity, value) => {
    if (values.size > 0 && values.has(value.toLowerCase())) return true;
    if (entity === 'EMAIL' || entity === 'URL_CREDENTIALS') {
      const at = value.lastIndexOf('@');
      const host = value.slice(at + 1).replace(/:\d+$/, '').toLowerCase();
      if (underDomain(host, allow.domains)) return true;
      return entity === 'EMAIL' && roles.has(value.slice(0, at).toLowerCase());
    }
    if (entity === 'IP_ADDRESS') return !allow.redact_private_ips && isNonPublicIp(value);
    return false;
  };
}
