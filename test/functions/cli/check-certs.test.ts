import type { CommandSpec } from '../../../functions/cli/command';
import { createCheckCertsCommand } from '../../../functions/cli/commands/check-certs';
import { buildProgram } from '../../../functions/cli/main';
import { createTlsProbe } from '../../../functions/adapters/tls-probe';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { CaptureStream } from '../../helpers/capture';
import { createFixtureCa, DAY_MS, startTlsListener, type TlsListener } from '../../helpers/cert-fixtures';

const HOUR = 3_600_000;

describe('consul-ops check-certs', () => {
  let sim: ConsulSimulator;
  let listeners: TlsListener[];

  beforeEach(async () => {
    sim = await startConsulSimulator();
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
    const io = { stdout: new CaptureStream(), stderr: new CaptureStream(), env: { CONSUL_HTTP_ADDR: sim.url, CONSUL_HTTP_TOKEN: sim.managementToken.secretId }, interactive: false };
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
    expect(data.certs.map((c) => c.kind).sort()).toEqual(['ca-root', 'leaf', 'leaf', 'proxy']);
    expect(data.findings.filter((f) => f.severity === 'critical').map((f) => f.id.split(':')[0]).sort()).toEqual(['consul-version', 'proxy-fleet', 'proxy-leaf-expired']);
  });

  it('checks --endpoint with --warn-days/--critical-days and prints a table; exits 0 below --fail-on', async () => {
    // Prepare
    await sidecar('web', (await sim.state.ca.leaf('web', true)).leaf);
    const ca = await createFixtureCa();
    const endpoint = await startTlsListener(await ca.issueServer({ dnsNames: ['localhost'], notAfter: new Date(Date.now() + 40 * DAY_MS) }));
    listeners.push(endpoint);

    // Act
    const { code, stdout } = await run('--endpoint', `localhost:${endpoint.port}`, '--warn-days', '45', '--critical-days', '7', '--fail-on', 'critical');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/SEVERITY\s+KIND\s+DAYS LEFT\s+NOT AFTER\s+SUBJECT/);
    expect(stdout).toMatch(new RegExp(`high\\s+endpoint\\s+39\\.9\\d .*endpoint localhost:${endpoint.port} \\(configured\\)`));
    expect(stdout).toContain(`[MEDIUM] endpoint localhost:${endpoint.port} (configured): its certificate expires on`);
    expect(stdout).toContain(`[HIGH] endpoint localhost:${endpoint.port} (configured): the chain (issuer CN=consul-ops fixture CA) does not lead to a trusted CA`);
  });

  it.each([
    { argv: ['--endpoint', 'no-port'], stderr: /--endpoint: "no-port" is not host:port/ },
    { argv: ['--warn-days', '5', '--critical-days', '10'], stderr: /--warn-days: \(5\) must be at least --critical-days \(10\)/ },
    { argv: ['--auditor-service', 'bad name'], stderr: /--auditor-service: "bad name" is not a service name/ },
  ])('refuses $argv with exit 2', async ({ argv, stderr }) => {
    const out = await run(...argv);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(stderr);
  });
});
