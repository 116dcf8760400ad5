import { X509Certificate } from 'node:crypto';
import { ConsulSimulator, startConsulSimulator } from '../../../local/consul-simulator';
import { call } from './http';

interface Roots {
  ActiveRootID: string;
  TrustDomain: string;
  Roots: { ID: string; SerialNumber: number; SigningKeyID: string; RootCert: string; Active: boolean; NotAfter: string; IntermediateCerts: null }[];
}
interface Leaf {
  SerialNumber: string;
  CertPEM: string;
  PrivateKeyPEM: string;
  Service: string;
  ServiceURI: string;
  ValidAfter: string;
  ValidBefore: string;
}

const HOUR = 3_600_000;

describe('consul simulator: Connect CA (consul-api.md §4)', () => {
  let sim: ConsulSimulator;
  let mgmt: string;
  let clock = new Date('2025-03-01T12:00:00Z');

  beforeAll(async () => {
    sim = await startConsulSimulator({ datacenter: 'dc1', now: () => clock });
    mgmt = sim.managementToken.secretId;
  });
  afterAll(() => sim.stop());

  const leaf = (service = 'web') => call(sim.url, 'GET', `/v1/agent/connect/ca/leaf/${service}`, { token: mgmt });

  it('serves real roots: SerialNumber a JSON number, colon-hex IDs, <uuid>.consul trust domain, no ACL needed', async () => {
    // Act
    const res = await call(sim.url, 'GET', '/v1/connect/ca/roots');
    // Assess
    expect(res.status).toBe(200);
    const body = res.json<Roots>();
    expect(body.TrustDomain).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.consul$/);
    const root = body.Roots[0];
    expect(body.ActiveRootID).toBe(root.ID);
    expect(res.text).toMatch(/"SerialNumber":\d+,/);
    const cert = new X509Certificate(root.RootCert);
    expect(cert.ca).toBe(true);
    expect(root.ID).toBe(cert.fingerprint.toLowerCase());
    expect(BigInt(/"SerialNumber":(\d+)/.exec(res.text)?.[1] ?? '0')).toBe(BigInt(`0x${cert.serialNumber}`));
    expect(root.SigningKeyID).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    expect(root.IntermediateCerts).toBeNull();
    expect(cert.subjectAltName).toBe(`URI:spiffe://${body.TrustDomain}`);
    const agent = await call(sim.url, 'GET', '/v1/agent/connect/ca/roots');
    expect(agent.json<Roots>().ActiveRootID).toBe(root.ID);
    expect(agent.headers['x-cache']).toBe('MISS');
    expect((await call(sim.url, 'GET', '/v1/agent/connect/ca/roots')).headers['x-cache']).toBe('HIT');
  });

  it('GET /v1/connect/ca/configuration needs operator:write and returns the 72h/8760h/87600h defaults', async () => {
    const denied = await call(sim.url, 'GET', '/v1/connect/ca/configuration');
    expect(denied.status).toBe(403);
    const res = await call(sim.url, 'GET', '/v1/connect/ca/configuration', { token: mgmt });
    expect(res.json()).toMatchObject({ Provider: 'consul', Config: { IntermediateCertTTL: '8760h', LeafCertTTL: '72h', RootCertTTL: '87600h' } });
  });

  it('issues a real leaf signed by the active root, SPIFFE URI SAN, colon-hex string serial, validity = LeafCertTTL', async () => {
    // Act
    const res = await leaf('web');
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('MISS');
    const body = res.json<Leaf>();
    const roots = (await call(sim.url, 'GET', '/v1/connect/ca/roots')).json<Roots>();
    const root = new X509Certificate(roots.Roots[0].RootCert);
    const cert = new X509Certificate(body.CertPEM);
    expect(cert.verify(root.publicKey)).toBe(true);
    expect(cert.checkIssued(root)).toBe(true);
    expect(cert.ca).toBe(false);
    const uri = `spiffe://${roots.TrustDomain}/ns/default/dc/dc1/svc/web`;
    expect(cert.subjectAltName).toBe(`URI:${uri}`);
    expect(body.ServiceURI).toBe(uri);
    expect(typeof body.SerialNumber).toBe('string');
    expect(body.SerialNumber.replace(/:/g, '')).toBe(cert.serialNumber.toLowerCase());
    expect(Date.parse(body.ValidBefore) - Date.parse(body.ValidAfter)).toBe(72 * HOUR);
    expect(Date.parse(body.ValidAfter)).toBe(Date.parse(cert.validFrom));
    expect(Date.parse(body.ValidBefore)).toBe(Date.parse(cert.validTo));
    expect(body.PrivateKeyPEM).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(Object.keys(body)).toEqual(['SerialNumber', 'CertPEM', 'PrivateKeyPEM', 'Service', 'ServiceURI', 'ValidAfter', 'ValidBefore', 'CreateIndex', 'ModifyIndex']);
  });

  it('caches the leaf (X-Cache HIT) until the renewal window, then reissues', async () => {
    const first = (await leaf('cache-test')).json<Leaf>();
    const hit = await leaf('cache-test');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.json<Leaf>().SerialNumber).toBe(first.SerialNumber);
    clock = new Date(clock.getTime() + 66 * HOUR); // past 90 % of 72h
    const renewed = await leaf('cache-test');
    expect(renewed.headers['x-cache']).toBe('MISS');
    expect(renewed.json<Leaf>().SerialNumber).not.toBe(first.SerialNumber);
  });

  it('setLeafCertTtl makes new leaves short-lived; pinLeaf serves an expired leaf as the agent would', async () => {
    sim.state.ca.setLeafCertTtl('1h');
    sim.state.ca.clearLeafCache();
    const short = (await leaf('short')).json<Leaf>();
    expect(Date.parse(short.ValidBefore) - Date.parse(short.ValidAfter)).toBe(HOUR);
    const cfg = (await call(sim.url, 'GET', '/v1/connect/ca/configuration', { token: mgmt })).json<{ Config: { LeafCertTTL: string } }>();
    expect(cfg.Config.LeafCertTTL).toBe('1h');
    const expired = { notBefore: new Date(clock.getTime() - 48 * HOUR), notAfter: new Date(clock.getTime() - HOUR) };
    await sim.state.ca.pinLeaf('stale', expired);
    const served = (await leaf('stale')).json<Leaf>();
    expect(Date.parse(served.ValidBefore)).toBe(expired.notAfter.getTime());
    sim.state.ca.setLeafCertTtl('72h');
  });

  it('rotating the root lists the old one inactive and reissues leaves under the new root', async () => {
    const before = (await leaf('web')).json<Leaf>();
    const newRoot = await sim.state.ca.rotateRoot();
    const roots = (await call(sim.url, 'GET', '/v1/connect/ca/roots')).json<Roots>();
    expect(roots.ActiveRootID).toBe(newRoot.ID);
    expect(roots.Roots.map((r) => r.Active)).toEqual([false, true]);
    const after = (await leaf('web')).json<Leaf>();
    expect(after.SerialNumber).not.toBe(before.SerialNumber);
    expect(new X509Certificate(after.CertPEM).checkIssued(new X509Certificate(newRoot.RootCert))).toBe(true);
  });

  it('an expired root can be installed for expiry tests', async () => {
    const expiredRoot = await sim.state.ca.rotateRoot({ notBefore: new Date('2015-01-01T00:00:00Z'), notAfter: new Date('2020-01-01T00:00:00Z'), keepPrevious: false });
    const roots = (await call(sim.url, 'GET', '/v1/connect/ca/roots')).json<Roots>();
    expect(roots.Roots).toHaveLength(1);
    expect(roots.Roots[0].NotAfter).toBe('2020-01-01T00:00:00Z');
    expect(roots.Roots[0].ID).toBe(expiredRoot.ID);
  });

  it('leaf needs service:write on the service', async () => {
    const res = await call(sim.url, 'GET', '/v1/agent/connect/ca/leaf/web');
    expect([res.status, res.text]).toEqual([403, `Permission denied: token with AccessorID '00000000-0000-0000-0000-000000000002' lacks permission 'service:write' on "web"`]);
  });

  it('?pem=true returns the root chain as application/pem-certificate-chain', async () => {
    const res = await call(sim.url, 'GET', '/v1/connect/ca/roots?pem=true');
    expect(res.headers['content-type']).toBe('application/pem-certificate-chain');
    expect(res.text).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });
});
