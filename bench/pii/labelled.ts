import type { PiiEntity } from '../../schemas/stages/pii.js';
import { Fakes } from './fakes.js';

/** One labelled document: gold spans are UTF-16 offsets, equal to code points (the generator never emits astral characters). */
export interface LabelledDoc {
  text: string;
  lang: 'en' | 'zh';
  gold: [PiiEntity, number, number][];
}

type Template = readonly [PiiEntity, (f: Fakes) => string, readonly string[], 'en' | 'zh'];

/**
 * Sentences with one value each, in the style of presidio-research's synthetic templates: with a context
 * word, and (for types whose shape alone identifies them) without. US_PASSPORT and US_DRIVER_LICENSE are
 * only PII with context: a bare 9-digit number identifies nothing.
 */
const TEMPLATES: readonly Template[] = [
  ['EMAIL', (f) => f.email(), ['Contact me at {} if you have questions.', 'Send your CV to {} before Friday.', 'On Tue, {} wrote:', 'Thanks! — Anna ({})'], 'en'],
  ['PHONE', (f) => f.phone(), ['Call us at {}.', 'My cell is {}, text first.', 'Tel: {}', 'You can reach Dr. Keller on {} after 5pm.', 'Reservations {} or walk in.'], 'en'],
  ['CREDIT_CARD', (f) => f.creditCard(), ['Card number: {}', 'I paid with {} expiring 04/27.', 'Please charge {} for the order.', 'The number {} was used twice.'], 'en'],
  ['IBAN', (f) => f.iban(), ['Please transfer the deposit to IBAN {}.', 'Bank details: {} (Sparkasse)', 'Refunds go to {} within 14 days.'], 'en'],
  ['IP_ADDRESS', (f) => (f.next() < 0.6 ? f.ipv4() : f.ipv6()), ['Failed login from {} at 03:14.', "The attacker's address was {}", 'Connection from {} closed by peer.', 'Blocked {} after 20 attempts.'], 'en'],
  ['US_SSN', (f) => f.ssn(), ['SSN: {}', 'My social security number is {}.', 'Employee 4471, {}, start date March 3.'], 'en'],
  ['US_PASSPORT', (f) => f.usPassport(), ['Passport number {} expires in 2031.', 'US passport no. {} was reported stolen.'], 'en'],
  ['US_DRIVER_LICENSE', (f) => f.usDriverLicense(), ["Driver's license number: {}", 'DL# {} issued in California.'], 'en'],
  ['UK_NINO', (f) => f.ukNino(), ['National Insurance number {}', 'NINO: {}', 'Payroll record for {} updated.'], 'en'],
  ['CRYPTO', (f) => (f.next() < 0.7 ? f.bitcoin() : f.ethereum()), ['Donate BTC to {}', 'Send it to my wallet {} please.', 'Payout address: {}', 'Funds moved to {} yesterday.'], 'en'],
  ['URL_CREDENTIALS', (f) => f.urlCredentials(), ['DATABASE_URL=postgres://{}/app', 'git clone https://{}/team/repo.git', 'mongodb://{}/admin?authSource=admin'], 'en'],
  ['AWS_KEY', (f) => f.awsKey(), ['AWS_ACCESS_KEY_ID={}', 'the key {} was leaked in the repo'], 'en'],
  ['GITHUB_TOKEN', (f) => f.githubToken(), ['export GITHUB_TOKEN={}', 'curl -H "Authorization: token {}" https://api.github.com/user'], 'en'],
  ['GITLAB_TOKEN', (f) => f.gitlabToken(), ['PRIVATE-TOKEN: {}', 'set CI_TOKEN to {} in settings'], 'en'],
  ['SLACK_TOKEN', (f) => f.slackToken(), ['SLACK_BOT_TOKEN={}', 'bot token {} posts alerts'], 'en'],
  ['JWT', (f) => f.jwt(), ['Authorization: Bearer {}', 'session cookie: {}'], 'en'],
  ['API_KEY', (f) => f.apiKey(), ['api_key = "{}"', '"client_secret": "{}",'], 'en'],
  ['PRIVATE_KEY', (f) => f.privateKey(), ['id_rsa:\n{}\n', 'Here is my key, please help:\n{}'], 'en'],
  ['CN_RESIDENT_ID', (f) => f.cnResidentId(), ['我的身份证号码是{}，请核对。', '公民身份号码：{}', '申请人{}已登记。'], 'zh'],
  ['CN_MOBILE', (f) => f.cnMobile(), ['请拨打我的手机{}。', '联系电话：{}', '有问题可以打{}找王先生。'], 'zh'],
];

/** Sentences with no PII but with numbers that look like it: the hard negatives of web and code text. */
const NEGATIVES: Record<'en' | 'zh', readonly string[]> = {
  en: [
    'Version 2.4.1.0 was released on 2023-11-05 with 312 fixes.',
    'Order #48213 shipped 3 items for $129.99 on 12/03/2024.',
    'The commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 fixed the regression.',
    'Population: 8,336,817 (2022 estimate), area 783.8 km².',
    'Request took 1700000000123 ms? No: 1,234 ms at p99.',
    '| 2019 | 1,234,567 | 56.7% | 0.0123 | 4111 |',
    'ISBN 978-3-16-148410-0, 2nd edition, pp. 112-118.',
    'UUID 123e4567-e89b-12d3-a456-426614174000 maps to node 7.',
    'Coordinates 40.7128, -74.0060; elevation 10 m.',
    'sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'Listen on port 8080 in development; TLS on 8443.',
    'See RFC 5321, section 4.5.3.1.10, and build 10.0.19041.1415.',
    'The part number is 100-2000-3000-4000 (rev B).',
    'Call 911 in an emergency; the office line opens at 9:30.',
  ],
  zh: ['本次更新版本号为3.2.1，发布于2024年5月6日。', '订单号20240506123456，共计299元。', '该市人口约为21893095人。'],
};

/** `count` documents of 2–6 sentences; about a third carry no PII at all. */
export function labelledSet(count: number, seed: number): LabelledDoc[] {
  const f = new Fakes(seed);
  const docs: LabelledDoc[] = [];
  for (let d = 0; d < count; d++) {
    const lang = f.next() < 0.1 ? 'zh' : 'en';
    const pool = TEMPLATES.filter((t) => t[3] === lang);
    const withPii = f.next() > 0.3;
    let text = '';
    const gold: LabelledDoc['gold'] = [];
    const sentences = f.int(2, 6);
    for (let s = 0; s < sentences; s++) {
      if (text) text += lang === 'zh' ? '' : ' ';
      if (withPii && f.next() < 0.6) {
        const [entity, value, shapes] = f.pick(pool);
        const [head = '', tail = ''] = f.pick(shapes).split('{}');
        const v = value(f);
        gold.push([entity, text.length + head.length, text.length + head.length + v.length]);
        text += head + v + tail;
      } else {
        text += f.pick(NEGATIVES[lang]);
      }
    }
    docs.push({ text, lang, gold });
  }
  return docs;
}
