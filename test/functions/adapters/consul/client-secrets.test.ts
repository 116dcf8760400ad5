/**
 * The token must never appear in an error message, remedy, context, stack, cause or retry event, whatever fails.
 * Every error path of the client is forced here with a recognisable token and an override secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulHttpClient, type ConsulHttpClientProps } from '../../../../functions/adapters/consul/client';
import type { ConsulRetryEvent } from '../../../../functions/adapters/consul/retry';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { createTestPki, refusedAddress, startLoopbackServer, type LoopbackServer } from '../../../helpers/tls-fixtures';

const TOKEN = 'c0ffee00-dead-beef-cafe-000000000001';
const OVERRIDE = 'c0ffee00-dead-beef-cafe-000000000002';
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let srv: LoopbackServer;
let tlsSrv: LoopbackServer;
let handler: Handler;
let events: ConsulRetryEvent[];
const clients: ConsulHttpClient[] = [];

beforeAll(async () => {
  srv = await startLoopbackServer((req, res) => handler(req, res));
  const pki = await createTestPki();
  tlsSrv = await startLoopbackServer((_req, res) => res.end('{}'), { cert: pki.server.certPem, key: pki.server.keyPem });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([srv.close(), tlsSrv.close()]);
});

beforeEach(() => {
  events = [];
});

function api(addresses = [srv.url], extra: Partial<ConsulHttpClientProps> = {}): ConsulApi {
  const c = new ConsulHttpClient({
    settings: { addresses, tls: { verify: true } },
    token: async () => TOKEN,
    sleep: async () => undefined,
    timeouts: { headersMs: 150, bodyMs: 150 },
    onRetry: (e) => events.push(e),
    ...extra,
  });
  clients.push(c);
  return new ConsulApi(c);
}

const status = (code: number, body: string): Handler => (req, res) => {
  req.resume();
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
};

const scenarios: Array<{ name: string; handler?: Handler; act: () => Promise<unknown> }> = [
  { name: '403 ACL not found', handler: status(403, 'ACL not found'), act: () => api().agentSelf() },
  { name: '403 permission denied', handler: status(403, "Permission denied: token with AccessorID '6a1253d2-1785-24fd-91c2-f8e78c745511' lacks permission 'acl:write'"), act: () => api().tokenList() },
  { name: '401 ACLs disabled', handler: status(401, 'ACL support disabled'), act: () => api().tokenList() },
  { name: '404 token self with override', handler: status(404, 'Supplied token does not exist'), act: () => api().tokenSelf(OVERRIDE) },
  { name: '404 unknown path', handler: status(404, 'Invalid URL path: not a recognized HTTP API endpoint\n'), act: () => api().caRoots() },
  { name: '429 exhausted', handler: status(429, ''), act: () => api().statusLeader() },
  { name: '500 no leader exhausted', handler: status(500, 'rpc error making call: No cluster leader'), act: () => api().statusPeers() },
  { name: '500 echoing the token', handler: status(500, `Cannot find token "${TOKEN}"`), act: () => api().tokenRead('6a1253d2-1785-24fd-91c2-f8e78c745511') },
  { name: '500 echoing the override secret', handler: status(500, `odd failure for ${OVERRIDE}`), act: () => api().tokenSelf(OVERRIDE) },
  { name: '400 echoing a token query', handler: status(400, `Invalid index for ?token=${TOKEN}`), act: () => api().http.get('/v1/kv/x', { query: { token: TOKEN } }) },
  { name: 'token in the query of a failing path', handler: status(500, 'boom'), act: () => api().http.get(`/v1/kv/x?token=${TOKEN}`) },
  { name: 'connection refused', act: async () => api([await refusedAddress()]).agentSelf() },
  { name: 'reset before headers', handler: (req) => req.socket.destroy(), act: () => api().agentSelf() },
  { name: 'headers timeout', handler: () => undefined, act: () => api().agentSelf() },
  { name: 'body timeout', handler: (_req, res) => res.write('{"Config":'), act: () => api().agentSelf() },
  { name: 'invalid JSON quoting the token', handler: (_req, res) => res.end(`{"SecretID": "${TOKEN}",`), act: () => api().tokenSelf() },
  { name: 'bad gzip body', handler: (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    res.end(TOKEN);
  }, act: () => api().agentSelf() },
  { name: 'TLS verification failure', act: () => api([tlsSrv.url]).agentSelf() },
  { name: 'mid-stream reset', handler: (req, res) => {
    res.writeHead(200);
    res.write(Buffer.alloc(64 * 1024), () => setTimeout(() => req.socket.destroy(), 10));
  }, act: async () => (await api().snapshotSave({ stale: true })).body.toArray() },
  { name: 'restore rejected', handler: status(403, 'Permission denied'), act: () => api().snapshotRestore(Readable.from([Buffer.from('x')])) },
  { name: 'token source failing', act: () => api([srv.url], { token: () => Promise.reject(new ConsulOpsError('TOKEN_SECRET_INVALID', 'Consul token secret arn: bad', 'Store a valid token in the secret.')) }).agentSelf() },
];

describe('ConsulHttpClient secrets', () => {
  it.each(scenarios)('keeps the token out of: $name', async ({ handler: h, act }) => {
    // Prepare
    handler = h ?? status(200, '{}');

    // Act
    const err = await act().then(() => undefined, (e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(ConsulOpsError);
    const e = err as ConsulOpsError;
    const everything = [
      e.message, e.remedy, JSON.stringify(e.context), JSON.stringify(e.toSummary()), String(e.stack),
      inspect(e, { depth: 20, showHidden: true }), JSON.stringify(events),
    ].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(OVERRIDE);
    expect(e.remedy.length).toBeGreaterThan(10);
  });
});
