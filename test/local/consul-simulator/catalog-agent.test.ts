import type { webcrypto as WebCrypto } from 'node:crypto';
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { call } from './http';

describe('consul simulator: catalog, agent, status and operator endpoints (consul-api.md §5)', () => {
  let sim: ConsulSimulator;
  let mgmt: string;

  beforeAll(async () => {
    sim = await startConsulSimulator({ nodeName: 'alice', consulVersion: '1.17.0' });
    mgmt = sim.managementToken.secretId;
    sim.state.registerService({ name: 'web', port: 8080, tags: ['v2', 'primary'] });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: 21000, proxyFor: { service: 'web', localPort: 8080 } });
    sim.state.registerService({ name: 'db', port: 5432 });
  });
  afterAll(() => sim.stop());

  it('catalog/services maps names to tags, including consul', async () => {
    const res = await call(sim.url, 'GET', '/v1/catalog/services', { token: mgmt });
    expect(res.json()).toEqual({ consul: [], db: [], web: ['primary', 'v2'], 'web-sidecar-proxy': [] });
  });

  it('filters by service:read and flags it for non-anonymous tokens', async () => {
    const p = sim.state.createPolicy({ Name: 'web-read', Rules: 'service_prefix "web" { policy = "read" }' });
    const tok = sim.state.createToken({ Policies: [{ ID: p.ID }] });
    const res = await call(sim.url, 'GET', '/v1/catalog/services', { token: tok.SecretID });
    expect(Object.keys(res.json<object>())).toEqual(['web', 'web-sidecar-proxy']);
    expect(res.headers['x-consul-results-filtered-by-acls']).toBe('true');
    const anon = await call(sim.url, 'GET', '/v1/catalog/services');
    expect(anon.json()).toEqual({});
    expect(anon.headers['x-consul-results-filtered-by-acls']).toBeUndefined();
  });

  it('catalog/service/:name returns ServiceNode objects; catalog/connect returns the sidecar with ServiceProxy', async () => {
    const web = (await call(sim.url, 'GET', '/v1/catalog/service/web', { token: mgmt })).json<Record<string, unknown>[]>();
    expect(web).toHaveLength(1);
    expect(web[0]).toMatchObject({ Node: 'alice', ServiceKind: '', ServiceName: 'web', ServicePort: 8080, ServiceProxy: { MeshGateway: {}, Expose: {} } });
    const proxies = (await call(sim.url, 'GET', '/v1/catalog/connect/web', { token: mgmt })).json<Record<string, unknown>[]>();
    expect(proxies).toHaveLength(1);
    expect(proxies[0]).toMatchObject({
      ServiceKind: 'connect-proxy',
      ServiceName: 'web-sidecar-proxy',
      ServicePort: 21000,
      Address: '127.0.0.1',
      ServiceProxy: { DestinationServiceName: 'web', LocalServicePort: 8080 },
    });
    const none = await call(sim.url, 'GET', '/v1/catalog/service/nope', { token: mgmt });
    expect(none.text).toBe('[]');
  });

  it('agent/self reports Config and DebugConfig (no DefaultIntentionPolicy unless configured)', async () => {
    const self = (await call(sim.url, 'GET', '/v1/agent/self', { token: mgmt })).json<{ Config: object; DebugConfig: Record<string, unknown> }>();
    expect(self.Config).toMatchObject({ Datacenter: 'dc1', PrimaryDatacenter: 'dc1', NodeName: 'alice', Server: true, Version: '1.17.0' });
    expect(self.DebugConfig.ACLResolverSettings).toMatchObject({ ACLDefaultPolicy: 'deny', ACLsEnabled: true });
    expect('DefaultIntentionPolicy' in self.DebugConfig).toBe(false);
    sim.state.setVersion('1.15.1');
    const changed = (await call(sim.url, 'GET', '/v1/agent/self', { token: mgmt })).json<{ Config: { Version: string } }>();
    expect(changed.Config.Version).toBe('1.15.1');
    sim.state.setVersion('1.17.0');
  });

  it('status/leader and status/peers return the server address', async () => {
    expect((await call(sim.url, 'GET', '/v1/status/leader')).json()).toBe('127.0.0.1:8300');
    expect((await call(sim.url, 'GET', '/v1/status/peers')).json()).toEqual(['127.0.0.1:8300']);
  });

  it('operator/raft/configuration needs operator:read and lists this server as leader', async () => {
    const denied = await call(sim.url, 'GET', '/v1/operator/raft/configuration');
    expect(denied.text).toBe("Permission denied: token with AccessorID '00000000-0000-0000-0000-000000000002' lacks permission 'operator:read'");
    const res = (await call(sim.url, 'GET', '/v1/operator/raft/configuration', { token: mgmt })).json<{ Servers: object[]; Index: number }>();
    expect(res.Servers).toEqual([{ ID: expect.any(String), Node: 'alice', Address: '127.0.0.1:8300', Leader: true, Voter: true }]);
    expect(res.Index).toBeGreaterThanOrEqual(1);
  });

  it('blocking queries return when the table index moves past ?index', async () => {
    const first = await call(sim.url, 'GET', '/v1/catalog/services', { token: mgmt });
    const index = first.headers['x-consul-index'];
    const pending = call(sim.url, 'GET', `/v1/catalog/services?index=${index}&wait=5s`, { token: mgmt });
    setTimeout(() => sim.state.registerService({ name: 'late' }), 100);
    const res = await pending;
    expect(Number(res.headers['x-consul-index'])).toBeGreaterThan(Number(index));
    expect(Object.keys(res.json<object>())).toContain('late');
  });

  it('serves HTTPS with the given certificate', async () => {
    const { X509CertificateGenerator, cryptoProvider } = await import('@peculiar/x509');
    const { webcrypto, KeyObject } = await import('node:crypto');
    cryptoProvider.set(webcrypto as unknown as Parameters<typeof cryptoProvider.set>[0]);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as WebCrypto.CryptoKeyPair;
    const cert = await X509CertificateGenerator.createSelfSigned({ name: 'CN=localhost', keys, signingAlgorithm: alg });
    const tlsSim = await startConsulSimulator({
      tls: { certPem: cert.toString('pem'), keyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    try {
      expect(tlsSim.url).toMatch(/^https:\/\//);
      const { Agent } = await import('undici');
      const res = await call(tlsSim.url, 'GET', '/v1/status/leader', { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
      expect(res.status).toBe(200);
    } finally {
      await tlsSim.stop();
    }
  });
});
