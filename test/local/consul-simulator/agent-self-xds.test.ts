import { connect, PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { startConsulSimulator } from '../../../local/consul-simulator';
import { ALL_CONSUL_PROFILES } from '../../helpers/consul-versions';
import { createTestPki } from '../../helpers/tls-fixtures';
import { call } from './http';

interface Self {
  Config: { Datacenter: string; PrimaryDatacenter: string; Version: string };
  DebugConfig: Record<string, unknown>;
  xDS?: { SupportedProxies: Record<string, string[]>; Port: number; Ports: { Plaintext: number; TLS: number } };
}

function peerCertificate(port: number): Promise<{ cert: PeerCertificate; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      resolve({ cert: socket.getPeerCertificate(), alpn: socket.alpnProtocol ?? false });
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe.each(ALL_CONSUL_PROFILES)('consul simulator %s: /v1/agent/self xDS (consul-api.md correction 1)', (consulVersion) => {
  it('answers under the key xDS (never XDS) with both gRPC ports, -1 for the TLS port that is off', async () => {
    // Prepare
    const sim = await startConsulSimulator({ consulVersion });
    try {
      // Act
      const res = await call(sim.url, 'GET', '/v1/agent/self', { token: sim.managementToken.secretId });
      const self = res.json<Self>();
      // Assess
      expect(res.text).not.toContain('"XDS"');
      expect(self.xDS).toEqual({ SupportedProxies: { envoy: expect.any(Array) }, Port: 8502, Ports: { Plaintext: 8502, TLS: -1 } });
      expect(self.Config.Version).toBe(consulVersion);
    } finally {
      await sim.stop();
    }
  });
});

describe('consul simulator: a real gRPC-TLS port', () => {
  it('serves TLS with the given certificate on the port advertised as xDS.Ports.TLS (and Port prefers TLS)', async () => {
    // Prepare
    const pki = await createTestPki();
    const sim = await startConsulSimulator({ grpcTls: pki.server, grpcPort: -1 });
    try {
      // Act
      const self = (await call(sim.url, 'GET', '/v1/agent/self', { token: sim.managementToken.secretId })).json<Self>();
      const { cert, alpn } = await peerCertificate(self.xDS?.Ports.TLS ?? 0);
      // Assess
      expect(sim.grpcTlsPort).toBeGreaterThan(0);
      expect(self.xDS).toMatchObject({ Port: sim.grpcTlsPort, Ports: { Plaintext: -1, TLS: sim.grpcTlsPort } });
      expect(new Date(cert.valid_to).getTime()).toBe(new Date(new X509Certificate(pki.server.certPem).validTo).getTime());
      expect(alpn).toBe('h2');
    } finally {
      await sim.stop();
    }
  });
});

describe('consul simulator: secondary datacenter in agent/self', () => {
  it('reports the ACL primary datacenter and token replication', async () => {
    const sim = await startConsulSimulator({ datacenter: 'dc2', primaryDatacenter: 'dc1' });
    try {
      const self = (await call(sim.url, 'GET', '/v1/agent/self', { token: sim.managementToken.secretId })).json<Self>();
      expect(self.Config).toMatchObject({ Datacenter: 'dc2', PrimaryDatacenter: 'dc1' });
      expect(self.DebugConfig).toMatchObject({ PrimaryDatacenter: 'dc1', ACLTokenReplication: true });
    } finally {
      await sim.stop();
    }
  });
});
