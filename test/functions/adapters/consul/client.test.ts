import { gzipSync } from 'node:zlib';
import { buildConsulPath } from '../../../../functions/adapters/consul/path';
import { CONSUL_ERROR_CODES } from '../../../../functions/core/shared/consul-errors';
import { json, text, useConsulHttpHarness } from '../../../helpers/consul-http-harness';

const { TOKEN, serve, client } = useConsulHttpHarness();


describe('ConsulHttpClient JSON helpers', () => {
  it('sends the token header and parses the meta headers', async () => {
    // Prepare
    const srv = await serve((_req, res) =>
      json(res, 200, ['10.0.0.1:8300'], {
        'X-Consul-Index': '42',
        'X-Consul-KnownLeader': 'true',
        'X-Consul-LastContact': '7',
        'X-Consul-Default-ACL-Policy': 'deny',
        'X-Consul-Results-Filtered-By-ACLs': 'true',
      }));

    // Act
    const { body, meta } = await client([srv.url]).get<string[]>('/v1/status/peers', { query: { dc: 'dc 1', stale: true, consistent: false } });

    // Assess
    expect(body).toEqual(['10.0.0.1:8300']);
    expect(meta).toMatchObject({
      address: srv.url, status: 200, index: 42, knownLeader: true, lastContactMs: 7, defaultAclPolicy: 'deny', resultsFilteredByAcls: true,
    });
    expect(srv.requests[0].url).toBe('/v1/status/peers?dc=dc%201&stale');
    expect(srv.requests[0].headers).toMatchObject({ 'x-consul-token': TOKEN, 'accept-encoding': 'gzip', accept: 'application/json' });
  });

  it('sends an override secret instead of the client token', async () => {
    // Prepare
    const srv = await serve((_req, res) => json(res, 200, { AccessorID: 'a' }));

    // Act
    await client([srv.url]).get('/v1/acl/token/self', { token: 'pending-secret' });

    // Assess
    expect(srv.requests[0].headers['x-consul-token']).toBe('pending-secret');
  });

  it('sends no token header when the source has none', async () => {
    // Prepare
    const srv = await serve((_req, res) => json(res, 200, 'leader:8300'));

    // Act
    await client([srv.url], { token: async () => undefined }).get('/v1/status/leader');

    // Assess
    expect(srv.requests[0].headers['x-consul-token']).toBeUndefined();
  });

  it('decodes Content-Encoding: gzip bodies, success and error', async () => {
    // Prepare
    const big = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`svc-${i}`, ['primary']]));
    const srv = await serve((req, res, n) => {
      expect(req.headers['accept-encoding']).toContain('gzip');
      const status = n === 1 ? 200 : 500;
      res.writeHead(status, { 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
      res.end(gzipSync(n === 1 ? JSON.stringify(big) : 'No cluster leader'));
    });
    const c = client([srv.url], { retry: { maxAttempts: 1 } });

    // Act
    const ok = await c.get<Record<string, string[]>>('/v1/catalog/services');
    const failed = await c.get('/v1/catalog/services').catch((e: unknown) => e);

    // Assess
    expect(ok.body).toEqual(big);
    expect(ok.meta.contentEncoding).toBe('gzip');
    expect(failed).toMatchObject({ code: CONSUL_ERROR_CODES.noLeader });
  });

  it('PUTs JSON and returns an empty body as undefined', async () => {
    // Prepare
    let received = '';
    const srv = await serve((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (c: string) => (received += c));
      req.on('end', () => res.end());
    });

    // Act
    const { body } = await client([srv.url]).put('/v1/acl/token', { Description: 'x' });

    // Assess
    expect(body).toBeUndefined();
    expect(JSON.parse(received)).toEqual({ Description: 'x' });
    expect(srv.requests[0].headers['content-type']).toBe('application/json');
  });

  it('reports invalid JSON without quoting the body', async () => {
    // Prepare
    const srv = await serve((_req, res) => text(res, 200, `<html>${TOKEN}`));

    // Act
    const err = await client([srv.url]).get('/v1/agent/self').catch((e: unknown) => e as Error);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.responseInvalid, message: expect.stringContaining('not valid JSON') });
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect((err as Error).cause).toBeUndefined();
  });
});

describe('ConsulHttpClient timeouts', () => {
  it('fires the headers timeout and does not retry it', async () => {
    // Prepare
    const srv = await serve(() => undefined);

    // Act
    const err = await client([srv.url], { timeouts: { headersMs: 150 } }).get('/v1/status/leader').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({
      name: 'ConsulTimeoutError', code: CONSUL_ERROR_CODES.timeout, context: { phase: 'headers', timeoutMs: 150 },
    });
    expect(srv.requests).toHaveLength(1);
  });

  it('fires the body timeout of a JSON body that stalls', async () => {
    // Prepare
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('["10.0.0.1:8300",');
    });

    // Act
    const err = await client([srv.url], { timeouts: { bodyMs: 150 } }).get('/v1/status/peers').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.timeout, context: { phase: 'body', timeoutMs: 150 } });
  });

  it('lets a request override its headers timeout', async () => {
    // Prepare
    const srv = await serve((_req, res) => setTimeout(() => json(res, 200, 'late'), 300));

    // Act
    const { body } = await client([srv.url], { timeouts: { headersMs: 100 } }).get('/v1/status/leader', { headersTimeoutMs: 2_000 });

    // Assess
    expect(body).toBe('late');
  });
});

describe('buildConsulPath', () => {
  it.each([
    ['/v1/snapshot', { dc: 'dc1', stale: true }, '/v1/snapshot?dc=dc1&stale'],
    ['/v1/kv/a?recurse', { index: 5, wait: undefined }, '/v1/kv/a?recurse&index=5'],
    ['/v1/agent/self', {}, '/v1/agent/self'],
  ])('builds %s + %j', (path, query, expected) => {
    expect(buildConsulPath(path, query)).toBe(expected);
  });

  it('rejects relative paths without echoing a token', () => {
    expect(() => buildConsulPath('v1/x?token=abc')).toThrow('Consul path must start with "/": v1/x?token=<redacted>');
  });
});
