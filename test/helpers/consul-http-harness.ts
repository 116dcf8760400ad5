import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsulHttpClient, type ConsulHttpClientProps } from '../../functions/adapters/consul/client';
import type { ConsulRetryEvent } from '../../functions/adapters/consul/retry';
import { startLoopbackServer, type LoopbackServer } from './tls-fixtures';

/** A loopback request handler; `n` counts the requests the server has received (1-based). */
export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/**
 * Per-file harness for ConsulHttpClient tests: loopback servers and clients that are closed after each test, a
 * recorded (never waiting) sleep, recorded retry events and a fixed random source. Call it at the top level of a
 * test file; `sleeps` and `retries` are emptied before each test.
 */
export function useConsulHttpHarness(options: { readonly token?: string } = {}) {
  const token = options.token ?? '45a3bd52-07c7-47a4-52fd-0745e0cfe967';
  const servers: LoopbackServer[] = [];
  const clients: ConsulHttpClient[] = [];
  const sleeps: number[] = [];
  const retries: ConsulRetryEvent[] = [];

  beforeEach(() => {
    sleeps.length = 0;
    retries.length = 0;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  return {
    TOKEN: token,
    sleeps,
    retries,
    async serve(handler: Handler): Promise<LoopbackServer> {
      const srv = await startLoopbackServer(handler);
      servers.push(srv);
      return srv;
    },
    client(addresses: string[], extra: Partial<ConsulHttpClientProps> = {}): ConsulHttpClient {
      const c = new ConsulHttpClient({
        settings: { addresses, tls: { verify: true } },
        token: async () => token,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
        onRetry: (e) => retries.push(e),
        ...extra,
      });
      clients.push(c);
      return c;
    },
  };
}

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers with a plain-text body, as Consul's errors are. */
export function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
