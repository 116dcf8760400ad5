import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import type { ConsulTlsSettings } from '../../../../functions/adapters/consul/settings';
import { CONSUL_ERROR_CODES } from '../../../../functions/core/shared/consul-errors';
import { createTestPki, startLoopbackServer, type LoopbackServer, type TestPki } from '../../../helpers/tls-fixtures';

let pki: TestPki;
let mtls: LoopbackServer;
let named: LoopbackServer;
let plain: LoopbackServer;
let clients: ConsulHttpClient[] = [];

beforeAll(async () => {
  pki = await createTestPki({ dnsNames: ['server.dc1.consul'], ipAddresses: [] });
  const reply = (_req: unknown, res: import('node:http').ServerResponse): void => {
    res.setHeader('content-type', 'application/json');
    res.end('"10.0.0.1:8300"');
  };
  // Like Consul with verify_incoming: a client certificate from the Consul CA is required.
  mtls = await startLoopbackServer(reply, {
    cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true,
  });
  named = await startLoopbackServer(reply, { cert: pki.server.certPem, key: pki.server.keyPem });
  plain = await startLoopbackServer(reply);
});

afterAll(async () => {
  await Promise.all([mtls, named, plain].map((s) => s.close()));
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});

function client(address: string, tls: Partial<ConsulTlsSettings>): ConsulHttpClient {
  const c = new ConsulHttpClient({
    settings: { addresses: [address], tls: { verify: true, ...tls } },
    retry: { maxAttempts: 1 },
    timeouts: { connectMs: 2_000, headersMs: 2_000 },
  });
  clients.push(c);
  return c;
}

describe('ConsulHttpClient TLS', () => {
  it('talks to a server requiring a client certificate, with the test CA and a server name override', async () => {
    // Act
    const { body } = await client(mtls.url, {
      caPem: pki.ca.certPem, clientCertPem: pki.client.certPem, clientKeyPem: pki.client.keyPem, serverName: 'server.dc1.consul',
    }).get<string>('/v1/status/leader');

    // Assess
    expect(body).toBe('10.0.0.1:8300');
  });

  const failures: Array<{ name: string; server: () => LoopbackServer; tls: () => Partial<ConsulTlsSettings>; problem: string; remedy: RegExp }> = [
    { name: 'server signed by an unknown CA', server: () => named,
      tls: () => ({ caPem: pki.otherCa.certPem, serverName: 'server.dc1.consul' }), problem: 'untrusted', remedy: /CONSUL_CACERT/ },
    { name: 'no CA given (system trust store)', server: () => named,
      tls: () => ({ serverName: 'server.dc1.consul' }), problem: 'untrusted', remedy: /CONSUL_CACERT/ },
    { name: 'IP address not in the certificate', server: () => named,
      tls: () => ({ caPem: pki.ca.certPem }), problem: 'server-name', remedy: /CONSUL_TLS_SERVER_NAME/ },
    { name: 'wrong server name override', server: () => named,
      tls: () => ({ caPem: pki.ca.certPem, serverName: 'other.example.com' }), problem: 'server-name', remedy: /CONSUL_TLS_SERVER_NAME/ },
    { name: 'missing client certificate', server: () => mtls,
      tls: () => ({ caPem: pki.ca.certPem, serverName: 'server.dc1.consul' }), problem: 'client-certificate', remedy: /CONSUL_CLIENT_CERT/ },
    { name: 'client certificate from another CA', server: () => mtls,
      tls: () => ({ caPem: pki.ca.certPem, serverName: 'server.dc1.consul', clientCertPem: pki.foreignClient.certPem, clientKeyPem: pki.foreignClient.keyPem }),
      problem: 'closed-after-handshake', remedy: /CONSUL_CLIENT_CERT.*signed by the Consul CA/ },
  ];

  it.each(failures)('fails clearly: $name', async ({ server, tls, problem, remedy }) => {
    // Act
    const err = await client(server().url, tls()).get('/v1/status/leader').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({
      name: 'ConsulTlsError',
      code: CONSUL_ERROR_CODES.tls,
      context: { problem, address: server().url },
      remedy: expect.stringMatching(remedy),
    });
  });

  it('speaks TLS to a plain HTTP port → protocol hint', async () => {
    // Act
    const err = await client(plain.url.replace('http:', 'https:'), { caPem: pki.ca.certPem }).get('/v1/status/leader').catch((e: unknown) => e);

    // Assess
    expect(err).toMatchObject({ code: CONSUL_ERROR_CODES.tls, context: { problem: 'protocol' }, remedy: expect.stringMatching(/https:\/\//) });
  });

  it('skips verification when verify is false', async () => {
    // Act
    const { body } = await client(named.url, { verify: false }).get<string>('/v1/status/leader');

    // Assess
    expect(body).toBe('10.0.0.1:8300');
  });
});
