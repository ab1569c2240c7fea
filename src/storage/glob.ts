/**
 * Split a path or s3:// pattern into the folder to list and a matcher for what is under it.
 * `*` matches within one path segment and `**` across segments, as in shell globs.
 */
export function parseGlob(pattern: string): { root: string; match: (uri: string) => boolean } {
  const parts = pattern.split('/');
  const firstWild = parts.findIndex((p) => /[*?[]/.test(p));
  if (firstWild < 0) {
    return { root: parts.slice(0, -1).join('/'), match: (uri) => uri === pattern };
  }
  const root = parts.slice(0, firstWild).join('/');
  const source = parts
    .slice(firstWild)
    .map((seg) => (seg === '**' ? '(?:.*/)?' : `${seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}/`))
    .join('')
    .replace(/\/$/, '')
    .replace(/\(\?:\.\*\/\)\?$/, '.*');
  const regex = new RegExp(`^${source}$`);
  return { root, match: (uri) => uri.startsWith(`${root}/`) && regex.test(uri.slice(root.length + 1)) };
}
