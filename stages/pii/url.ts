import type { PiiEntity } from '../../schemas/stages/pii.js';
import type { Finding } from './scan.js';

/** Scans one decoded piece of text; the same recognizers and policy as the document's text. */
export type UrlScan = (text: string) => Finding[];
/** The replacement of one value (placeholder, pseudonym or mask), as the text's redaction makes it. */
export type UrlReplace = (entity: PiiEntity, value: string) => string;

/** scheme://userinfo@host:port then path, query, fragment. */
const SPLIT = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/?#@]*)@)?([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i;
/** A url without an authority (`mailto:ann@x.org`, `tel:+1…`): its scheme, then one piece scanned whole. */
const OPAQUE = /^([a-z][a-z0-9+.-]*:)(.*)$/is;

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/** Rewrites `pre + value` findings that fall in `value`, re-encoded; counts them. */
function scrubPiece(pre: string, raw: string, scan: UrlScan, replace: UrlReplace, counts: Partial<Record<PiiEntity, number>>): string {
  if (raw === '') return raw;
  const value = decode(raw);
  const findings = scan(pre + value).filter((f) => f.end > pre.length).map((f) => ({ ...f, start: Math.max(0, f.start - pre.length), end: f.end - pre.length }));
  if (findings.length === 0) return raw;
  let out = '';
  let cursor = 0;
  for (const f of findings) {
    out += value.slice(cursor, f.start) + replace(f.entity, value.slice(f.start, f.end));
    counts[f.entity] = (counts[f.entity] ?? 0) + 1;
    cursor = f.end;
  }
  return encodeURIComponent(out + value.slice(cursor));
}

/**
 * The url's path segments, query values (read with their key, so `api_key=`, `token=`, `phone=` act as
 * context words) and fragment, decoded and scanned like text; a password in its userinfo counts as
 * URL_CREDENTIALS. The host is kept: a server's name or address is not a person's. Null when nothing changed.
 */
export function scrubUrl(url: string, scan: UrlScan, replace: UrlReplace): { url: string; counts: Partial<Record<PiiEntity, number>> } | null {
  const counts: Partial<Record<PiiEntity, number>> = {};
  const m = SPLIT.exec(url);
  if (!m) {
    const o = OPAQUE.exec(url);
    if (!o) return null;
    const rest = scrubPiece('', o[2] ?? '', scan, replace, counts);
    return Object.keys(counts).length === 0 ? null : { url: `${o[1] ?? ''}${rest}`, counts };
  }
  const [, scheme = '', userinfo, host = '', path = '', query, fragment] = m;
  let auth = '';
  if (userinfo !== undefined) {
    const password = userinfo.includes(':') && scan(`${scheme}${decode(userinfo)}@${host}`).some((f) => f.entity === 'URL_CREDENTIALS');
    if (password) counts.URL_CREDENTIALS = 1;
    auth = `${password ? encodeURIComponent(replace('URL_CREDENTIALS', decode(userinfo))) : scrubPiece('', userinfo, scan, replace, counts)}@`;
  }
  const segments = path.split('/').map((s) => scrubPiece('', s, scan, replace, counts)).join('/');
  const params = (q: string | undefined, lead: string) => (q === undefined ? '' : lead + q.slice(1).split(/([&;])/).map((p, i) => {
    if (i % 2 === 1) return p;
    const eq = p.indexOf('=');
    if (eq < 0) return scrubPiece('', p, scan, replace, counts);
    return `${p.slice(0, eq)}=${scrubPiece(`${decode(p.slice(0, eq))}=`, p.slice(eq + 1), scan, replace, counts)}`;
  }).join(''));
  const rest = `${params(query, '?')}${params(fragment, '#')}`;
  if (Object.keys(counts).length === 0) return null;
  return { url: `${scheme}${auth}${host}${segments}${rest}`, counts };
}
