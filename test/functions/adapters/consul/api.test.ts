import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import { CONSUL_ERROR_CODES } from '../../../../functions/core/shared/consul-errors';
import { startLoopbackServer, type LoopbackServer } from '../../../helpers/tls-fixtures';

const TOKEN = '45a3bd52-07c7-47a4-52fd-0745e0cfe967';
const ACCESSOR = '6a1253d2-1785-24fd-91c2-f8e78c745511';
const TOKEN_JSON = {
  AccessorID: ACCESSOR, SecretID: TOKEN, Description: 'backup', Local: false,
  CreateTime: '2018-10-24T12:25:06.921933-04:00', Hash: 'UuiRkOQPRCvoRZHRtUxxbrmwZ5crYrOdZ0Z1FTFbTbA=', CreateIndex: 59, ModifyIndex: 59,
};

let srv: LoopbackServer;
let api: ConsulApi;
let reply: (req: IncomingMessage, res: ServerResponse, body: string) => void;
const bodies: string[] = [];

beforeAll(async () => {
  srv = await startLoopbackServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      reply(req, res, body);
    });
  });
  api = new ConsulApi(new ConsulHttpClient({
    settings: { addresses: [srv.url], tls: { verify: true } },
    token: async () => TOKEN,
    sleep: async () => undefined,
  }));
});

afterAll(async () => {
  await api.http.close();
  await srv.close();
});

beforeEach(() => {
  srv.requests.length = 0;
  bodies.length = 0;
  reply = (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true }));
  };
});

