import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Fakes } from '../bench/pii/fakes.js';
import type { Document } from '../schemas/document.js';
import { PiiConfig, type PiiEntity } from '../schemas/stages/pii.js';
import { allowList } from '../stages/pii/allow.js';
import { piiScrubber } from '../stages/pii/index.js';
import type { PiiReport } from '../stages/pii/redact.js';
import { RECOGNIZERS } from '../stages/pii/recognizers/index.js';
import { compileRecognizer, scanText } from '../stages/pii/scan.js';
import type { Outcome } from '../src/stage.js';
import { loadPipeline } from '../src/pipeline.js';
import { FIXTURES, ROOT } from './helpers/pipelines.js';

function doc(text: string, lang: string | null = 'en', url: string | null = null): Document {
  return { id: '0'.repeat(32), text, url, source: { uri: 'file:///in/a.jsonl', offset: 0, record_id: null, fetch_date: null, license: null }, meta: lang ? { lang } : {} };
}
const config = (over: object = {}) => PiiConfig.parse({ stage: 'pii', ...over });
const recognizers = RECOGNIZERS.map(compileRecognizer);
const allowDefault = allowList(config().allow);
const find = (text: string, lang: string | null = 'en') => scanText(text, recognizers, lang, 0.5, allowDefault).map((f) => [f.entity, text.slice(f.start, f.end)]);
const report = (o: Outcome) => (o.detail as { pii: PiiReport } | undefined)?.pii;
const textOf = (o: Outcome) => (o.action === 'keep' ? null : o.action === 'modify' ? o.text : (o.text ?? null));

/** One realistic sentence per entity type, with the value planted in it. */
function planted(f: Fakes): { text: string; values: [PiiEntity, string][]; lang: string } {
  const values: [PiiEntity, string][] = [
    ['EMAIL', f.email()], ['PHONE', f.phone()], ['CREDIT_CARD', f.creditCard()], ['IBAN', f.iban()], ['IP_ADDRESS', f.ipv4()],
    ['US_SSN', f.ssn()], ['US_PASSPORT', f.usPassport()], ['US_DRIVER_LICENSE', f.usDriverLicense()], ['UK_NINO', f.ukNino()],
    ['CRYPTO', f.bitcoin()], ['URL_CREDENTIALS', f.urlCredentials()], ['AWS_KEY', f.awsKey()], ['GITHUB_TOKEN', f.githubToken()],
    ['GITLAB_TOKEN', f.gitlabToken()], ['SLACK_TOKEN', f.slackToken()], ['JWT', f.jwt()], ['API_KEY', f.apiKey()], ['PRIVATE_KEY', f.privateKey()],
    ['CN_RESIDENT_ID', f.cnResidentId()], ['CN_MOBILE', f.cnMobile()],
  ];
  const v = Object.fromEntries(values) as Record<PiiEntity, string>;
  const text = [
    `Hi team, write to ${v.EMAIL} or call ${v.PHONE} (cell).`, `I paid with card ${v.CREDIT_CARD}; refunds to IBAN ${v.IBAN}.`,
    `Login from ${v.IP_ADDRESS} failed. SSN: ${v.US_SSN}. Passport number ${v.US_PASSPORT}.`, `Driver's license number: ${v.US_DRIVER_LICENSE}. NINO: ${v.UK_NINO}.`,
    `Donate to wallet ${v.CRYPTO}. DATABASE_URL=postgres://${v.URL_CREDENTIALS}/app`, `AWS_ACCESS_KEY_ID=${v.AWS_KEY}`, `export GITHUB_TOKEN=${v.GITHUB_TOKEN}`,
    `PRIVATE-TOKEN: ${v.GITLAB_TOKEN}`, `SLACK_BOT_TOKEN=${v.SLACK_TOKEN}`, `Authorization: Bearer ${v.JWT}`, `api_key = "${v.API_KEY}"`, v.PRIVATE_KEY,
    `身份证号码：${v.CN_RESIDENT_ID}，手机${v.CN_MOBILE}。`,
  ].join('\n');
  return { text, values, lang: 'en' };
}

