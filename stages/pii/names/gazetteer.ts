import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Compromise from 'compromise';
import wordListPath from 'word-list';
import { z } from 'zod';

/** The part of compromise's world we read: its lexicon, word -> tag or tags. */
const CompromiseWorld = z.object({
  model: z.object({
    one: z.object({ lexicon: z.record(z.string(), z.union([z.string(), z.array(z.string())])) }),
    two: z.object({ orgWords: z.record(z.string(), z.boolean()), placeWords: z.record(z.string(), z.boolean()) }),
  }),
});

/** Lowercased word sets the fast path classifies capitalised spans with; built once per process. */
export interface Gazetteer {
  /** Given names (compromise: MaleName, FemaleName, FirstName). */
  first: ReadonlySet<string>;
  /** Family names (compromise: LastName). */
  last: ReadonlySet<string>;
  /** Countries, regions and cities, one or more words (compromise: Country, Region, City). */
  place: ReadonlySet<string>;
  /** Famous people, whole names (compromise: Person). */
  person: ReadonlySet<string>;
  /** Lowercase English words (word-list, SCOWL-derived, proper nouns excluded): a capitalised one is often a title word. */
  common: ReadonlySet<string>;
  /** Words that end an organisation's name (compromise's orgWords: `bank`, `group`, `inc`...). */
  org: ReadonlySet<string>;
  /** Words that end a toponym (compromise's placeWords: `river`, `county`, `valley`...). */
  placeSuffix: ReadonlySet<string>;
  /** The longest place name in words, bounding the multi-word lookup. */
  placeWords: number;
}

const tagsOf = (v: string | string[]) => (typeof v === 'string' ? [v] : v);

let built: Gazetteer | null = null;

export function gazetteer(): Gazetteer {
  if (built) return built;
  // Loaded on first use only: compromise costs ~0.4 s of CPU to load, and names are opt-in.
  const nlp = createRequire(import.meta.url)('compromise') as typeof Compromise;
  const { one, two } = CompromiseWorld.parse(nlp.world()).model;
  const lexicon = one.lexicon;
  const first = new Set<string>();
  const last = new Set<string>();
  const place = new Set<string>();
  const person = new Set<string>();
  for (const [word, value] of Object.entries(lexicon)) {
    for (const tag of tagsOf(value)) {
      if (tag === 'MaleName' || tag === 'FemaleName' || tag === 'FirstName') first.add(word);
      else if (tag === 'LastName') last.add(word);
      else if (tag === 'Country' || tag === 'Region' || tag === 'City') place.add(word);
      else if (tag === 'Person') person.add(word);
    }
  }
  const words = readFileSync(wordListPath, 'utf8').split('\n');
  const placeWords = Math.max(...[...place].map((p) => p.split(' ').length));
  // Company forms compromise lacks, and street words: a street is an address, not a LOCATION.
  const org = new Set([...Object.keys(two.orgWords), 'inc', 'ltd', 'llc', 'gmbh', 'sa', 'ag', 'plc', 'bv', 'nv', 'spa', 'srl', 'oy', 'kg',
    'street', 'st', 'strasse', 'straße', 'rue', 'road', 'rd', 'avenue', 'ave', 'lane', 'ln', 'boulevard', 'blvd', 'drive', 'square', 'sq', 'utca', 'ul', 'via', 'calle', 'stravenue']);
  built = { first, last, place, person, common: new Set(words), org, placeSuffix: new Set(Object.keys(two.placeWords)), placeWords };
  return built;
}
