import type { Recognizer } from '../recognizer.js';

/** Passwords in tutorials and config templates: not secrets, and far more common than real ones. */
const PLACEHOLDER = /^(?:pass(?:word)?|passwd|pwd|secret|changeme|\*+|x+|\.\.\.|<.*>|\$\{.*\}|\{.*\}|%.*%|:\w+|\$\w+)$/i;

/** `scheme://user:password@host`: the span is `user:password@host`, so the scheme and path stay readable. */
export const urlCredentials: Recognizer = {
  entity: 'URL_CREDENTIALS',
  name: 'url_credentials',
  prefilter: '://',
  patterns: [{ regex: /(?<=\b[A-Za-z][\w+.-]{1,15}:\/\/)[^\s\/?#@:'"<>]+:[^\s\/?#@'"<>]+@[\w.-]+(?::\d+)?/, score: 1.0 }],
  validate(value) {
    const userinfo = value.slice(0, value.lastIndexOf('@'));
    const password = userinfo.slice(userinfo.indexOf(':') + 1);
    return !PLACEHOLDER.test(password);
  },
  context: [],
};
