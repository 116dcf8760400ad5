import { CONSUL_ERROR_CODES } from '../../../../functions/core/shared/consul-errors';
import { refusedAddress } from '../../../helpers/tls-fixtures';
import { json, text, useConsulHttpHarness } from '../../../helpers/consul-http-harness';

const { sleeps, retries, serve, client } = useConsulHttpHarness();


describe('ConsulHttpClient retries', () => {
  it('retries 429 with full-jitter exponential back-off', async () => {
    // Prepare
    const srv = await serve((_req, res, n) => (n <= 2 ? text(res, 429, '') : json(res, 200, 'ok')));

    // Act
    const { body } = await client([srv.url]).get('/v1/status/leader');

    // Assess
    expect(body).toBe('ok');
    expect(sleeps).toEqual([125, 250]);
    expect(retries.map((r) => [r.attempt, r.code])).toEqual([[1, 'CONSUL_RATE_LIMITED'], [2, 'CONSUL_RATE_LIMITED']]);
  });

  it('honours Retry-After, capped by maxDelayMs', async () => {
    // Prepare
    const srv = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(429, { 'retry-after': '60' });
        res.end();
      } else json(res, 200, 'ok');
    });

    // Act
    await client([srv.url]).get('/v1/status/leader');

    // Assess
    expect(sleeps).toEqual([4000]);
  });

  it('retries 500 No cluster leader, then gives up after maxAttempts', async () => {
    // Prepare
    const srv = await serve((_req, res) => text(res, 500, 'No cluster leader'));

    // Act
    const err = await client([srv.url]).get('/v1/snapshot').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.noLeader, name: 'ConsulNoLeaderError' });
    expect(srv.requests).toHaveLength(4);
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it('retries a connection reset before headers', async () => {
    // Prepare
    const srv = await serve((req, res, n) => (n === 1 ? req.socket.destroy() : json(res, 200, 'ok')));

    // Act
    const { body } = await client([srv.url]).get('/v1/status/leader');

    // Assess
    expect(body).toBe('ok');
    expect(retries[0].code).toBe(CONSUL_ERROR_CODES.unreachable);
  });

  it('stops when the total time budget would be exceeded', async () => {
    // Prepare
    let clock = 0;
    const srv = await serve((_req, res) => {
      clock += 10_000;
      text(res, 503, 'busy');
    });

    // Act
    const err = await client([srv.url], { now: () => clock, retry: { maxAttempts: 10 } }).get('/v1/status/leader').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.serverError, context: { status: 503, consulMessage: 'busy' } });
    expect(srv.requests).toHaveLength(2);
  });

  it.each([
    ['a 500 validation error', 1, 500, 'Invalid Token: AccessorID is already in use'],
    ['a 403', 1, 403, 'ACL not found'],
    ['a 429 (never applied)', 4, 429, ''],
    ['No cluster leader (never applied)', 4, 500, 'No cluster leader'],
  ])('PUT without idempotent flag: %s → %i attempt(s)', async (_name, attempts, status, body) => {
    // Prepare
    const srv = await serve((_req, res) => text(res, status, body));

    // Act
    await client([srv.url]).put('/v1/acl/token', {}).catch(() => undefined);

    // Assess
    expect(srv.requests).toHaveLength(attempts);
  });

  it('does not retry a PUT whose connection broke after sending', async () => {
    // Prepare
    const srv = await serve((req) => req.socket.destroy());
    const other = await serve((_req, res) => json(res, 200, {}));

    // Act
    const err = await client([srv.url, other.url]).put('/v1/acl/token', {}).catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.unreachable, context: { connected: true, address: srv.url } });
    expect(other.requests).toHaveLength(0);
  });
});

describe('ConsulHttpClient failover', () => {
  it('fails over to the second address when the first refuses, then sticks to it', async () => {
    // Prepare
    const dead = await refusedAddress();
    const srv = await serve((_req, res) => json(res, 200, 'ok'));
    const c = client([dead, srv.url]);

    // Act
    const first = await c.get('/v1/status/leader');
    const second = await c.get('/v1/status/leader');

    // Assess
    expect(first.meta.address).toBe(srv.url);
    expect(second.meta.address).toBe(srv.url);
    expect(sleeps).toEqual([]);
    expect(retries).toEqual([expect.objectContaining({ address: dead, code: CONSUL_ERROR_CODES.unreachable, delayMs: 0 })]);
  });

  it('fails over a non-idempotent PUT when the connection was never established', async () => {
    // Prepare
    const dead = await refusedAddress();
    const srv = await serve((_req, res) => json(res, 200, { AccessorID: 'new' }));

    // Act
    const { body } = await client([dead, srv.url]).put<{ AccessorID: string }>('/v1/acl/token', {});

    // Assess
    expect(body.AccessorID).toBe('new');
    expect(srv.requests).toHaveLength(1);
  });

  it('names the address tried when every address refuses', async () => {
    // Prepare
    const dead = await refusedAddress();

    // Act
    const err = await client([dead], { retry: { maxAttempts: 2 } }).get('/v1/status/leader').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({
      code: CONSUL_ERROR_CODES.unreachable,
      message: `GET /v1/status/leader on ${dead}: cannot connect to Consul (ECONNREFUSED)`,
      context: { address: dead, connected: false, errorCode: 'ECONNREFUSED' },
    });
    expect(sleeps).toHaveLength(1);
  });

  it('uses a reverse-proxy path prefix', async () => {
    // Prepare
    const srv = await serve((_req, res) => json(res, 200, 'ok'));

    // Act
    await client([`${srv.url}/consul`]).get('/v1/status/leader');

    // Assess
    expect(srv.requests[0].url).toBe('/consul/v1/status/leader');
  });
});