describe('ConsulApi', () => {
  // Object rows: jest would take a trailing optional tuple parameter for a `done` callback.
  const calls: Array<{ name: string; call: () => Promise<unknown>; method: string; url: string; body?: unknown }> = [
    { name: 'agentSelf', call: () => api.agentSelf(), method: 'GET', url: '/v1/agent/self' },
    { name: 'statusLeader', call: () => api.statusLeader(), method: 'GET', url: '/v1/status/leader' },
    { name: 'statusPeers in dc2', call: () => api.statusPeers({ dc: 'dc2' }), method: 'GET', url: '/v1/status/peers?dc=dc2' },
    { name: 'tokenCreate', call: () => api.tokenCreate({ Description: 'x', Policies: [{ Name: 'backup' }] }), method: 'PUT', url: '/v1/acl/token', body: { Description: 'x', Policies: [{ Name: 'backup' }] } },
    { name: 'tokenRead', call: () => api.tokenRead(ACCESSOR), method: 'GET', url: `/v1/acl/token/${ACCESSOR}` },
    { name: 'tokenRead stale', call: () => api.tokenRead(ACCESSOR, { stale: true }), method: 'GET', url: `/v1/acl/token/${ACCESSOR}?stale` },
    { name: 'tokenSelf', call: () => api.tokenSelf(), method: 'GET', url: '/v1/acl/token/self' },
    { name: 'tokenUpdate', call: () => api.tokenUpdate(ACCESSOR, { Description: 'y' }), method: 'PUT', url: `/v1/acl/token/${ACCESSOR}`, body: { Description: 'y' } },
    { name: 'tokenClone', call: () => api.tokenClone(ACCESSOR, 'rotated'), method: 'PUT', url: `/v1/acl/token/${ACCESSOR}/clone`, body: { Description: 'rotated' } },
    { name: 'tokenClone without description', call: () => api.tokenClone(ACCESSOR), method: 'PUT', url: `/v1/acl/token/${ACCESSOR}/clone`, body: {} },
    { name: 'tokenDelete', call: () => api.tokenDelete(ACCESSOR), method: 'DELETE', url: `/v1/acl/token/${ACCESSOR}` },
    { name: 'tokenList', call: () => api.tokenList(), method: 'GET', url: '/v1/acl/tokens' },
    { name: 'configEntries', call: () => api.configEntries('service-intentions'), method: 'GET', url: '/v1/config/service-intentions' },
    { name: 'configEntry (encoded)', call: () => api.configEntry('service-defaults', 'web/v2'), method: 'GET', url: '/v1/config/service-defaults/web%2Fv2' },
    { name: 'intentionsList filtered', call: () => api.intentionsList({ filter: 'Action == "deny"' }), method: 'GET', url: '/v1/connect/intentions?filter=Action%20%3D%3D%20%22deny%22' },
    { name: 'caRoots', call: () => api.caRoots(), method: 'GET', url: '/v1/connect/ca/roots' },
    { name: 'caConfiguration', call: () => api.caConfiguration(), method: 'GET', url: '/v1/connect/ca/configuration' },
    { name: 'agentLeaf', call: () => api.agentLeaf('web'), method: 'GET', url: '/v1/agent/connect/ca/leaf/web' },
    { name: 'catalogServices', call: () => api.catalogServices({ dc: 'dc1' }), method: 'GET', url: '/v1/catalog/services?dc=dc1' },
    { name: 'catalogService', call: () => api.catalogService('web-sidecar-proxy'), method: 'GET', url: '/v1/catalog/service/web-sidecar-proxy' },
    { name: 'healthConnect', call: () => api.healthConnect('web', { passing: true }), method: 'GET', url: '/v1/health/connect/web?passing' },
  ];

  it.each(calls)('$name → $method $url', async ({ call, method, url, body }) => {
    // Act
    await call();

    // Assess
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]).toMatchObject({ method, url });
    expect(srv.requests[0].headers['x-consul-token']).toBe(TOKEN);
    if (body !== undefined) expect(JSON.parse(bodies[0])).toEqual(body);
  });

  it('tokenSelf presents the override secret', async () => {
    // Prepare
    reply = (_req, res) => res.end(JSON.stringify({ ...TOKEN_JSON, SecretID: 'pending' }));

    // Act
    const { body } = await api.tokenSelf('pending-secret');

    // Assess
    expect(srv.requests[0].headers['x-consul-token']).toBe('pending-secret');
    expect(body.AccessorID).toBe(ACCESSOR);
  });

  it('tokenDelete returns true', async () => {
    // Prepare
    reply = (_req, res) => res.end('true');

    // Act / Assess
    await expect(api.tokenDelete(ACCESSOR)).resolves.toMatchObject({ body: true });
  });

  it('retries tokenUpdate (idempotent) but not tokenCreate on a 500', async () => {
    // Prepare
    reply = (_req, res) => {
      res.statusCode = 500;
      res.end('rpc error making call: leadership lost while committing log');
    };

    // Act
    const created = await api.tokenCreate({ Description: 'x' }).catch((e: unknown) => e);
    const createAttempts = srv.requests.length;
    const updated = await api.tokenUpdate(ACCESSOR, { Description: 'x' }).catch((e: unknown) => e);

    // Assess
    expect(created).toMatchObject({ code: CONSUL_ERROR_CODES.serverError, context: { consulMessage: 'leadership lost while committing log' } });
    expect(createAttempts).toBe(1);
    expect(srv.requests.length - createAttempts).toBe(4);
    expect(updated).toMatchObject({ code: CONSUL_ERROR_CODES.serverError });
  });

  it('maps a missing token on read', async () => {
    // Prepare
    reply = (_req, res) => {
      res.statusCode = 404;
      res.end('Requested token does not exist: ACL not found');
    };

    // Act
    const err = await api.tokenRead(ACCESSOR).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.tokenNotFound, context: { accessorId: ACCESSOR } });
  });

  it('snapshotSave streams with stale and dc; snapshotRestore streams the archive back', async () => {
    // Prepare
    reply = (req, res, body) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'x-consul-index': '13', 'content-type': 'application/x-gzip' });
        res.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
      } else {
        res.end(body === '\x1f\x8b\x08\x00' ? '' : 'mismatch');
      }
    };

    // Act
    const saved = await api.snapshotSave({ stale: true, dc: 'dc1' });
    const archive = Buffer.concat(await saved.body.toArray());
    const restored = await api.snapshotRestore(Readable.from([archive]), { dc: 'dc1' });

    // Assess
    expect(saved.meta.index).toBe(13);
    expect(srv.requests[0].url).toBe('/v1/snapshot?dc=dc1&stale');
    expect(srv.requests[1]).toMatchObject({ method: 'PUT', url: '/v1/snapshot?dc=dc1' });
    expect(srv.requests[1].headers['content-type']).toBe('application/octet-stream');
    expect(restored.body).toBe('');
  });

  it('rejects empty path segments', () => {
    expect(() => api.tokenRead(' ')).toThrow('accessorId must not be empty');
  });
});
