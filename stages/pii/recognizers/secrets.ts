import { shannonEntropy } from '../checksums.js';
import type { Recognizer } from '../recognizer.js';

/** Documentation keys (AWS's AKIAIOSFODNN7EXAMPLE), runs of one character and template markers are not secrets. */
function notAPlaceholder(value: string): boolean {
  return !/example|sample|dummy|placeholder|your|xxxx|\*{3}|<|\$\{|(.)\1{5}/i.test(value);
}

export const awsKey: Recognizer = {
  entity: 'AWS_KEY',
  name: 'aws_key',
  prefilter: /A[KBS]IA|ACCA|aws_secret/i,
  patterns: [
    { regex: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/, score: 0.9 },
    { regex: /aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9\/+]{40})(?![A-Za-z0-9\/+])/i, score: 0.9, group: 1 },
  ],
  validate: notAPlaceholder,
  context: [],
};

export const githubToken: Recognizer = {
  entity: 'GITHUB_TOKEN',
  name: 'github_token',
  prefilter: /gh[pousr]_|github_pat_/,
  patterns: [
    { regex: /(?<![\w])gh[pousr]_[A-Za-z0-9]{36,251}(?![\w])/, score: 0.9 },
    { regex: /(?<![\w])github_pat_[A-Za-z0-9_]{82}(?![\w])/, score: 0.9 },
  ],
  validate: notAPlaceholder,
  context: [],
};

export const gitlabToken: Recognizer = {
  entity: 'GITLAB_TOKEN',
  name: 'gitlab_token',
  prefilter: /gl(?:pat|ptt|dt|rt|cbt|soat)-/,
  patterns: [{ regex: /(?<![\w-])gl(?:pat|ptt|dt|rt|cbt|soat)-[A-Za-z0-9_-]{20,50}(?![\w-])/, score: 0.9 }],
  validate: notAPlaceholder,
  context: [],
};

export const slackToken: Recognizer = {
  entity: 'SLACK_TOKEN',
  name: 'slack_token',
  prefilter: /xox[abposr]-|hooks\.slack\.com/,
  patterns: [
    { regex: /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,250}(?![\w-])/, score: 0.9 },
    { regex: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/, score: 0.9 },
  ],
  validate: notAPlaceholder,
  context: [],
};

/** PEM and OpenSSH private key blocks, header to footer (public keys and certificates are not secret). */
export const privateKey: Recognizer = {
  entity: 'PRIVATE_KEY',
  name: 'private_key',
  prefilter: 'PRIVATE KEY',
  patterns: [{ regex: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?)PRIVATE KEY( BLOCK)?-----[\s\S]{16,16384}?-----END \1PRIVATE KEY\2-----/, score: 1.0 }],
  context: [],
};

/** A JWT's header is base64url JSON naming its algorithm; that check rules out look-alike dotted strings. */
export const jwt: Recognizer = {
  entity: 'JWT',
  name: 'jwt',
  prefilter: 'eyJ',
  patterns: [{ regex: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![\w-])/, score: 0.9 }],
  validate(value) {
    try {
      const header: unknown = JSON.parse(Buffer.from(value.slice(0, value.indexOf('.')), 'base64url').toString('utf8'));
      return typeof header === 'object' && header !== null && 'alg' in header;
    } catch {
      return false;
    }
  },
  context: [],
};

/**
 * A value assigned to a key-like name (`api_key = ...`, `"client_secret": "..."`). Random keys carry
 * over 4 bits of entropy per character; 3.5 keeps words, versions and placeholders out (truffleHog and
 * detect-secrets use 3.0–4.5 for base64-like strings).
 */
export const apiKey: Recognizer = {
  entity: 'API_KEY',
  name: 'api_key',
  prefilter: /key|secret|token|passw/i,
  patterns: [{
    regex: /(?:api[_-]?key|apikey|api[_-]?secret|secret[_-]?key|client[_-]?secret|access[_-]?token|auth[_-]?token|bearer[_-]?token|private[_-]?token|secret|token|password|passwd)["']?\s*(?:[:=]|=>)\s*["']?([A-Za-z0-9_\-+\/=.~]{16,200})/i,
    score: 0.7,
    group: 1,
  }],
  validate: (value) => /\d/.test(value) && /[A-Za-z]/.test(value) && shannonEntropy(value) >= 3.5 && notAPlaceholder(value),
  context: [],
};
