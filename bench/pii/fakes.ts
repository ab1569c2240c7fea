import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { composeIBAN, friendlyFormatIBAN, isValidIBAN } from 'ibantools';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { BECH32, bech32Polymod } from '../../stages/pii/checksums.js';

/** Fake but valid PII values (checksums hold) from a seeded generator, for the labelled set and tests. */
export class Fakes {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: small, seedable, good enough to vary templates. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(0, 255)));
  }

  firstName(): string {
    return this.pick(['James', 'Mary', 'Wei', 'Fatima', 'Lukas', 'Sofia', 'Arjun', 'Chloé', 'Olga', 'Kwame', 'Hannah', 'Diego', 'Aiko', 'Noah', 'Priya', 'Liam']);
  }
  lastName(): string {
    return this.pick(['Smith', 'Garcia', 'Zhang', 'Müller', 'Okafor', 'Rossi', 'Kowalski', 'Nguyen', 'Patel', 'Johansson', 'Dubois', 'Tanaka', 'Brown', 'Silva', 'Novak', 'Cohen']);
  }

  email(): string {
    const first = this.firstName().toLowerCase().normalize('NFD').replace(/[^a-z]/g, '');
    const last = this.lastName().toLowerCase().normalize('NFD').replace(/[^a-z]/g, '');
    const local = this.pick([`${first}.${last}`, `${first}${this.int(1, 99)}`, `${first[0]}${last}`, `${last}_${first}`]);
    return `${local}@${this.pick(['gmail.com', 'outlook.com', 'yahoo.co.uk', 'web.de', 'proton.me', 'acme-corp.io', 'uni-heidelberg.de', 'mail.ru', 'qq.com'])}`;
  }

  phone(): string {
    const region = this.pick<CountryCode>(['US', 'US', 'US', 'GB', 'DE', 'FR', 'IN']);
    const leading: Record<string, string[]> = { US: ['212', '415', '617', '312', '206', '303', '512', '646', '718', '202'], GB: ['20', '161', '7700', '7911', '131'], DE: ['30', '89', '40', '151', '170'], FR: ['1', '6', '7', '4'], IN: ['98', '99', '80', '70'] };
    for (;;) {
      const prefix = this.pick(leading[region] ?? ['']);
      const national = prefix + this.digits((region === 'US' ? 10 : region === 'DE' ? 10 : region === 'IN' ? 10 : region === 'FR' ? 9 : 10) - prefix.length);
      const parsed = parsePhoneNumberFromString(national, region);
      if (!parsed?.isValid()) continue;
      return this.next() < 0.5 ? parsed.formatInternational() : parsed.formatNational();
    }
  }

  creditCard(): string {
    const prefix = this.pick(['4', '4', '51', '55', '2221', '37', '6011']);
    const length = prefix === '37' ? 15 : 16;
    const body = prefix + this.digits(length - 1 - prefix.length);
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let d = Number(body[body.length - 1 - i]);
      if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    const card = body + String((10 - (sum % 10)) % 10);
    const sep = this.pick([' ', '-', '']);
    return length === 15 ? `${card.slice(0, 4)}${sep}${card.slice(4, 10)}${sep}${card.slice(10)}` : card.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
  }

  iban(): string {
    for (;;) {
      const country = this.pick(['DE', 'GB', 'AT', 'CH', 'ES', 'IT']);
      const bban = country === 'DE' ? this.digits(18)
        : country === 'GB' ? this.pick(['NWBK', 'BARC', 'LOYD', 'HBUK']) + this.digits(14)
        : country === 'AT' ? this.digits(16)
        : country === 'CH' ? this.digits(17)
        : country === 'ES' ? this.digits(20)
        : this.chars(1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') + this.digits(22);
      const iban = composeIBAN({ countryCode: country, bban });
      if (!iban || !isValidIBAN(iban)) continue;
      return this.next() < 0.5 ? friendlyFormatIBAN(iban) ?? iban : iban;
    }
  }

  ipv4(): string {
    for (;;) {
      const [a, b, c, d] = [this.int(1, 223), this.int(0, 255), this.int(0, 255), this.int(1, 254)];
      if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 || a === 198 || a === 203 || a === 0) continue;
      return `${a}.${b}.${c}.${d}`;
    }
  }
  ipv6(): string {
    const groups = Array.from({ length: 8 }, () => this.int(0, 0xffff).toString(16));
    groups[0] = this.pick(['2a00', '2a02', '2600', '2604', '2001', '2c0f']);
    if (groups[0] === '2001') groups[1] = this.int(0x4000, 0x4fff).toString(16);
    return this.next() < 0.5 ? groups.join(':') : `${groups.slice(0, 3).join(':')}::${groups[7]}`;
  }

  ssn(): string {
    let area = this.int(1, 899);
    if (area === 666) area = 665;
    return `${String(area).padStart(3, '0')}-${String(this.int(1, 99)).padStart(2, '0')}-${String(this.int(1, 9999)).padStart(4, '0')}`;
  }
  usPassport(): string {
    return this.next() < 0.5 ? this.digits(9).replace(/^0/, '5') : this.chars(1, 'ACEGHJKLMNPRSTUVWXYZ') + this.digits(8);
  }
  usDriverLicense(): string {
    return this.chars(1, 'ABCDEFGHJKLMNPRSTWY') + this.digits(this.pick([7, 8, 12]));
  }
  ukNino(): string {
    const first = this.chars(1, 'ABCEGHJKLMNPRSTWXY');
    const second = this.chars(1, 'ABCEGHJKLMNPRSTWXY');
    const nino = `${first}${second}${this.digits(6)}${this.chars(1, 'ABCD')}`;
    if (/^(?:BG|GB|KN|NK|NT|TN|ZZ)/.test(nino)) return this.ukNino();
    return this.next() < 0.5 ? nino.replace(/^(..)(..)(..)(..)(.)$/, '$1 $2 $3 $4 $5') : nino;
  }
  cnResidentId(): string {
    const region = this.pick(['110105', '310104', '440305', '510107', '330106', '420111']);
    const body = `${region}${this.int(1950, 2005)}${String(this.int(1, 12)).padStart(2, '0')}${String(this.int(1, 28)).padStart(2, '0')}${this.digits(3)}`;
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = [...body].reduce((n, c, i) => n + Number(c) * (weights[i] ?? 0), 0);
    return body + '10X98765432'[sum % 11];
  }
  cnMobile(): string {
    const n = `1${this.pick(['3', '5', '8', '9'])}${this.digits(9)}`;
    return this.pick([n, `+86 ${n}`, `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`]);
  }

  bitcoin(): string {
    if (this.next() < 0.5) {
      const payload = Buffer.concat([Buffer.from([this.pick([0x00, 0x05])]), this.bytes(20)]);
      const check = createHash('sha256').update(createHash('sha256').update(payload).digest()).digest().subarray(0, 4);
      return base58(Buffer.concat([payload, check]));
    }
    return bech32Address(this.bytes(20));
  }
  ethereum(): string {
    const hex = this.bytes(20).toString('hex');
    const hash = Buffer.from(keccak_256(new TextEncoder().encode(hex))).toString('hex');
    return `0x${[...hex].map((c, i) => (parseInt(hash[i] ?? '0', 16) >= 8 ? c.toUpperCase() : c)).join('')}`;
  }

  awsKey(): string {
    return `AKIA${this.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
  }
  githubToken(): string {
    return `ghp_${this.chars(36, ALNUM)}`;
  }
  gitlabToken(): string {
    return `glpat-${this.chars(20, `${ALNUM}_-`)}`;
  }
  slackToken(): string {
    return `xoxb-${this.digits(11)}-${this.digits(13)}-${this.chars(24, ALNUM)}`;
  }
  jwt(): string {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: this.digits(10), name: this.firstName(), iat: 1700000000 + this.int(0, 9e6) })}.${this.bytes(32).toString('base64url')}`;
  }
  apiKey(): string {
    for (;;) {
      const key = this.chars(32, ALNUM);
      if (/\d/.test(key) && /[a-z]/i.test(key)) return key;
    }
  }
  privateKey(): string {
    const body = this.bytes(384).toString('base64').match(/.{1,64}/g)?.join('\n') ?? '';
    return `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
  }
  urlCredentials(): string {
    return `${this.firstName().toLowerCase().replace(/[^a-z]/g, '')}:${this.chars(14, ALNUM)}@${this.pick(['db.internal.acme.io', 'ftp.files-host.net', 'registry.corp.lan', 'mongo.prod.shop.com'])}`;
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let s = '';
  while (n > 0n) {
    s = BASE58[Number(n % 58n)] + s;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    s = `1${s}`;
  }
  return s;
}

/** A P2WPKH address (BIP-173): witness version 0, 20-byte program, bech32 checksum. */
function bech32Address(program: Buffer): string {
  const data = [0];
  let acc = 0;
  let bits = 0;
  for (const b of program) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) data.push((acc << (5 - bits)) & 31);
  const values = [3, 3, 0, 2, 3, ...data, 0, 0, 0, 0, 0, 0];
  const mod = (bech32Polymod(values) ^ 1) >>> 0;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `bc1${[...data, ...checksum].map((v) => BECH32[v]).join('')}`;
}
