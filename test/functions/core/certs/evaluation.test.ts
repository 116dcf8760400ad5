import type { CertFacts } from '../../../../functions/core/certs/facts';
import { compareServedWithAgentLeaf, evaluateCertificates, type CertEvaluationInput } from '../../../../functions/core/certs/evaluation';
import type { ProxyObservation, RootObservation } from '../../../../functions/core/certs/observations';
import { DEFAULT_CERT_THRESHOLDS } from '../../../../functions/core/certs/thresholds';

const NOW = new Date('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TD = '11111111-2222-3333-4444-555555555555.consul';
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

function cert(overrides: Partial<CertFacts> = {}): CertFacts {
  return {
    serial: '0a:0b',
    subject: 'CN=web.svc.default.11111111.consul',
    issuer: 'CN=pri-1.consul.ca.11111111.consul',
    notBefore: at(-HOUR),
    notAfter: at(71 * HOUR),
    uris: [`spiffe://${TD}/ns/default/dc/dc1/svc/web`],
    dnsNames: [],
    ipAddresses: [],
    isCa: false,
    fingerprint256: 'AA',
    ...overrides,
  };
}

const ROOT: RootObservation = { id: 'aa:bb:cc:dd:ee', name: 'Consul CA Root Cert', active: true, cert: cert({ isCa: true, notBefore: at(-400 * DAY), notAfter: at(3000 * DAY), uris: [] }), intermediates: [] };

function proxy(served: Partial<CertFacts> | 'refused', overrides: Partial<ProxyObservation> = {}): ProxyObservation {
  return {
    node: 'node-1',
    serviceId: 'web-sidecar-proxy',
    destination: 'web',
    address: '10.0.0.5:21000',
    served: served === 'refused' ? { ok: false, reason: 'refused', message: '10.0.0.5:21000: connection refused' } : { ok: true, chain: [cert(served)], trusted: true },
    ...overrides,
  };
}

function input(overrides: Partial<CertEvaluationInput> = {}): CertEvaluationInput {
  return {
    now: NOW,
    thresholds: DEFAULT_CERT_THRESHOLDS,
    trustDomain: TD,
    datacenter: 'dc1',
    activeRootId: ROOT.id,
    roots: [ROOT],
    leafCertTtlMs: 72 * HOUR,
    agentNode: 'node-1',
    agentVersion: '1.17.0',
    agentLeaves: [],
    versions: [{ node: 'node-1', version: '1.17.0', source: 'agent-self' }],
    proxies: [],
    endpoints: [],
    ...overrides,
  };
}

const ids = (i: CertEvaluationInput) => evaluateCertificates(i).findings.map((f) => `${f.id} ${f.severity}`);

describe('evaluateCertificates', () => {
  it('finds nothing above info in a healthy mesh', () => {
    // Act
    const result = evaluateCertificates(input({ proxies: [proxy({}), proxy({}, { serviceId: 'api-sidecar-proxy', destination: 'api', served: { ok: true, trusted: true, chain: [cert({ uris: [`spiffe://${TD}/ns/default/dc/dc1/svc/api`] })] } })] }));

    // Assess
    expect(result.findings.map((f) => f.severity)).toEqual(['info']);
    expect(result.certs.map((c) => [c.kind, c.severity, c.daysLeft])).toEqual([
      ['ca-root', 'info', 3000],
      ['proxy', 'info', 2.95],
      ['proxy', 'info', 2.95],
    ]);
    expect(result.metrics).toEqual({ minDaysLeft: { 'ca-root': 3000, proxy: 2.95 }, proxiesTotal: 2, proxiesChecked: 2, proxiesUnreachable: 0, proxiesServingStaleLeaves: 0 });
  });

  it.each([
    { name: 'expired served leaf', served: { notBefore: at(-73 * HOUR), notAfter: at(-HOUR) }, expected: ['proxy-leaf-expired:node-1/web-sidecar-proxy critical', 'proxy-fleet critical'] },
    { name: 'leaf past 90 % of its lifetime', served: { notBefore: at(-65 * HOUR), notAfter: at(7 * HOUR) }, expected: ['proxy-leaf-renewal-stuck:node-1/web-sidecar-proxy critical', 'proxy-fleet critical'] },
    { name: 'leaf at 89 % (inside the renewal window)', served: { notBefore: at(-64 * HOUR), notAfter: at(8 * HOUR) }, expected: ['proxy-fleet info'] },
    { name: 'lifetime differs from LeafCertTTL', served: { notBefore: at(-HOUR), notAfter: at(23 * HOUR) }, expected: ['proxy-leaf-ttl:node-1/web-sidecar-proxy medium', 'proxy-fleet info'] },
    { name: 'another service\'s identity', served: { uris: [`spiffe://${TD}/ns/default/dc/dc1/svc/db`] }, expected: ['proxy-identity:node-1/web-sidecar-proxy high', 'proxy-fleet info'] },
    { name: 'another trust domain', served: { uris: ['spiffe://99999999-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web'] }, expected: ['proxy-identity:node-1/web-sidecar-proxy high', 'proxy-fleet info'] },
  ])('judges a sidecar serving a $name', ({ served, expected }) => {
    expect(ids(input({ proxies: [proxy(served)] }))).toEqual(expected);
  });

  it('flags an untrusted served chain as critical', () => {
    // Prepare
    const untrusted = proxy({}, { served: { ok: true, chain: [cert()], trusted: false, trustProblem: 'no trusted issuer for CN=web' } });

    // Act + Assess
    expect(ids(input({ proxies: [untrusted] }))).toEqual(['proxy-chain-untrusted:node-1/web-sidecar-proxy critical', 'proxy-fleet info']);
  });

  describe('served ≠ issued (S1)', () => {
    const agentLeaf = (validAfterOffset: number) => ({ service: 'web', serial: '0c:0d', validAfter: at(validAfterOffset), validBefore: at(validAfterOffset + 72 * HOUR) });
    const older = { serial: '0a:0b', notBefore: at(-30 * HOUR), notAfter: at(42 * HOUR) };

    it.each([
      { name: 'the agent has held a newer leaf for 20 min', leaf: agentLeaf(-20 * 60_000), proxyNode: 'node-1', stale: true },
      { name: 'the agent got its newer leaf 10 min ago (grace)', leaf: agentLeaf(-10 * 60_000), proxyNode: 'node-1', stale: false },
      { name: 'the proxy runs on another agent\'s node', leaf: agentLeaf(-20 * 60_000), proxyNode: 'node-2', stale: false },
      { name: 'the served leaf is the newer one', leaf: { ...agentLeaf(-40 * HOUR) }, proxyNode: 'node-1', stale: false },
      { name: 'the serials are equal, spelled differently', leaf: { ...agentLeaf(-30 * HOUR), serial: '0A0B' }, proxyNode: 'node-1', stale: false },
    ])('is stale only when $name → $stale', ({ leaf, proxyNode, stale }) => {
      // Act
      const result = evaluateCertificates(input({ agentLeaves: [leaf], proxies: [proxy(older, { node: proxyNode })] }));

      // Assess
      const found = result.findings.filter((f) => f.check === 'proxy-leaf-stale');
      expect(found.map((f) => f.severity)).toEqual(stale ? ['high'] : []);
      expect(result.metrics.proxiesServingStaleLeaves).toBe(stale ? 1 : 0);
    });

    it.each([
      { agentVersion: '1.15.11', note: true },
      { agentVersion: '1.15.2+ent', note: true },
      { agentVersion: 'dev', note: true },
      { agentVersion: undefined, note: false },
    ])('is not compared when the agent is $agentVersion (leaves cached per token, or unknown), and says so', ({ agentVersion, note }) => {
      // Act: the case that is stale on 1.16+
      const result = evaluateCertificates(input({ agentVersion, agentLeaves: [agentLeaf(-20 * 60_000)], proxies: [proxy(older)] }));

      // Assess
      expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(result.metrics.proxiesServingStaleLeaves).toBe(0);
      const found = result.findings.filter((f) => f.id === 'proxy-leaf-stale-not-compared');
      expect(found).toEqual(note ? [expect.objectContaining({ severity: 'info', message: expect.stringMatching(/Sidecars are judged on expiry, the share of their lifetime used \(renewal stuck past 90 %\) and LeafCertTTL drift/) })] : []);
    });

    it('still flags an expired and a stuck leaf on 1.15', () => {
      // Prepare
      const proxies = [proxy({ notBefore: at(-73 * HOUR), notAfter: at(-HOUR) }), proxy({ notBefore: at(-66 * HOUR), notAfter: at(6 * HOUR) }, { serviceId: 'b' })];

      // Act
      const result = evaluateCertificates(input({ agentVersion: '1.15.11', proxies }));

      // Assess
      expect(result.findings.map((f) => `${f.id} ${f.severity}`)).toEqual([
        'proxy-leaf-stale-not-compared info',
        'proxy-leaf-expired:node-1/web-sidecar-proxy critical',
        'proxy-leaf-renewal-stuck:node-1/b critical',
        'proxy-fleet critical',
      ]);
    });
  });

  it.each([
    { version: '1.15.11', compare: false },
    { version: '1.15.0', compare: false },
    { version: '1.14.10', compare: false },
    { version: '1.16.0', compare: true },
    { version: '1.21.2+ent', compare: true },
    { version: 'v1.18.1', compare: true },
    { version: '2.0.0', compare: true },
    { version: 'unknown', compare: false },
  ])('compares served and agent leaves on Consul $version: $compare', ({ version, compare }) => {
    expect(compareServedWithAgentLeaf(version)).toBe(compare);
  });

  it('summarises the fleet: share affected, unreachable and skipped proxies', () => {
    // Prepare
    const proxies = [
      proxy({ notBefore: at(-73 * HOUR), notAfter: at(-HOUR) }),
      proxy({}, { serviceId: 'b' }),
      proxy({}, { serviceId: 'c' }),
      proxy('refused', { serviceId: 'd' }),
      proxy({}, { serviceId: 'e', served: { ok: false, reason: 'skipped', message: 'not probed' } }),
    ];

    // Act
    const fleet = evaluateCertificates(input({ proxies })).findings.find((f) => f.id === 'proxy-fleet');

    // Assess
    expect(fleet).toMatchObject({ severity: 'critical', message: expect.stringMatching(/^1 of 5 proxies \(20 %\) serve expired, stuck or stale leaves: node-1\/web-sidecar-proxy \(1 unreachable, 1 not probed \(time budget\)\)/) });
  });

  it('does not call a fleet clean when sidecars were left unprobed by the time budget', () => {
    const proxies = [proxy({}), proxy({}, { serviceId: 'b', served: { ok: false, reason: 'skipped', message: 'not probed' } })];
    expect(ids(input({ proxies }))).toEqual(['proxy-fleet medium']);
  });

  it.each([
    { days: 100, expected: [] },
    { days: 60, expected: ['ca-root:aa:bb:cc:dd:ee medium'] },
    { days: 13, expected: ['ca-root:aa:bb:cc:dd:ee critical'] },
    { days: -1, expected: ['ca-root:aa:bb:cc:dd:ee critical'] },
  ])('judges an active root with $days days left', ({ days, expected }) => {
    const root = { ...ROOT, cert: { ...ROOT.cert, notAfter: at(days * DAY) } };
    expect(ids(input({ roots: [root] }))).toEqual(expected);
  });

  it('does not alarm on an inactive root, and requires an active one', () => {
    // Prepare
    const inactive = { ...ROOT, active: false, cert: { ...ROOT.cert, notAfter: at(2 * DAY) } };

    // Act
    const result = evaluateCertificates(input({ roots: [inactive] }));

    // Assess
    expect(result.findings.map((f) => `${f.id} ${f.severity}`)).toEqual(['ca-active-root critical']);
    expect(result.certs[0]).toMatchObject({ subject: 'CA root Consul CA Root Cert aa:bb:cc:dd (inactive)', severity: 'info' });
    expect(result.metrics.minDaysLeft['ca-root']).toBeUndefined();
  });

  it('checks intermediates of the active root with the root thresholds', () => {
    const root = { ...ROOT, intermediates: [cert({ isCa: true, notAfter: at(20 * DAY) })] };
    expect(ids(input({ roots: [root] }))).toEqual(['ca-intermediate:aa:bb:cc:dd:ee:1 critical']);
  });

  it('judges endpoints by the earliest expiry of the whole chain, the SANs and the trust', () => {
    // Prepare
    const leaf = cert({ dnsNames: ['*.consul.example.com'], uris: [], notAfter: at(200 * DAY) });
    const intermediate = cert({ subject: 'CN=Intermediate', isCa: true, notAfter: at(20 * DAY) });
    const endpoints = [
      { target: 'a.consul.example.com:8501', role: 'consul-https' as const, expectedName: 'a.consul.example.com', served: { ok: true as const, chain: [leaf, intermediate], trusted: true } },
      { target: 'consul.example.com:8501', role: 'configured' as const, expectedName: 'consul.example.com', served: { ok: true as const, chain: [leaf], trusted: false, trustProblem: 'no trusted issuer' } },
      { target: 'b.consul.example.com:8501', role: 'configured' as const, expectedName: 'b.consul.example.com', caSource: 'the CA bundle ca.pem', served: { ok: true as const, chain: [leaf], trusted: false, trustProblem: 'no trusted issuer' } },
      { target: '10.0.0.9:8503', role: 'consul-grpc-tls' as const, expectedName: '10.0.0.9', served: { ok: false as const, reason: 'timeout' as const, message: 'no TLS handshake within 5000 ms' } },
    ];

    // Act
    const result = evaluateCertificates(input({ endpoints }));

    // Assess
    expect(result.findings.map((f) => `${f.id} ${f.severity}`)).toEqual([
      'endpoint-expiry:a.consul.example.com:8501 medium',
      'endpoint-name:consul.example.com:8501 high',
      'endpoint-trust:consul.example.com:8501 medium',
      'endpoint-trust:b.consul.example.com:8501 high',
      'endpoint-unreachable:10.0.0.9:8503 high',
    ]);
    expect(result.findings[0].message).toContain('the chain certificate CN=Intermediate expires');
    expect(result.certs.filter((c) => c.kind === 'endpoint').map((c) => c.daysLeft)).toEqual([20, 200, 200]);
  });

  it.each([
    { version: '1.15.0', bad: true },
    { version: '1.15.1+ent', bad: true },
    { version: '1.15.2', bad: false },
    { version: '1.14.11', bad: false },
    { version: '1.15.10', bad: false },
  ])('flags Consul $version as known-bad: $bad', ({ version, bad }) => {
    const versions = [{ node: 'node-1', version, source: 'agent-self' as const }, { node: 'node-1', version, source: 'catalog' as const }];
    expect(ids(input({ versions }))).toEqual(bad ? ['consul-version:node-1 critical'] : []);
  });

  it('flags an agent leaf the agent keeps handing out past 90 %', () => {
    const agentLeaves = [{ service: 'web', serial: '01', validAfter: at(-70 * HOUR), validBefore: at(2 * HOUR) }];
    expect(ids(input({ agentLeaves }))).toEqual(['agent-leaf:web critical']);
  });

  it('applies custom thresholds per kind', () => {
    // Prepare
    const thresholds = { ...DEFAULT_CERT_THRESHOLDS, caRoot: { warning: 4000, critical: 10 }, leaf: { warning: 50, critical: 95 } };
    const half = proxy({ notBefore: at(-40 * HOUR), notAfter: at(32 * HOUR) });

    // Act + Assess
    expect(ids(input({ thresholds, proxies: [half] }))).toEqual(['ca-root:aa:bb:cc:dd:ee medium', 'proxy-leaf-renewal-stuck:node-1/web-sidecar-proxy medium', 'proxy-fleet info']);
  });
});
