import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import { z } from 'zod';
import type { OpenAiBackend } from '../../schemas/stages/synth.js';
import { ConfigError } from '../../src/pipeline.js';
import { cacheKey, promptHash, type CachedReply, type ChatMessage, type ResponseCache } from './cache.js';

/** The part of an OpenAI chat-completions response we read. */
const CompletionBody = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }), finish_reason: z.string().nullable().optional() })).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).optional(),
});

/** Token and cost accounting of one client, reported in the task's stats. */
export interface ChatUsage {
  requests: number;
  retries: number;
  cache_hits: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  max_in_flight: number;
  retry_reasons: Record<string, number>;
}

/** A request the server refused for good (4xx other than 408/429): retrying cannot help. */
export class ChatRequestError extends Error {}

/** OpenAI's rule of thumb (about 4 characters per token), for reserving tokens before the server counts them. */
const estimateTokens = (messages: readonly ChatMessage[]) => Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4) + 4 * messages.length;

const BACKOFF_CAP_MS = 60_000;

/** Tokens spent in a rolling window; a request waits until its reservation fits. */
class TokenWindow {
  private readonly spent: { at: number; tokens: number }[] = [];
  constructor(private readonly limit: number, private readonly windowMs: number) {}

  async reserve(tokens: number): Promise<{ tokens: number }> {
    const want = Math.min(tokens, this.limit);
    for (;;) {
      const now = performance.now();
      while (this.spent.length > 0 && (this.spent[0]?.at ?? 0) <= now - this.windowMs) this.spent.shift();
      const used = this.spent.reduce((n, s) => n + s.tokens, 0);
      if (used + want <= this.limit) {
        const entry = { at: now, tokens: want };
        this.spent.push(entry);
        return entry;
      }
      await sleep(Math.max(1, (this.spent[0]?.at ?? now) + this.windowMs - now));
    }
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

type Attempt = { ok: true; reply: Omit<CachedReply, 'key' | 'model' | 'prompt_sha256' | 'params'> } | { ok: false; reason: string; waitMs: number | null; fatal?: string };

/**
 * An OpenAI-compatible chat-completions client: a p-queue bounds requests in flight and per
 * rolling minute, a token window bounds tokens per minute, 429/5xx/timeouts/garbled bodies are
 * retried with backoff, and every reply is cached by (model, prompt hash, params) so it is paid once.
 */
export class ChatClient {
  readonly usage: ChatUsage = { requests: 0, retries: 0, cache_hits: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0, max_in_flight: 0, retry_reasons: {} };
  private readonly queue: PQueue;
  private readonly tokens: TokenWindow | null;
  private readonly pending = new Map<string, Promise<CachedReply>>();
  private readonly apiKey: string | null;
  private inFlight = 0;

  /** `windowMs` is a minute; tests shorten it to see the limits work without waiting minutes. */
  constructor(private readonly backend: OpenAiBackend, private readonly cache: ResponseCache, windowMs = 60_000) {
    this.queue = new PQueue({ concurrency: backend.concurrency, ...(backend.rpm ? { intervalCap: backend.rpm, interval: windowMs, strict: true } : {}) });
    this.tokens = backend.tpm ? new TokenWindow(backend.tpm, windowMs) : null;
    this.apiKey = backend.api_key_env ? (process.env[backend.api_key_env] ?? null) : null;
    if (backend.api_key_env && !this.apiKey) throw new ConfigError(`synth.backend.api_key_env: environment variable ${backend.api_key_env} is not set`);
  }

  get params(): Record<string, number> {
    return { temperature: this.backend.temperature, max_tokens: this.backend.max_tokens };
  }

  /** The cached or fresh reply to `messages`; identical prompts in flight share one request. */
  complete(messages: ChatMessage[]): Promise<CachedReply> {
    const prompt_sha256 = promptHash(messages);
    const key = cacheKey(this.backend.model, prompt_sha256, this.params);
    let reply = this.pending.get(key);
    if (!reply) {
      // Only while in flight: afterwards the cache answers, and a long run does not hold every reply in memory.
      reply = this.fetchOrReplay(key, prompt_sha256, messages).finally(() => this.pending.delete(key));
      this.pending.set(key, reply);
    }
    return reply;
  }

  private async fetchOrReplay(key: string, prompt_sha256: string, messages: ChatMessage[]): Promise<CachedReply> {
    const cached = await this.cache.get(key);
    if (cached) {
      this.usage.cache_hits++;
      return cached;
    }
    const { backend } = this;
    for (let attempt = 0; ; attempt++) {
      const result = await this.queue.add(() => this.attempt(messages));
      if (result.ok) {
        const reply: CachedReply = { key, model: backend.model, prompt_sha256, params: this.params, ...result.reply };
        this.usage.prompt_tokens += reply.usage.prompt_tokens;
        this.usage.completion_tokens += reply.usage.completion_tokens;
        this.usage.cost_usd += (reply.usage.prompt_tokens * backend.price.input_per_mtok + reply.usage.completion_tokens * backend.price.output_per_mtok) / 1e6;
        await this.cache.put(reply);
        return reply;
      }
      if (result.fatal !== undefined) throw new ChatRequestError(result.fatal);
      if (attempt >= backend.max_retries) throw new Error(`chat completions at ${backend.base_url}: gave up after ${attempt + 1} attempts (last: ${result.reason})`);
      this.usage.retries++;
      this.usage.retry_reasons[result.reason] = (this.usage.retry_reasons[result.reason] ?? 0) + 1;
      // Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): spreads retries of many callers.
      await sleep(result.waitMs ?? Math.random() * Math.min(BACKOFF_CAP_MS, backend.backoff_ms * 2 ** attempt));
    }
  }

  private async attempt(messages: ChatMessage[]): Promise<Attempt> {
    const { backend } = this;
    const reservation = this.tokens ? await this.tokens.reserve(estimateTokens(messages) + backend.max_tokens) : null;
    this.usage.requests++;
    this.inFlight++;
    this.usage.max_in_flight = Math.max(this.usage.max_in_flight, this.inFlight);
    try {
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${backend.base_url.replace(/\/+$/, '')}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
          body: JSON.stringify({ model: backend.model, messages, temperature: backend.temperature, max_tokens: backend.max_tokens }),
          signal: AbortSignal.timeout(backend.timeout_ms),
        });
        text = await res.text();
      } catch (e) {
        const name = e instanceof Error ? e.name : '';
        return { ok: false, reason: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'connection', waitMs: null };
      }
      if (res.status === 429 || res.status === 408 || res.status >= 500) {
        return { ok: false, reason: `http_${res.status}`, waitMs: retryAfterMs(res.headers.get('retry-after')) };
      }
      if (!res.ok) return { ok: false, reason: `http_${res.status}`, waitMs: null, fatal: `chat completions at ${backend.base_url}: HTTP ${res.status}: ${text.slice(0, 200)}` };
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { ok: false, reason: 'malformed_json', waitMs: null };
      }
      const parsed = CompletionBody.safeParse(body);
      if (!parsed.success) return { ok: false, reason: 'malformed_response', waitMs: null };
      const [choice] = parsed.data.choices;
      const usage = parsed.data.usage ?? { prompt_tokens: estimateTokens(messages), completion_tokens: Math.ceil((choice?.message.content.length ?? 0) / 4) };
      if (reservation) reservation.tokens = Math.min(reservation.tokens, usage.prompt_tokens + usage.completion_tokens);
      return { ok: true, reply: { content: choice?.message.content ?? '', finish_reason: choice?.finish_reason ?? null, usage } };
    } finally {
      this.inFlight--;
    }
  }
}
