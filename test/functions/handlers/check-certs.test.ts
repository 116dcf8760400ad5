import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CERT_CHECK_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';
import { createFixtureCa, DAY_MS, startTlsListener, type TlsListener } from '../../helpers/cert-fixtures';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

type Handler = typeof import('../../../functions/handlers/check-certs').handler;

/** The handler with the real wiring against the simulator and the Secrets Manager fake (no report topic: no publish). */
describe.each(EDGE_CONSUL_PROFILES)('check-certs handler (Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let secrets: SecretsManagerFake;
  let listeners: TlsListener[] = [];
  let handler: Handler;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    secrets = await startSecretsManagerFake();
    const sm = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const created = await sm.send(
      new CreateSecretCommand({ Name: 'consul/demo/management', SecretString: JSON.stringify({ accessorId: sim.managementToken.accessorId, secretId: sim.managementToken.secretId }) }),
    );
    const agentCa = await createFixtureCa('Consul Agent CA');
    const vaultCa = await createFixtureCa('Private Vault CA');
    const vaultCaSecret = await sm.send(new CreateSecretCommand({ Name: 'certs/vault-ca', SecretString: vaultCa.certPem }));
    const endpoint = await startTlsListener(await vaultCa.issueServer({ dnsNames: ['localhost'], notAfter: new Date(Date.now() + 10 * DAY_MS) }));
    const leaf = (await sim.state.ca.leaf('web', true)).leaf;
    const sidecar = await startTlsListener({ certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM }, { requireClientCertFrom: [sim.state.ca.activeRoot().RootCert] });
    listeners = [endpoint, sidecar];
    sim.state.registerService({ name: 'web-sidecar-proxy', port: sidecar.port, address: '127.0.0.1', proxyFor: { service: 'web' } });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [E.clusterName]: 'demo',
      [E.bucketName]: 'unused-without-a-topic',
      [E.consulAddresses]: sim.url,
      [E.consulTokenSecretArn]: created.ARN!,
      [E.consulCaPem]: agentCa.certPem,
      [E.certEndpoints]: JSON.stringify([{ address: `localhost:${endpoint.port}`, caBundleSecretArn: vaultCaSecret.ARN }]),
      [E.certThresholds]: JSON.stringify({ endpoint: { warning: 30, critical: 7 } }),
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../../functions/handlers/check-certs') as { handler: Handler }).handler;
    });
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all(listeners.map((l) => l.close()));
    await sim.stop();
    await secrets.stop();
  });

  it('checks the mesh and the configured endpoint against its CA bundle secret, with the thresholds from the environment', async () => {
    // Act
    const result = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 300_000 });

    // Assess
    expect(result.findings.filter((f) => f.severity !== 'info').map((f) => `${f.id} ${f.severity}`)).toEqual([`endpoint-expiry:${listeners[0].address.replace('127.0.0.1', 'localhost')} medium`]);
    expect(result.metrics).toMatchObject({ proxiesChecked: 1, proxiesServingStaleLeaves: 0 });
    expect(result.metrics.minDaysLeft.endpoint).toBeGreaterThan(9.9);
  });

  it('throws (after trying to report) when Consul cannot be read, so the errors alarm fires', async () => {
    // Prepare
    sim.state.deleteToken(sim.managementToken.accessorId);

    // Act + Assess
    await expect(handler({}, { getRemainingTimeInMillis: () => 300_000 })).rejects.toMatchObject({ code: 'CONSUL_ACL_NOT_FOUND' });
  });
});
