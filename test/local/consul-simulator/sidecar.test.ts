import { connect, type PeerCertificate } from 'node:tls';
import { request } from 'undici';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';

const DAY = 86_400_000;

/** Handshakes with the sidecar as a mesh client (a leaf of `client` from the simulator's CA) and returns what it served. */
async function servedBy(sim: ConsulSimulator, port: number, client: string): Promise<{ cert: PeerCertificate; authorized: boolean }> {
  const leaf = (await sim.state.ca.leaf(client, true)).leaf;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, cert: leaf.CertPEM, key: leaf.PrivateKeyPEM, ca: [sim.state.ca.activeRoot().RootCert], rejectUnauthorized: false });
    let cert: PeerCertificate | undefined;
    socket.once('secureConnect', () => (cert = socket.getPeerCertificate()));
    // The sidecar closes once its side of the handshake is done (with TLS 1.3 that is after the client's).
    socket.on('close', () => (cert ? resolve({ cert, authorized: socket.authorized }) : reject(new Error('no handshake'))));
    socket.on('error', reject);
    socket.resume();
  });
}

describe('simulated sidecars (state.startSidecar)', () => {
  let sim: ConsulSimulator;
  beforeAll(async () => {
    sim = await startConsulSimulator();
  });
  afterAll(() => sim.stop());

  it('serves the agent\'s leaf over mTLS and is registered as <service>-sidecar-proxy', async () => {
    // Act
    const sidecar = await sim.state.startSidecar({ service: 'web' });
    const served = await servedBy(sim, sidecar.port, 'auditor');
    const res = await request(`${sim.url}/v1/catalog/service/web-sidecar-proxy`, { headers: { 'X-Consul-Token': sim.managementToken.secretId } });
    const [instance] = (await res.body.json()) as { ServiceKind: string; ServicePort: number; ServiceProxy: { DestinationServiceName: string } }[];

    // Assess
    expect(served.cert.subjectaltname).toContain('/svc/web');
    expect(served.cert.serialNumber.toLowerCase()).toBe(sidecar.serialNumber.replace(/:/g, '').toLowerCase());
    expect(sidecar.handshakes).toEqual([{ authorized: true }]);
    expect(instance).toMatchObject({ ServiceKind: 'connect-proxy', ServicePort: sidecar.port, ServiceProxy: { DestinationServiceName: 'web' } });
  });

  it('serves a leaf of the given validity, even an expired one', async () => {
    // Prepare
    const notAfter = new Date(Date.now() - DAY);

    // Act
    const sidecar = await sim.state.startSidecar({ service: 'payments', validity: { notBefore: new Date(Date.now() - 4 * DAY), notAfter } });
    const served = await servedBy(sim, sidecar.port, 'auditor');

    // Assess
    expect(new Date(served.cert.valid_to).getTime()).toBe(Math.floor(notAfter.getTime() / 1000) * 1000);
  });

  it('refuses a client without a mesh certificate, as Envoy does', async () => {
    const sidecar = await sim.state.startSidecar({ service: 'db' });
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: sidecar.port, rejectUnauthorized: false }, () => socket.once('data', () => resolve(false)));
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(sidecar.handshakes).toEqual([]);
  });
});
