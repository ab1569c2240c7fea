import { readFileSync } from 'node:fs';

/** corpusflow's own version, recorded in plans, manifests and provenance. */
export const CODE_VERSION: string = (() => {
  // Compiled files live one folder deeper (dist/) than sources, so look upwards for package.json.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'corpusflow' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  throw new Error('cannot find corpusflow package.json');
})();
