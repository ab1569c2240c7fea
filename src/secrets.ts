/**
 * Credentials reach corpusflow only through the environment (the AWS SDK's standard chain for S3, a
 * variable named by `api_key_env` for chat models); configs hold names, never values. What leaves
 * the process as text (errors, logs, Temporal failures, provenance details) goes through `redact`,
 * which replaces the value of every credential-like variable, credentials written into URLs, and
 * bearer tokens. A remote server echoing our key in an error body is the case it exists for.
 */

/** Variable names that hold credentials: AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, OPENAI_API_KEY, ... */
const SECRET_NAME = /SECRET|TOKEN|PASSW(OR)?D|KEY|CREDENTIAL/i;
/** Shorter values would redact ordinary words (`true`, `us-east-1`); real keys are 16+ characters. */
const MIN_SECRET_LENGTH = 8;

function secretsIn(env: NodeJS.ProcessEnv): { name: string; value: string }[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => SECRET_NAME.test(e[0]) && typeof e[1] === 'string' && e[1].length >= MIN_SECRET_LENGTH)
    .map(([name, value]) => ({ name, value }))
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.value.length - a.value.length);
}

/** `text` with every credential replaced by `[redacted NAME]` (or `[redacted]` when it has no name). */
export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const { name, value } of secretsIn(env)) if (out.includes(value)) out = out.split(value).join(`[redacted ${name}]`);
  return out
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, '$1[redacted]@')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]');
}

/** The same error, its message and stack redacted in place (its name and class kept, so retry rules still apply). */
export function redactError<E>(err: E): E {
  if (err instanceof Error) {
    err.message = redact(err.message);
    if (err.stack) err.stack = redact(err.stack);
  }
  return err;
}

/** Whether a URI carries credentials (`scheme://user:password@host`): refused in configs, which are stored in provenance. */
export function hasUserinfo(uri: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(uri);
}
