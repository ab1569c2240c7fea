import type { ExtractedPage } from './html-text.js';

/** Why a page's own markup or headers ask not to be used for AI training. */
export interface OptOut {
  reason: 'optout_noai' | 'optout_noimageai' | 'optout_tdm_reservation';
  detail: { signal: string; where: 'http' | 'meta' };
}

/** `noai`/`noimageai` among robots directives; a leading `bot-name:` scope is read as applying to us too. */
function robotsOptOut(values: Iterable<string>, where: 'http' | 'meta'): OptOut | null {
  let found: OptOut | null = null;
  for (const value of values) {
    for (const token of value.toLowerCase().split(/[\s,:]+/)) {
      if (token === 'noai') return { reason: 'optout_noai', detail: { signal: value.slice(0, 200), where } };
      if (token === 'noimageai') found ??= { reason: 'optout_noimageai', detail: { signal: value.slice(0, 200), where } };
    }
  }
  return found;
}

/** TDMRep: `tdm-reservation: 1` reserves text and data mining rights; `0` or absent does not. */
function tdmOptOut(values: Iterable<string>, where: 'http' | 'meta'): OptOut | null {
  for (const value of values) {
    if (value.trim() === '1') return { reason: 'optout_tdm_reservation', detail: { signal: `tdm-reservation: ${value.trim()}`, where } };
  }
  return null;
}

/** Opt-out signals in HTTP response headers (`X-Robots-Tag`, `tdm-reservation`). */
export function headerOptOut(headers: Map<string, string>): OptOut | null {
  const robots = headers.get('x-robots-tag');
  const tdm = headers.get('tdm-reservation');
  return (robots ? robotsOptOut([robots], 'http') : null) ?? (tdm ? tdmOptOut(tdm.split(','), 'http') : null);
}

/** Opt-out signals in the page (`<meta name="robots">`, `<meta name="tdm-reservation">`). */
export function metaOptOut(page: ExtractedPage): OptOut | null {
  return robotsOptOut(page.robots, 'meta') ?? tdmOptOut(page.tdm_reservation, 'meta');
}
