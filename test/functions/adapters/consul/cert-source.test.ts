import { ConsulApi } from '../../../../functions/adapters/consul/api';
import { ConsulCertificateSource } from '../../../../functions/adapters/consul/cert-source';
import { json, useConsulHttpHarness } from '../../../helpers/consul-http-harness';

const CONFIG = { Datacenter: 'dc1', NodeName: 'consul-1', NodeID: 'id', Revision: 'r', Server: true, Version: '1.15.11' };

describe('ConsulCertificateSource.agentInfo', () => {
  const h = useConsulHttpHarness();

  async function agentInfoFor(self: Record<string, unknown>) {
    const srv = await h.serve((_req, res) => json(res, 200, self));
    return new ConsulCertificateSource(new ConsulApi(h.client([srv.url]))).agentInfo();
  }

  it.each([
    { name: 'xDS.Ports.TLS, as Consul answers (correction 1)', self: { Config: CONFIG, xDS: { SupportedProxies: { envoy: ['1.27.2'] }, Port: 8503, Ports: { Plaintext: 8502, TLS: 8503 } } }, port: 8503 },
    { name: 'a TLS port that is off (-1)', self: { Config: CONFIG, xDS: { Port: 8502, Ports: { Plaintext: 8502, TLS: -1 } } }, port: undefined },
    { name: 'no xDS server', self: { Config: CONFIG }, port: undefined },
    { name: 'the key XDS, which Consul never sends', self: { Config: CONFIG, XDS: { Ports: { TLS: 8503 } } }, port: undefined },
  ])('reads the gRPC TLS port from $name', async ({ self, port }) => {
    // Act
    const info = await agentInfoFor(self);

    // Assess
    expect(info).toEqual({ node: 'consul-1', datacenter: 'dc1', version: '1.15.11', ...(port ? { grpcTlsPort: port } : {}) });
  });
});
