import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Document } from '../schemas/document.js';
import { LangidConfig } from '../schemas/stages/langid.js';
import { langid } from '../stages/langid/index.js';
import { dominantScript } from '../stages/langid/labels.js';
import type { Outcome } from '../src/stage.js';

function doc(text: string): Document {
  return { id: '0'.repeat(32), text, url: null, source: { uri: 'mem://test', offset: 0, record_id: null, fetch_date: null, license: null }, meta: {} };
}

async function langidOf(config: object, text: string): Promise<Outcome> {
  const run = await langid.open(LangidConfig.parse({ stage: 'langid', ...config }));
  return run(doc(text));
}

// datatrove's language filter test (tests/pipeline/test_filters.py): with English and Italian
// allowed, the English and Italian passages pass, the French and Portuguese ones do not.
const EN = "I wish it need not have happened in my time,' said Frodo. 'So do I,' said Gandalf, 'and so do all who live to "
  + "see such times. But that is not for them to decide. All we have to decide is what to do with the time that is given us.'";
const FR = "Un magicien n'est jamais en retard Frodon Sacquet. Pas plus qu'il est en avance. Il arrive précisément à l'heure prévue.";
const PT = 'Um mago nunca chega tarde, Frodo Bolseiro. Nem cedo. Ele chega precisamente na hora que pretende.';
const IT = 'Molti tra i vivi meritano la morte. E parecchi che sono morti avrebbero meritato la vita. Sei forse tu in '
  + 'grado di dargliela? E allora non essere troppo generoso nel distribuire la morte nei tuoi giudizi: '
  + 'sappi che nemmeno i più saggi possono vedere tutte le conseguenze.';

test('an allow-list keeps English and Italian and drops French and Portuguese, as datatrove decides', async () => {
  const config = { languages: ['en', 'it'], min_score: 0.65 };
  assert.equal((await langidOf(config, EN)).action, 'keep');
  assert.equal((await langidOf(config, IT)).action, 'keep');
  const fr = await langidOf(config, FR);
  assert.equal(fr.action === 'drop' && fr.reason, 'lang_not_allowed');
  assert.equal((await langidOf(config, PT)).action, 'drop');
  // The allow-list also takes ISO 639-3 codes.
  assert.equal((await langidOf({ languages: ['eng'] }, EN)).action, 'keep');
});

test('labels are recorded as lid.176 label, ISO 639-3 code and the script of the text', async () => {
  const meta = async (text: string) => (await langidOf({}, text)).meta as { lang: string; lang_iso639_3: string; lang_script: string };
  assert.deepEqual(pick(await meta(EN)), { lang: 'en', lang_iso639_3: 'eng', lang_script: 'Latn' });
  assert.deepEqual(pick(await meta('人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。')), { lang: 'zh', lang_iso639_3: 'zho', lang_script: 'Hani' });
  assert.deepEqual(pick(await meta('すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。')), { lang: 'ja', lang_iso639_3: 'jpn', lang_script: 'Jpan' });
  const cyrillic = await meta('Сва људска бића рађају се слободна и једнака у достојанству и правима. Она су обдарена разумом и свешћу.');
  assert.equal(cyrillic.lang_script, 'Cyrl');
  const latin = await meta('Sva ljudska bića rađaju se slobodna i jednaka u dostojanstvu i pravima. Ona su obdarena razumom i svešću.');
  assert.equal(latin.lang_script, 'Latn');
});

test('the script is counted per letter, letters outside the Basic Multilingual Plane included, the first listed script winning a tie', () => {
  // CJK Extension B ideographs are surrogate pairs: four of them outnumber three Latin letters.
  assert.equal(dominantScript('\u{20000}\u{20001}\u{20002}\u{20003} abc 😀😀😀😀😀'), 'Hani');
  assert.equal(dominantScript('\u{20000}\u{20001}\u{20002} abcd'), 'Latn');
  assert.equal(dominantScript('ab αβ'), 'Latn');
  assert.equal(dominantScript('Ünïcödé ça va, ñandú'), 'Latn');
  assert.equal(dominantScript('12345 !?'), 'Zyyy');
  // Only the first 2,000 UTF-16 units are read.
  assert.equal(dominantScript(`${'я'.repeat(2000)}${'a'.repeat(5000)}`), 'Cyrl');
});

function pick(m: { lang: string; lang_iso639_3: string; lang_script: string }) {
  return { lang: m.lang, lang_iso639_3: m.lang_iso639_3, lang_script: m.lang_script };
}

test('a per-language threshold replaces the global minimum score for that language', async () => {
  const strict = await langidOf({ thresholds: { en: 0.9999 } }, EN);
  assert.equal(strict.action === 'drop' && strict.reason, 'lang_low_score');
  assert.equal((strict.detail as { min_score: number }).min_score, 0.9999);
  assert.equal((await langidOf({ min_score: 0.9999, thresholds: { eng: 0.5 } }, EN)).action, 'keep');
  // Other languages keep the global minimum.
  assert.equal((await langidOf({ min_score: 0.5, thresholds: { en: 0.9999 } }, IT)).action, 'keep');
});

test('per-paragraph identification records the language of each paragraph', async () => {
  const out = await langidOf({ per_paragraph: true }, `${EN}\n\n${FR}\n\n${IT}`);
  const paragraphs = (out.meta as { lang_paragraphs: { lang: string; chars: number }[] }).lang_paragraphs;
  assert.deepEqual(paragraphs.map((p) => p.lang), ['en', 'fr', 'it']);
  assert.equal(paragraphs[1]?.chars, FR.length);
});
