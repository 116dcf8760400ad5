import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulCertificateSource } from '../../../../functions/adapters/consul/cert-source';
import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import { consulSettingsFromConfig, staticTokenSource } from '../../../../functions/adapters/consul/settings';
import { createTlsProbe } from '../../../../functions/adapters/tls-probe';
import { runCertificateCheck, type CertCheckInput, type CertCheckResult } from '../../../../functions/core/certs/workflow';
import type { Finding } from '../../../../functions/core/report/report';
import { jobAclPolicy, renderAclPolicy } from '../../../../functions/core/shared/acl-policies';
import { severityRank } from '../../../../functions/core/shared/severity';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { createFixtureCa, DAY_MS, startSilentListener, startTlsListener, type TlsListener } from '../../../helpers/cert-fixtures';
import { refusedAddress } from '../../../helpers/tls-fixtures';
import { EDGE_CONSUL_PROFILES, OLDEST_CONSUL } from '../../../helpers/consul-versions';

const HOUR = 3_600_000;

async function waitFor(condition: () => boolean, ms = 2_000): Promise<void> {
  for (const end = Date.now() + ms; !condition() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
}

describe.each(EDGE_CONSUL_PROFILES)('runCertificateCheck (Consul %s simulator CA, loopback sidecars that require a client certificate)', (consulVersion) => {
  const perTokenLeaves = consulVersion === OLDEST_CONSUL;
  let sim: ConsulSimulator;
  let http: ConsulHttpClient;
  let closers: (() => Promise<void>)[];
  /** The simulator's clock runs this many ms behind the real one (to age what it issues). */
  let simClockOffsetMs = 0;

  beforeEach(async () => {
    simClockOffsetMs = 0;
    sim = await startConsulSimulator({ consulVersion, now: () => new Date(Date.now() - simClockOffsetMs) });
    http = clientFor(sim.managementToken.secretId);
    closers = [];
  });
  afterEach(async () => {
    await Promise.all(closers.map((c) => c()));
    await http.close();
    await sim.stop();
  });

  function clientFor(token: string): ConsulHttpClient {
    return new ConsulHttpClient({ settings: consulSettingsFromConfig({ addresses: sim.url, defaultScheme: 'http' }), token: staticTokenSource(token), retry: { maxAttempts: 1 } });
  }

  const rootPems = () => sim.state.store.caRoots.map((r) => r.RootCert);

  /** A sidecar for `service` serving `served` (default: the agent's current leaf) and requiring a mesh client cert. */
  async function sidecar(service: string, served?: { CertPEM: string; PrivateKeyPEM: string }): Promise<TlsListener> {
    const leaf = served ?? (await sim.state.ca.leaf(service, true)).leaf;
    const listener = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: rootPems() });
    closers.push(() => listener.close());
    sim.state.registerService({ name: service, port: 8080 });
    sim.state.registerService({ name: `${service}-sidecar-proxy`, port: listener.port, address: '127.0.0.1', proxyFor: { service } });
    return listener;
  }

  async function run(input: Partial<CertCheckInput> = {}, client = http): Promise<CertCheckResult> {
    const source = new ConsulCertificateSource(new ConsulApi(client));
    return runCertificateCheck({ consul: source, probe: createTlsProbe({ timeoutMs: 1_000 }), now: () => new Date() }, { systemCaPems: [], ...input });
  }

  const above = (findings: readonly Finding[], level: Finding['severity']) => findings.filter((f) => severityRank(f.severity) > severityRank(level));
  const byCheck = (result: CertCheckResult, check: string) => result.findings.filter((f) => f.check === check);

  it('a healthy mesh yields no finding above info, and every sidecar accepted the auditor leaf', async () => {
    // Prepare
    const listeners = [await sidecar('web'), await sidecar('api'), await sidecar('db')];

    // Act
    const result = await run();

    // Assess
    expect(above(result.findings, 'info')).toEqual([]);
    expect(result.certs.filter((c) => c.kind === 'proxy')).toHaveLength(3);
    expect(result.certs.filter((c) => c.kind === 'proxy').every((c) => c.severity === 'info' && c.daysLeft > 2.9)).toBe(true);
    expect(result.certs.find((c) => c.kind === 'ca-root')).toMatchObject({ severity: 'info' });
    expect(result.certs.find((c) => c.subject === 'agent leaf consul-ops-auditor')).toMatchObject({ kind: 'leaf', severity: 'info' });
    await waitFor(() => listeners.every((l) => l.handshakes.length > 0));
    expect(listeners.map((l) => l.handshakes)).toEqual([[{ authorized: true }], [{ authorized: true }], [{ authorized: true }]]);
    expect(result.metrics).toMatchObject({ proxiesTotal: 3, proxiesChecked: 3, proxiesUnreachable: 0, proxiesServingStaleLeaves: 0 });
    expect(result.findings.find((f) => f.id === 'proxy-fleet')).toMatchObject({ severity: 'info', message: expect.stringContaining('3 of 3 proxies checked') });
  });

  it('the 1.15.1 case: a sidecar serving an expired leaf while its agent holds a fresh one is critical', async () => {
    // Prepare
    sim.state.setVersion('1.15.1');
    const now = Date.now();
    const expired = await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 73 * HOUR), notAfter: new Date(now - HOUR) });
    sim.state.ca.clearLeafCache('web'); // the agent renewed; the sidecar did not pick it up
    await sidecar('web', expired);
    await sidecar('api');

    // Act
    const result = await run();

    // Assess
    const [finding] = byCheck(result, 'proxy-leaf-expired');
    expect(finding).toMatchObject({ severity: 'critical', id: expect.stringMatching(/^proxy-leaf-expired:.+\/web-sidecar-proxy$/) });
    expect(finding.message).toContain(`serves leaf ${expired.SerialNumber}, which expired 1h 0m ago`);
    expect(finding.remedy).toMatch(/Restart the sidecar/);
    // 1.15 caches leaves per token: the agent's leaf for web is not read, and the report says why.
    expect(result.findings.find((f) => f.id === 'proxy-leaf-stale-not-compared')).toMatchObject({ severity: 'info', message: expect.stringContaining('Consul 1.15.1 caches agent leaf certificates per ACL token') });
    expect(result.certs.filter((c) => c.kind === 'leaf').map((c) => c.subject)).toEqual(['agent leaf consul-ops-auditor']);
    expect(byCheck(result, 'consul-version')).toEqual([expect.objectContaining({ severity: 'critical', message: expect.stringContaining('Consul 1.15.1') })]);
    expect(result.findings.find((f) => f.id === 'proxy-fleet')).toMatchObject({ severity: 'critical', message: expect.stringContaining('1 of 2 proxies (50 %)') });
    expect(result.metrics.proxiesServingStaleLeaves).toBe(1);
    expect(result.metrics.minDaysLeft.proxy).toBeLessThan(0);
  });

  it('a sidecar still serving a leaf past 90 % of its lifetime is critical: renewal is stuck', async () => {
    // Prepare
    const now = Date.now();
    const old = await sim.state.ca.pinLeaf('api', { notBefore: new Date(now - 66 * HOUR), notAfter: new Date(now + 6 * HOUR) });
    await sidecar('api', old);

    // Act
    const result = await run();

    // Assess
    expect(byCheck(result, 'proxy-leaf-renewal')).toEqual([
      expect.objectContaining({ severity: 'critical', message: expect.stringMatching(/has used 91 % of its 3d 0h lifetime and expires in 5h 59m/) }),
    ]);
    expect(result.certs.find((c) => c.kind === 'proxy')).toMatchObject({ serial: old.SerialNumber, severity: 'critical' });
  });

  it(`a sidecar serving an older leaf than the agent's is ${perTokenLeaves ? 'not compared on 1.15 (per-token leaf cache)' : 'stale (high) beyond the grace period'}`, async () => {
    // Prepare
    const now = Date.now();
    const older = await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 10 * HOUR), notAfter: new Date(now + 62 * HOUR) });
    sim.state.ca.clearLeafCache('web');
    await sidecar('web', older);

    // Act: no grace, as the agent's new leaf is backdated by only a minute here
    const result = await run({ staleGraceMs: 0 });

    // Assess
    if (perTokenLeaves) {
      expect(above(result.findings, 'info')).toEqual([]);
      expect(result.findings.find((f) => f.id === 'proxy-leaf-stale-not-compared')).toMatchObject({ severity: 'info', check: 'proxy-leaf-stale' });
      expect(result.metrics.proxiesServingStaleLeaves).toBe(0);
      return;
    }
    expect(byCheck(result, 'proxy-leaf-stale')).toEqual([expect.objectContaining({ severity: 'high', message: expect.stringMatching(/although its agent has held a newer leaf/) })]);
    expect(result.metrics.proxiesServingStaleLeaves).toBe(1);
    expect((await run()).findings.filter((f) => f.check === 'proxy-leaf-stale')).toEqual([]); // inside the default 15 min grace
  });

  it('a healthy mesh whose consul-ops leaf was cached 20 minutes before the sidecar\'s check yields nothing at or above high', async () => {
    // Prepare: the sidecar holds a healthy leaf issued 2 h ago; consul-ops' token got its leaf for web 20 min ago,
    // which on 1.15 is a leaf of its own (per-token cache), newer than the sidecar's and held beyond the grace period.
    const now = Date.now();
    const sidecarLeaf = await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 2 * HOUR), notAfter: new Date(now + 70 * HOUR) });
    await sidecar('web', sidecarLeaf);
    await sidecar('api');
    simClockOffsetMs = 20 * 60_000;
    const early = await new ConsulApi(http).agentLeaf('web');
    simClockOffsetMs = 0;

    // Act
    const result = await run();

    // Assess
    expect(above(result.findings, 'medium')).toEqual([]);
    expect(result.metrics).toMatchObject({ proxiesChecked: 2, proxiesServingStaleLeaves: 0 });
    if (perTokenLeaves) {
      expect(early.body.SerialNumber).not.toBe(sidecarLeaf.SerialNumber); // the comparison would have raised a false alarm
      expect(result.findings.find((f) => f.id === 'proxy-leaf-stale-not-compared')).toMatchObject({ severity: 'info' });
    } else {
      expect(early.body.SerialNumber).toBe(sidecarLeaf.SerialNumber);
      expect(result.findings.find((f) => f.id === 'proxy-leaf-stale-not-compared')).toBeUndefined();
    }
  });

  it('a sidecar serving an expired leaf is critical on every version', async () => {
    // Prepare
    const now = Date.now();
    const expired = await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 74 * HOUR), notAfter: new Date(now - 2 * HOUR) });
    await sidecar('web', expired);

    // Act
    const result = await run();

    // Assess
    expect(byCheck(result, 'proxy-leaf-expired')).toEqual([expect.objectContaining({ severity: 'critical' })]);
    expect(result.findings.find((f) => f.id === 'proxy-fleet')).toMatchObject({ severity: 'critical' });
  });

  it('an active root within 14 days is critical; the rotated-out root is listed but not alarmed on', async () => {
    // Prepare
    await sim.state.ca.rotateRoot({ notAfter: new Date(Date.now() + 10 * DAY_MS) });
    await sidecar('web');

    // Act
    const result = await run();

    // Assess
    const rootFindings = byCheck(result, 'ca-root-expiry');
    expect(rootFindings).toEqual([expect.objectContaining({ severity: 'critical', id: `ca-root:${sim.state.ca.activeRoot().ID}`, message: expect.stringMatching(/in 9\.9\d days/) })]);
    expect(result.certs.filter((c) => c.kind === 'ca-root').map((c) => c.severity).sort()).toEqual(['critical', 'info']);
    expect(result.metrics.minDaysLeft['ca-root']).toBeLessThan(10);
  });

  it('reports an unreachable and a silent sidecar as findings and finishes', async () => {
    // Prepare
    await sidecar('web');
    const refused = new URL(await refusedAddress());
    const silent = await startSilentListener();
    closers.push(() => silent.close());
    sim.state.registerService({ name: 'api-sidecar-proxy', port: Number(refused.port), address: '127.0.0.1', proxyFor: { service: 'api' } });
    sim.state.registerService({ name: 'db-sidecar-proxy', port: silent.port, address: '127.0.0.1', proxyFor: { service: 'db' } });

    // Act
    const result = await run();

    // Assess
    const unreachable = byCheck(result, 'proxy-unreachable');
    expect(unreachable.map((f) => [f.severity, f.subject.split(' ')[1]])).toEqual([
      ['medium', expect.stringMatching(/\/api-sidecar-proxy$/)],
      ['medium', expect.stringMatching(/\/db-sidecar-proxy$/)],
    ]);
    expect(unreachable[0].message).toContain('connection refused (nothing listens there)');
    expect(unreachable[1].message).toContain('no TLS handshake within 1000 ms');
    expect(result.metrics).toMatchObject({ proxiesTotal: 3, proxiesChecked: 1, proxiesUnreachable: 2 });
  });

  it('judges each endpoint against the CA given for it: untrusted is high with a CA, medium without one', async () => {
    // Prepare
    const agentCa = await createFixtureCa('Consul Agent CA');
    const privateCa = await createFixtureCa('Private Vault CA');
    const good = await startTlsListener(await agentCa.issueServer({ dnsNames: ['server.dc1.consul', 'localhost'] }));
    const wrongName = await startTlsListener(await agentCa.issueServer({ dnsNames: ['server.dc2.consul'] }));
    const noCaGiven = await startTlsListener(await privateCa.issueServer({ dnsNames: ['localhost'] }));
    const withItsCa = await startTlsListener(await privateCa.issueServer({ dnsNames: ['localhost'] }));
    const otherCa = await startTlsListener(await (await createFixtureCa('Someone Else')).issueServer({ dnsNames: ['localhost'], notAfter: new Date(Date.now() + 20 * DAY_MS) }));
    closers.push(...[good, wrongName, noCaGiven, withItsCa, otherCa].map((l) => () => l.close()));

    // Act
    const result = await run({
      consulEndpoints: [{ host: '127.0.0.1', port: good.port, serverName: 'server.dc1.consul' }, { host: '127.0.0.1', port: wrongName.port, serverName: 'server.dc1.consul' }],
      consulCaPem: agentCa.certPem,
      endpoints: [
        { address: `localhost:${noCaGiven.port}` },
        { address: `localhost:${withItsCa.port}`, caPem: privateCa.certPem, caSource: 'the CA bundle vault-ca.pem' },
        { address: `localhost:${otherCa.port}`, caPem: privateCa.certPem, caSource: 'the CA bundle vault-ca.pem' },
      ],
    });

    // Assess
    const problems = result.findings.filter((f) => f.check.startsWith('endpoint-')).map((f) => [f.id, f.severity]);
    expect(problems).toEqual([
      [`endpoint-name:127.0.0.1:${wrongName.port}`, 'high'],
      [`endpoint-trust:localhost:${noCaGiven.port}`, 'medium'],
      [`endpoint-expiry:localhost:${otherCa.port}`, 'medium'],
      [`endpoint-trust:localhost:${otherCa.port}`, 'high'],
    ]);
    expect(result.findings.find((f) => f.check === 'endpoint-name')?.message).toContain('is for DNS:server.dc2.consul, not for server.dc1.consul');
    const trust = (port: number) => result.findings.find((f) => f.id === `endpoint-trust:localhost:${port}`)!;
    expect(trust(noCaGiven.port).message).toContain('does not lead to a CA in the system trust store');
    expect(trust(noCaGiven.port).remedy).toContain('--endpoint-ca FILE');
    expect(trust(otherCa.port).message).toContain('does not lead to the CA bundle vault-ca.pem');
    expect(result.certs.filter((c) => c.kind === 'endpoint').map((c) => [c.subject, c.severity, c.issuer])).toEqual([
      [`endpoint 127.0.0.1:${good.port} (consul-https)`, 'info', 'CN=Consul Agent CA'],
      [`endpoint 127.0.0.1:${wrongName.port} (consul-https)`, 'high', 'CN=Consul Agent CA'],
      [`endpoint localhost:${noCaGiven.port} (configured)`, 'medium', 'CN=Private Vault CA'],
      [`endpoint localhost:${withItsCa.port} (configured)`, 'info', 'CN=Private Vault CA'],
      [`endpoint localhost:${otherCa.port} (configured)`, 'high', 'CN=Someone Else'],
    ]);
  });

  it('a Consul port whose chain is not from CONSUL_CACERT is high; without CONSUL_CACERT it is judged by the system store (medium)', async () => {
    // Prepare
    const agentCa = await createFixtureCa('Consul Agent CA');
    const server = await startTlsListener(await agentCa.issueServer({ dnsNames: ['localhost'] }));
    closers.push(() => server.close());
    const consulEndpoints = [{ host: 'localhost', port: server.port }];

    // Act
    const withOtherCa = await run({ consulEndpoints, consulCaPem: (await createFixtureCa('Another CA')).certPem });
    const withoutCa = await run({ consulEndpoints });

    // Assess
    const trust = (r: CertCheckResult) => r.findings.find((f) => f.check === 'endpoint-trust');
    expect(trust(withOtherCa)).toMatchObject({ severity: 'high', message: expect.stringContaining('does not lead to the Consul CA bundle (CONSUL_CACERT)') });
    expect(trust(withoutCa)).toMatchObject({ severity: 'medium', remedy: expect.stringContaining('set CONSUL_CACERT') });
  });

  it('stops starting probes once the time budget is spent and says so', async () => {
    // Prepare
    await sidecar('web');
    const spent = new AbortController();
    spent.abort();
    const source = new ConsulCertificateSource(new ConsulApi(http));

    // Act
    const result = await runCertificateCheck({ consul: source, probe: createTlsProbe(), now: () => new Date(), signal: spent.signal }, { systemCaPems: [], endpoints: [{ address: '127.0.0.1:1' }] });

    // Assess
    expect(above(result.findings, 'info').map((f) => `${f.id} ${f.severity}`)).toEqual(['proxy-fleet medium', 'endpoints-not-probed medium']);
    expect(result.metrics).toMatchObject({ proxiesTotal: 1, proxiesChecked: 0, proxiesUnreachable: 0 });
  });

  it('with exactly the required policy it checks the fleet; the optional LeafCertTTL check is skipped (info)', async () => {
    // Prepare
    await sidecar('web');
    sim.state.createPolicy({ Name: 'required', Rules: renderAclPolicy({ required: jobAclPolicy('check-certs').required }) });
    const required = clientFor(sim.state.createToken({ Policies: [{ Name: 'required' }] }).SecretID);

    // Act
    const result = await run({}, required).finally(() => required.close());

    // Assess
    expect(result.findings.find((f) => f.id === 'ca-config-unreadable')).toMatchObject({ severity: 'info', remedy: expect.stringContaining('operator = "write"') });
    expect(above(result.findings, 'low')).toEqual([]);
    expect(result.metrics.proxiesChecked).toBe(1);
  });

  it('fails (instead of reporting a partial fleet) when the token lacks the auditor leaf or may not see every node', async () => {
    // Prepare
    await sidecar('web');
    const withRules = (name: string, rules: string) => {
      sim.state.createPolicy({ Name: name, Rules: rules });
      return clientFor(sim.state.createToken({ Policies: [{ Name: name }] }).SecretID);
    };
    const noAuditor = withRules('no-auditor', 'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }\nagent_prefix "" { policy = "read" }');
    const noNodes = withRules('no-nodes', 'service_prefix "" { policy = "read" }\nagent_prefix "" { policy = "read" }\nservice "consul-ops-auditor" { policy = "write" }');

    // Act
    const auditorAttempt = run({}, noAuditor).finally(() => noAuditor.close());
    const nodesAttempt = run({}, noNodes).finally(() => noNodes.close());

    // Assess
    await expect(auditorAttempt).rejects.toMatchObject({ code: 'CONSUL_PERMISSION_DENIED', context: expect.objectContaining({ permission: 'service:write', resourceName: 'consul-ops-auditor' }) });
    await expect(nodesAttempt).rejects.toMatchObject({ code: 'CONSUL_RESULTS_FILTERED', context: expect.objectContaining({ permission: 'node:read' }) });
  });

  it(`without service:write on the services, ${perTokenLeaves ? 'nothing changes on 1.15 (no agent leaves are read)' : 'only the stale-leaf comparison is skipped (low)'}`, async () => {
    // Prepare
    await sidecar('web');
    sim.state.createPolicy({
      Name: 'auditor',
      Rules: 'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }\nagent_prefix "" { policy = "read" }\nservice "consul-ops-auditor" { policy = "write" }\noperator = "write"',
    });
    const auditor = clientFor(sim.state.createToken({ Policies: [{ Name: 'auditor' }] }).SecretID);

    // Act
    const result = await run({}, auditor).finally(() => auditor.close());

    // Assess
    expect(above(result.findings, 'info').map((f) => [f.id, f.severity])).toEqual(perTokenLeaves ? [] : [['agent-leaf-unreadable', 'low']]);
    expect(result.metrics.proxiesChecked).toBe(1);
  });
});