test('planted PII of every type is replaced by its placeholder, and provenance counts it with offsets in the redacted text', () => {
  const { text, values } = planted(new Fakes(42));
  const outcome = piiScrubber(config())(doc(text));
  assert.equal(outcome.action, 'modify');
  const out = textOf(outcome) ?? '';
  const pii = report(outcome);
  assert.deepEqual(pii?.counts, Object.fromEntries(values.map(([e]) => [e, 1])));
  const points = [...out];
  for (const [entity, start, end] of pii?.spans ?? []) assert.equal(points.slice(start, end).join(''), `<${entity}>`);
  for (const [entity, value] of values) assert.ok(!out.includes(value), `${entity} value left in the text`);
});

test('span offsets count code points, so they stay right after emoji and CJK text', () => {
  const outcome = piiScrubber(config())(doc('😀 联系 👋 write to li.wei@qq.com 🎉 or ghost@gmail.com'));
  const out = [...(textOf(outcome) ?? '')];
  for (const [entity, start, end] of report(outcome)?.spans ?? []) assert.equal(out.slice(start, end).join(''), `<${entity}>`);
  assert.equal(report(outcome)?.spans.length, 2);
});

test('validators reject values whose checksum fails: Luhn, IBAN mod-97, resident ID MOD 11-2, Base58Check, bech32, EIP-55', () => {
  const cases: [PiiEntity, string, string][] = [
    ['CREDIT_CARD', 'card 4111 1111 1111 1111', 'card 4111 1111 1111 1112'],
    ['IBAN', 'IBAN DE89 3704 0044 0532 0130 00', 'IBAN DE88 3704 0044 0532 0130 00'],
    ['CN_RESIDENT_ID', '身份证号码 11010519491231002X', '身份证号码 110105194912310021'],
    ['CRYPTO', 'wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3'],
    ['CRYPTO', 'wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp'],
    ['CRYPTO', 'send 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'send 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD'],
    ['US_SSN', 'SSN 536-22-8726', 'SSN 666-22-8726'],
  ];
  for (const [entity, valid, invalid] of cases) {
    assert.deepEqual(find(valid).map(([e]) => e), [entity], valid);
    assert.deepEqual(find(invalid).filter(([e]) => e === entity), [], invalid);
  }
});

test('no false-positive flood: code, tables, timestamps, versions and hashes yield no finding', () => {
  const dir = join(FIXTURES, 'pii', 'no-pii');
  const files = readdirSync(dir);
  assert.ok(files.length >= 4);
  for (const file of files) assert.deepEqual(find(readFileSync(join(dir, file), 'utf8')), [], file);
});

test('a context word lifts a bare number over the threshold: the nearest context decides its type', () => {
  assert.deepEqual(find('Reference 340020013 in the ledger.'), []);
  assert.deepEqual(find('Passport number 340020013 expires soon.'), [['US_PASSPORT', '340020013']]);
  assert.deepEqual(find('SSN on file; passport number 340020013.'), [['US_PASSPORT', '340020013']]);
  assert.deepEqual(find('Order 13812345678 shipped.'), []);
  assert.deepEqual(find('Mobile: 13812345678'), [['CN_MOBILE', '13812345678']]);
  assert.deepEqual(find('订单13812345678已发货，请联系', 'zh').map(([e]) => e), ['CN_MOBILE']);
});

test('a version number or a dotted OID is not an IP address, a public address is', () => {
  assert.deepEqual(find('Upgrade to version 10.2.0.1 today; OID 1.3.6.1.4.1.311'), []);
  assert.deepEqual(find('Blocked 81.2.69.160 after 20 attempts'), [['IP_ADDRESS', '81.2.69.160']]);
  assert.deepEqual(find('Blocked 2a00:1450:4001:82a::200e too'), [['IP_ADDRESS', '2a00:1450:4001:82a::200e']]);
});

test('the same email maps to the same pseudonym within a release key, and to another under another key', () => {
  process.env.CF_TEST_PII_KEY = 'release-7-key-0123456789abcdef';
  process.env.CF_TEST_PII_KEY_2 = 'release-8-key-fedcba9876543210';
  const a = piiScrubber(config({ mode: 'pseudonym', pseudonym_key_env: 'CF_TEST_PII_KEY' }));
  const b = piiScrubber(config({ mode: 'pseudonym', pseudonym_key_env: 'CF_TEST_PII_KEY_2' }));
  const one = textOf(a(doc('From: Jane.Doe@Gmail.com')));
  const two = textOf(a(doc('Reply to jane.doe@gmail.com please')));
  const surrogate = one?.match(/<EMAIL_[0-9a-f]{12}>/)?.[0];
  assert.ok(surrogate);
  assert.ok(two?.includes(surrogate));
  assert.ok(!textOf(b(doc('Reply to jane.doe@gmail.com please')))?.includes(surrogate));
  assert.notEqual(textOf(a(doc('Reply to john.doe@gmail.com please'))), two, 'another address gets another surrogate');
});

test('pseudonym mode without its key fails naming the variable and the config path', () => {
  delete process.env.CF_TEST_MISSING_KEY;
  assert.throws(() => piiScrubber(config({ modes: { EMAIL: 'pseudonym' }, pseudonym_key_env: 'CF_TEST_MISSING_KEY' })), /pii\.pseudonym_key_env: .*CF_TEST_MISSING_KEY is not set/);
  process.env.CF_TEST_SHORT_KEY = 'short';
  assert.throws(() => piiScrubber(config({ mode: 'pseudonym', pseudonym_key_env: 'CF_TEST_SHORT_KEY' })), (e: Error) => !e.message.includes('short') && /at least 16 bytes/.test(e.message));
});

test('mask mode keeps the length of each value, so every offset around it stays put', () => {
  const text = 'Card 4111-1111-1111-1111 and mail bob.smith@outlook.com end';
  const outcome = piiScrubber(config({ mode: 'mask' }))(doc(text));
  const out = textOf(outcome) ?? '';
  assert.equal(out, 'Card ******************* and mail ********************* end');
  assert.deepEqual(report(outcome)?.spans, [['CREDIT_CARD', 5, 24], ['EMAIL', 34, 55]]);
});

test('a document above the density of a drop-mode type is dropped, and rejected/ gets its redacted text', () => {
  const f = new Fakes(3);
  const dump = Array.from({ length: 12 }, () => `${f.email()}, ${f.phone()}`).join('\n');
  const scrub = piiScrubber(config({ modes: { EMAIL: 'drop' }, drop_density: { EMAIL: 5 } }));
  const dropped = scrub(doc(dump));
  assert.equal(dropped.action, 'drop');
  assert.equal(dropped.action === 'drop' ? dropped.reason : null, 'pii_density');
  assert.ok(!/@/.test(textOf(dropped) ?? '@'), 'the rejected text holds placeholders only');
  const single = scrub(doc(`A long page about gardening. ${'Water the roses weekly. '.repeat(20)} Questions: ${f.email()}`));
  assert.equal(single.action, 'modify');
  assert.match(textOf(single) ?? '', /<EMAIL>/);
});

test('allow-lists keep role addresses, reserved domains, private IPs and listed values', () => {
  const text = 'Write to info@acme.org, test@example.com or press@bbc.co.uk; dev box 192.168.1.20; me: ana.silva@gmail.com; office@shop.de';
  assert.deepEqual(find(text), [['EMAIL', 'ana.silva@gmail.com']]);
  const strict = allowList(config({ allow: { role_accounts: [], domains: [], redact_private_ips: true, values: ['ana.silva@gmail.com'] } }).allow);
  assert.deepEqual(scanText(text, recognizers, 'en', 0.5, strict).map((f) => text.slice(f.start, f.end)),
    ['info@acme.org', 'test@example.com', 'press@bbc.co.uk', '192.168.1.20', 'office@shop.de']);
});

test('a per-source policy applies to documents from its domain, the top-level policy to the rest', () => {
  const scrub = piiScrubber(config({ sources: [{ url_domain: 'uni-example.edu', entities: ['PHONE'] }] }));
  const text = 'Prof. Lee: lee@uni-example.edu, phone +44 20 7946 0018';
  assert.deepEqual(report(scrub(doc(text, 'en', 'https://www.uni-example.edu/staff')))?.counts, { PHONE: 1 });
  assert.deepEqual(report(scrub(doc(text, 'en', 'https://blog.other.org/post')))?.counts, { EMAIL: 1, PHONE: 1 });
});

test('documentation placeholders are not secrets, real-looking keys are', () => {
  assert.deepEqual(find('AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\npostgres://user:password@db/app\ntoken: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), []);
  assert.deepEqual(find('AWS_ACCESS_KEY_ID=AKIAZ7QWERTY3MPLQ2AB\npostgres://svc:Zq81hT7wLm@db.corp.io/app').map(([e]) => e), ['AWS_KEY', 'URL_CREDENTIALS']);
});

test('the web-pii example pipeline is valid and scrubs PII between langid and shard', async () => {
  const { spec } = await loadPipeline(join(ROOT, 'pipelines', 'web-pii.yaml'));
  assert.deepEqual(spec.stages.map((s) => s.stage), ['ingest', 'langid', 'pii', 'shard']);
  const stage = spec.stages[2];
  assert.equal(stage?.stage === 'pii' ? stage.modes.PRIVATE_KEY : null, 'drop');
});

test('phones are read in international, national, dotted and extension formats, in the regions of the page language', () => {
  assert.deepEqual(find('Office +44 20 7946 0018, desk (212) 736-4021 x204, Zürich +41 (0)44 668 18 00.').map(([, v]) => v),
    ['+44 20 7946 0018', '(212) 736-4021 x204', '+41 (0)44 668 18 00']);
  assert.deepEqual(find('Réservations au 04.94.38.88.56 ou sur place.', 'fr'), [['PHONE', '04.94.38.88.56']]);
  // The same digits in an English page: French grouping counts only next to a context word.
  assert.deepEqual(find('Lottery draw: 04 94 38 88 56, jackpot unclaimed.'), []);
  assert.deepEqual(find('You can call 04.94.38.88.56 after 5pm.'), [['PHONE', '04.94.38.88.56']]);
  assert.deepEqual(find('ISBN 978-3-16-148410-0, build 10.0.19041.1415, released 2023-11-05, 8,336,817 people'), []);
});

const names = (text: string) => piiScrubber(config({ entities: ['PERSON', 'LOCATION'] }))(doc(text));

test('PERSON and LOCATION are found by given names, titles, gazetteer places and cue words, and only when asked for', () => {
  const text = 'Dr. Wojciech Brzęczyszczykiewicz met Emily Watson in Lisbon. My name is Djevad Mitnjek and I moved here from Tiszabög.';
  const outcome = names(text);
  assert.equal(outcome.action, 'modify');
  assert.equal(textOf(outcome), 'Dr. <PERSON> met <PERSON> in <LOCATION>. My name is <PERSON> and I moved here from <LOCATION>.');
  assert.deepEqual(report(outcome)?.counts, { PERSON: 3, LOCATION: 2 });
  assert.equal(piiScrubber(config())(doc(text)).action, 'keep', 'names are opt-in');
});

test('capitalised words that are not names stay: sentence starts, title words, months, companies and streets', () => {
  const text = 'The Universal Declaration of Human Rights was adopted in December. Everyone has the right to work for Acme Corp on Baker Street. In June the Board met.';
  assert.equal(names(text).action, 'keep');
});

test('names are looked for in English documents only: the gazetteers and cue words are English', () => {
  const scrub = piiScrubber(config({ entities: ['PERSON', 'LOCATION'] }));
  assert.equal(scrub(doc('Emily Watson wohnt in Lissabon.', 'de')).action, 'keep');
  assert.equal(scrub(doc('Emily Watson lives in Lisbon.', 'en')).action, 'modify');
});

test('the url is scrubbed too: emails, tokens and keys in its query, path, fragment and userinfo, with counts', () => {
  const f = new Fakes(9);
  const email = f.email();
  const token = f.githubToken();
  const scrub = piiScrubber(config());
  const url = `https://shop.io/u/${encodeURIComponent(email)}/orders?ref=mail&api_key=a8F3kLq9Zp2Xw7Rt5Yb1Nc4#token=${token}`;
  const outcome = scrub(doc('Order shipped.', 'en', url));
  assert.equal(outcome.action, 'modify');
  const out = outcome.action === 'modify' ? outcome.url : undefined;
  assert.equal(out, 'https://shop.io/u/%3CEMAIL%3E/orders?ref=mail&api_key=%3CAPI_KEY%3E#token=%3CGITHUB_TOKEN%3E');
  assert.deepEqual(report(outcome)?.url_counts, { EMAIL: 1, API_KEY: 1, GITHUB_TOKEN: 1 });
  assert.deepEqual(outcome.meta?.pii_url_counts, { EMAIL: 1, API_KEY: 1, GITHUB_TOKEN: 1 });
  const creds = scrub(doc('Config page.', 'en', 'https://deploy:Xk9vQ2mLp7Rw@db.corp.io/admin'));
  assert.equal(creds.action === 'modify' ? creds.url : null, 'https://%3CURL_CREDENTIALS%3E@db.corp.io/admin');
  assert.equal(scrub(doc('Plain page.', 'en', 'https://news.site/2024/05/article-123456789?page=2&v=1.2.3')).action, 'keep');
});
