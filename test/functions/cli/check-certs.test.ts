import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandSpec } from '../../../functions/cli/command';
import { createCheckCertsCommand } from '../../../functions/cli/commands/check-certs';
import { buildProgram } from '../../../functions/cli/main';
import { createTlsProbe } from '../../../functions/adapters/tls-probe';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { CaptureStream } from '../../helpers/capture';
import { createFixtureCa, DAY_MS, startTlsListener, type TlsListener } from '../../helpers/cert-fixtures';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

const HOUR = 3_600_000;

const dir = mkdtempSync(join(tmpdir(), 'consul-ops-check-certs-'));
let files = 0;
/** Writes `text` to a fresh file and returns its path. */
function file(text: string): string {
  const path = join(dir, `f${(files += 1)}.pem`);
  writeFileSync(path, text);
  return path;
}

describe.each(EDGE_CONSUL_PROFILES)('consul-ops check-certs (Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let listeners: TlsListener[];

  beforeEach(async () => {
    sim = await startConsulSimulator({ consulVersion });
    listeners = [];
  });
  afterEach(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await sim.stop();
  });

  async function sidecar(service: string, leaf: { CertPEM: string; PrivateKeyPEM: string }): Promise<void> {
    const roots = sim.state.store.caRoots.map((r) => r.RootCert);
    const listener = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: roots });
    listeners.push(listener);
    sim.state.registerService({ name: `${service}-sidecar-proxy`, port: listener.port, address: '127.0.0.1', proxyFor: { service } });
  }

  async function run(...argv: string[]) {
    return runWith({}, ...argv);
  }

  async function runWith(env: Record<string, string>, ...argv: string[]) {
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: sim.managementToken.secretId, ...env }, interactive: false };
    let code = 0;
    const program = buildProgram(io, (c) => (code = c), [createCheckCertsCommand({ probe: createTlsProbe({ timeoutMs: 1_000 }) }) as CommandSpec]);
    try {
      await program.parseAsync(['node', 'consul-ops', 'check-certs', ...argv]);
    } catch {
      code = 2;
    }
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  it('prints { certs, findings } with --json and exits 1 for the 1.15.1 case (critical ≥ --fail-on high)', async () => {
    // Prepare
    sim.state.setVersion('1.15.1');
    const now = Date.now();
    await sidecar('web', await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 73 * HOUR), notAfter: new Date(now - HOUR) }));
    sim.state.ca.clearLeafCache('web');

    // Act
    const { code, stdout } = await run('--json');

    // Assess
    expect(code).toBe(1);
    const data = JSON.parse(stdout) as { certs: { kind: string }[]; findings: { id: string; severity: string; remedy?: string }[] };
    expect(Object.keys(data)).toEqual(['certs', 'findings']);
    // 1.15 caches leaves per token: only the auditor's own leaf is read, the sidecar's is judged as served.
    expect(data.certs.map((c) => c.kind).sort()).toEqual(['ca-root', 'leaf', 'proxy']);
    expect(data.findings.filter((f) => f.severity === 'critical').map((f) => f.id.split(':')[0]).sort()).toEqual(['consul-version', 'proxy-fleet', 'proxy-leaf-expired']);
  });

  it('checks --endpoint with --warn-days/--critical-days and prints a table; a private CA without --endpoint-ca is medium, exit 0', async () => {
    // Prepare
    await sidecar('web', (await sim.state.ca.leaf('web', true)).leaf);
    const ca = await createFixtureCa();
    const endpoint = await startTlsListener(await ca.issueServer({ dnsNames: ['localhost'], notAfter: new Date(Date.now() + 40 * DAY_MS) }));
    listeners.push(endpoint);

    // Act
    const { code, stdout } = await run('--endpoint', `localhost:${endpoint.port}`, '--warn-days', '45', '--critical-days', '7');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/SEVERITY\s+KIND\s+DAYS LEFT\s+NOT AFTER\s+SUBJECT/);
    expect(stdout).toMatch(new RegExp(`medium\\s+endpoint\\s+39\\.9\\d .*endpoint localhost:${endpoint.port} \\(configured\\)`));
    expect(stdout).toContain(`[MEDIUM] endpoint localhost:${endpoint.port} (configured): its certificate expires on`);
    expect(stdout).toContain(`[MEDIUM] endpoint localhost:${endpoint.port} (configured): the chain (issuer CN=consul-ops fixture CA) does not lead to a CA in the system trust store`);
  });

  it('--endpoint-ca applies to the --endpoint before it: a healthy endpoint behind a private CA is clean, a foreign chain is high', async () => {
    // Prepare
    await sidecar('web', (await sim.state.ca.leaf('web', true)).leaf);
    const privateCa = await createFixtureCa('Private CA');
    const healthy = await startTlsListener(await privateCa.issueServer({ dnsNames: ['localhost'] }));
    const foreign = await startTlsListener(await (await createFixtureCa('Foreign CA')).issueServer({ dnsNames: ['localhost'] }));
    listeners.push(healthy, foreign);
    const caFile = file(privateCa.certPem);

    // Act
    const { code, stdout } = await run('--endpoint', `localhost:${healthy.port}`, '--endpoint-ca', caFile, '--endpoint', `localhost:${foreign.port}`, '--endpoint-ca', caFile, '--json');

    // Assess
    const data = JSON.parse(stdout) as { certs: { subject: string; severity: string }[]; findings: { id: string; severity: string; message: string }[] };
    expect(code).toBe(1);
    expect(data.certs.find((c) => c.subject === `endpoint localhost:${healthy.port} (configured)`)).toMatchObject({ severity: 'info' });
    expect(data.findings.filter((f) => f.id.startsWith('endpoint-'))).toEqual([
      expect.objectContaining({ id: `endpoint-trust:localhost:${foreign.port}`, severity: 'high', message: expect.stringContaining(`does not lead to the CA bundle ${caFile}`) }),
    ]);
  });

  it("reports the agent's gRPC TLS port (xDS.Ports.TLS) and Consul's HTTPS port with their real notAfter", async () => {
    // Prepare
    const agentCa = await createFixtureCa('Consul Agent CA');
    const httpsNotAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 300 * DAY_MS);
    const grpcNotAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 20 * DAY_MS);
    const tlsSim = await startConsulSimulator({
      consulVersion,
      tls: await agentCa.issueServer({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], notAfter: httpsNotAfter }),
      grpcTls: await agentCa.issueServer({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], notAfter: grpcNotAfter }),
    });
    try {
      const env = { CONSUL_HTTP_ADDR: tlsSim.url, CONSUL_HTTP_TOKEN: tlsSim.managementToken.secretId, CONSUL_CACERT: file(agentCa.certPem) };

      // Act
      const { code, stdout, stderr } = await runWith(env, '--json');

      // Assess
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const { certs, findings } = JSON.parse(stdout) as { certs: { subject: string; notAfter: string; severity: string }[]; findings: { id: string; severity: string }[] };
      const port = new URL(tlsSim.url).port;
      expect(certs.filter((c) => c.subject.startsWith('endpoint '))).toEqual([
        expect.objectContaining({ subject: `endpoint 127.0.0.1:${port} (consul-https)`, notAfter: httpsNotAfter.toISOString(), severity: 'info' }),
        expect.objectContaining({ subject: `endpoint 127.0.0.1:${tlsSim.grpcTlsPort} (consul-grpc-tls)`, notAfter: grpcNotAfter.toISOString(), severity: 'medium' }),
      ]);
      expect(findings.filter((f) => f.id.startsWith('endpoint-'))).toEqual([expect.objectContaining({ id: `endpoint-expiry:127.0.0.1:${tlsSim.grpcTlsPort}`, severity: 'medium' })]);
    } finally {
      await tlsSim.stop();
    }
  });

  it.each([
    { argv: ['--endpoint', 'no-port'], stderr: /--endpoint: "no-port" is not host:port/ },
    { argv: ['--warn-days', '5', '--critical-days', '10'], stderr: /--warn-days: \(5\) must be at least --critical-days \(10\)/ },
    { argv: ['--auditor-service', 'bad name'], stderr: /--auditor-service: "bad name" is not a service name/ },
    { argv: ['--endpoint-ca', '/tmp/ca.pem', '--endpoint', 'localhost:8443'], stderr: /--endpoint-ca must follow the --endpoint it applies to/ },
    { argv: ['--endpoint', 'localhost:8443', '--endpoint-ca', '/nonexistent/ca.pem'], stderr: /--endpoint-ca: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/ },
    { argv: ['--endpoint', 'localhost:8443', '--endpoint-ca', file('not a certificate')], stderr: /--endpoint-ca: .* holds no PEM certificate/ },
  ])('refuses $argv with exit 2', async ({ argv, stderr }) => {
    const out = await run(...argv);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(stderr);
  });
});
