import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulCertificateSource } from '../../../../functions/adapters/consul/cert-source';
import { ConsulHttpClient } from '../../../../functions/adapters/consul/client';
import { consulSettingsFromConfig, staticTokenSource } from '../../../../functions/adapters/consul/settings';
import { createTlsProbe } from '../../../../functions/adapters/tls-probe';
import { runCertificateCheck, type CertCheckInput, type CertCheckResult } from '../../../../functions/core/certs/workflow';
import type { Finding } from '../../../../functions/core/report/report';
import { severityRank } from '../../../../functions/core/shared/severity';
import { startConsulSimulator, type ConsulSimulator } from '../../../../local/consul-simulator';
import { createFixtureCa, DAY_MS, startSilentListener, startTlsListener, type TlsListener } from '../../../helpers/cert-fixtures';
import { refusedAddress } from '../../../helpers/tls-fixtures';

const HOUR = 3_600_000;

async function waitFor(condition: () => boolean, ms = 2_000): Promise<void> {
  for (const end = Date.now() + ms; !condition() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
}

describe('runCertificateCheck (simulator CA, loopback sidecars that require a client certificate)', () => {
  let sim: ConsulSimulator;
  let http: ConsulHttpClient;
  let closers: (() => Promise<void>)[];

  beforeEach(async () => {
    sim = await startConsulSimulator();
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
    return runCertificateCheck({ consul: source, probe: createTlsProbe({ timeoutMs: 1_000 }), now: () => new Date() }, { endpointCaPems: [], ...input });
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
    expect(finding.message).toMatch(/The agent's current leaf for web is [0-9a-f:]+, valid until/);
    expect(finding.remedy).toMatch(/Restart the sidecar/);
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

  it('a sidecar serving an older leaf than its agent holds beyond the grace period is stale (high)', async () => {
    // Prepare
    const now = Date.now();
    const older = await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 10 * HOUR), notAfter: new Date(now + 62 * HOUR) });
    sim.state.ca.clearLeafCache('web');
    await sidecar('web', older);

    // Act: no grace, as the agent's new leaf is backdated by only a minute here
    const result = await run({ staleGraceMs: 0 });

    // Assess
    expect(byCheck(result, 'proxy-leaf-stale')).toEqual([expect.objectContaining({ severity: 'high', message: expect.stringMatching(/although its agent has held a newer leaf/) })]);
    expect(result.metrics.proxiesServingStaleLeaves).toBe(1);
    expect((await run()).findings.filter((f) => f.check === 'proxy-leaf-stale')).toEqual([]); // inside the default 15 min grace
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

  it('checks endpoints: a wrong hostname and an untrusted issuer are high, a good one is clean', async () => {
    // Prepare
    const agentCa = await createFixtureCa('Consul Agent CA');
    const good = await startTlsListener(await agentCa.issueServer({ dnsNames: ['server.dc1.consul', 'localhost'] }));
    const wrongName = await startTlsListener(await agentCa.issueServer({ dnsNames: ['server.dc2.consul'] }));
    const foreign = await startTlsListener(await (await createFixtureCa('Someone Else')).issueServer({ dnsNames: ['localhost'], notAfter: new Date(Date.now() + 20 * DAY_MS) }));
    closers.push(() => good.close(), () => wrongName.close(), () => foreign.close());

    // Act
    const result = await run({
      consulEndpoints: [{ host: '127.0.0.1', port: good.port, serverName: 'server.dc1.consul' }, { host: '127.0.0.1', port: wrongName.port, serverName: 'server.dc1.consul' }],
      endpoints: [`localhost:${foreign.port}`],
      endpointCaPems: [agentCa.certPem],
    });

    // Assess
    const problems = result.findings.filter((f) => f.check.startsWith('endpoint-')).map((f) => [f.id, f.severity]);
    expect(problems).toEqual([
      [`endpoint-name:127.0.0.1:${wrongName.port}`, 'high'],
      [`endpoint-expiry:localhost:${foreign.port}`, 'medium'],
      [`endpoint-trust:localhost:${foreign.port}`, 'high'],
    ]);
    expect(result.findings.find((f) => f.check === 'endpoint-name')?.message).toContain('is for DNS:server.dc2.consul, not for server.dc1.consul');
    expect(result.certs.filter((c) => c.kind === 'endpoint').map((c) => [c.subject, c.severity, c.issuer])).toEqual([
      [`endpoint 127.0.0.1:${good.port} (consul-https)`, 'info', 'CN=Consul Agent CA'],
      [`endpoint 127.0.0.1:${wrongName.port} (consul-https)`, 'high', 'CN=Consul Agent CA'],
      [`endpoint localhost:${foreign.port} (configured)`, 'high', 'CN=Someone Else'],
    ]);
  });

  it('stops starting probes once the time budget is spent and says so', async () => {
    // Prepare
    await sidecar('web');
    const spent = new AbortController();
    spent.abort();
    const source = new ConsulCertificateSource(new ConsulApi(http));

    // Act
    const result = await runCertificateCheck({ consul: source, probe: createTlsProbe(), now: () => new Date(), signal: spent.signal }, { endpointCaPems: [], endpoints: ['127.0.0.1:1'] });

    // Assess
    expect(above(result.findings, 'info').map((f) => `${f.id} ${f.severity}`)).toEqual(['proxy-fleet medium', 'endpoints-not-probed medium']);
    expect(result.metrics).toMatchObject({ proxiesTotal: 1, proxiesChecked: 0, proxiesUnreachable: 0 });
  });

  it('turns missing permissions into findings: no operator:write is info, no auditor leaf skips the sidecars (high)', async () => {
    // Prepare
    await sidecar('web');
    sim.state.createPolicy({ Name: 'read-only', Rules: 'service_prefix "" { policy = "read" }\nnode_prefix "" { policy = "read" }\nagent_prefix "" { policy = "read" }' });
    const readOnly = clientFor(sim.state.createToken({ Policies: [{ Name: 'read-only' }] }).SecretID);

    // Act
    const result = await run({}, readOnly).finally(() => readOnly.close());

    // Assess
    expect(result.findings.map((f) => [f.id, f.severity])).toEqual(
      expect.arrayContaining([
        ['ca-config-unreadable', 'info'],
        ['auditor-leaf-unreadable', 'high'],
      ]),
    );
    const auditor = result.findings.find((f) => f.id === 'auditor-leaf-unreadable')!;
    expect(auditor.message).toContain("lacks permission 'service:write'");
    expect(auditor.remedy).toBe('Grant the consul-ops token service "consul-ops-auditor" { policy = "write" }.');
    expect(result.certs.filter((c) => c.kind === 'proxy')).toEqual([]);
    expect(result.certs.filter((c) => c.kind === 'ca-root')).toHaveLength(1);
  });

  it('without service:write on the services, only the stale-leaf comparison is skipped (low)', async () => {
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
    expect(above(result.findings, 'info').map((f) => [f.id, f.severity])).toEqual([['agent-leaf-unreadable', 'low']]);
    expect(result.metrics.proxiesChecked).toBe(1);
  });
});
