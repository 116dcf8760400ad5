import { checkCaBundle, endpointTargets, parseHostPort } from '../../../../functions/core/certs/endpoints';
import { createFixtureCa } from '../../../helpers/cert-fixtures';

describe('parseHostPort', () => {
  it.each([
    { text: 'consul.example.com:8501', expected: { host: 'consul.example.com', port: 8501 } },
    { text: ' 10.0.0.5:443 ', expected: { host: '10.0.0.5', port: 443 } },
    { text: '[fd00::5]:8503', expected: { host: 'fd00::5', port: 8503 } },
  ])('reads $text', ({ text, expected }) => {
    expect(parseHostPort(text, '--endpoint')).toEqual(expected);
  });

  it.each(['consul.example.com', 'host:0', 'host:65536', 'fd00::5:8503', 'a b:1'])('refuses %s naming the field', (text) => {
    expect(() => parseHostPort(text, '--endpoint')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: `--endpoint: "${text}" is not host:port` }));
  });
});

describe('endpointTargets', () => {
  it('judges Consul ports by CONSUL_CACERT and each configured endpoint by its own CA, else by the system store', async () => {
    // Prepare
    const [system, consulCa, vaultCa] = await Promise.all([createFixtureCa('System Root'), createFixtureCa('Consul CA'), createFixtureCa('Vault CA')]);
    const input = {
      consulEndpoints: [{ host: 'consul.internal', port: 8501, serverName: 'server.dc1.consul' }],
      endpoints: [{ address: 'vault.internal:8200', caPem: vaultCa.certPem, caSource: 'the CA bundle vault.pem' }, { address: 'ui.internal:443' }, { address: 'consul.internal:8501' }],
    };

    // Act
    const targets = endpointTargets(input, 8503, { systemCaPems: [system.certPem], consulCaPem: consulCa.certPem });

    // Assess
    const view = targets.map((t) => [`${t.host}:${t.port}`, t.role, t.expectedName, t.caSource, t.anchors.map((a) => a.subject)]);
    expect(view).toEqual([
      ['consul.internal:8501', 'consul-https', 'server.dc1.consul', 'the Consul CA bundle (CONSUL_CACERT)', ['CN=Consul CA']],
      ['consul.internal:8503', 'consul-grpc-tls', 'server.dc1.consul', 'the Consul CA bundle (CONSUL_CACERT)', ['CN=Consul CA']],
      ['vault.internal:8200', 'configured', 'vault.internal', 'the CA bundle vault.pem', ['CN=Vault CA']],
      ['ui.internal:443', 'configured', 'ui.internal', undefined, ['CN=System Root']],
    ]);
  });

  it('probes no gRPC TLS port when the agent has none or it is turned off, and uses the system store without CONSUL_CACERT', async () => {
    // Prepare
    const system = await createFixtureCa('System Root');
    const consulEndpoints = [{ host: 'consul.internal', port: 8501 }];

    // Act
    const none = endpointTargets({ consulEndpoints }, undefined, { systemCaPems: [system.certPem] });
    const off = endpointTargets({ consulEndpoints, grpcTls: false }, 8503, { systemCaPems: [system.certPem] });

    // Assess
    expect(none.map((t) => [t.port, t.caSource, t.anchors.length])).toEqual([[8501, undefined, 1]]);
    expect(off.map((t) => t.role)).toEqual(['consul-https']);
  });
});

describe('checkCaBundle', () => {
  it('accepts a bundle of certificates and refuses anything else, naming the field and the source', async () => {
    // Prepare
    const [a, b] = await Promise.all([createFixtureCa('A'), createFixtureCa('B')]);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

    // Act / Assess
    expect(checkCaBundle(a.certPem + b.certPem, '--endpoint-ca', 'ca.pem')).toBe(a.certPem + b.certPem);
    expect(() => checkCaBundle('hello', '--endpoint-ca', 'ca.pem')).toThrow('--endpoint-ca: ca.pem holds no PEM certificate');
    expect(() => checkCaBundle(a.certPem + broken, '--endpoint-ca', 'ca.pem')).toThrow(/^--endpoint-ca: certificate #2 in ca.pem cannot be read/);
  });
});
