import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the scripted server saw of one request. */
export interface SeenRequest {
  n: number;
  at: number;
  headers: IncomingHttpHeaders;
  body: { model: string; messages: { role: string; content: string }[]; temperature: number; max_tokens: number };
}

/** How the server answers one request: a status, headers, a raw or JSON body, after a delay; or never. */
export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  delayMs?: number;
  hang?: boolean;
}

/** A chat-completions response body as an OpenAI-compatible server sends it. */
export function completion(content: string, usage = { prompt_tokens: 50, completion_tokens: 20 }, finish_reason = 'stop'): object {
  return {
    id: 'chatcmpl-test', object: 'chat.completion', created: 0, model: 'scripted',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/**
 * A real HTTP server on loopback speaking POST /v1/chat/completions, whose replies a test scripts
 * per request; it records every request and the most it held at once.
 */
export async function chatServer(script: (req: SeenRequest) => ScriptedReply) {
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const seen: SeenRequest = { n: requests.length, at: performance.now(), headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as SeenRequest['body'] };
      requests.push(seen);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const reply = script(seen);
      res.on('close', () => inFlight--);
      if (reply.hang) return;
      setTimeout(() => {
        const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(body);
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
