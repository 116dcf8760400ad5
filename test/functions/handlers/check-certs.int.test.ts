import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CERT_CHECK_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';
import { startLocalSns, type LocalSns, type QueueSubscription } from '../../../local/sns';
import { startTlsListener, type TlsListener } from '../../helpers/cert-fixtures';
import { createTestBucket } from '../../helpers/s3';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

type Handler = typeof import('../../../functions/handlers/check-certs').handler;

const HOUR = 3_600_000;

/** The real handler and the shared report path: radosgw for the state and full reports, fauxqs for SNS. */
describe.each(EDGE_CONSUL_PROFILES)('check-certs handler (report path against the local stack, Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let secrets: SecretsManagerFake;
  let sns: LocalSns;
  let inbox: QueueSubscription;
  let sidecar: TlsListener;
  let bucket: string;
  let s3: Awaited<ReturnType<typeof createTestBucket>>['s3'];
  let handler: Handler;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    secrets = await startSecretsManagerFake();
    sns = await startLocalSns();
    const topicArn = sns.createTopic('consul-ops-reports');
    inbox = sns.subscribeQueue(topicArn);
    ({ bucket, s3 } = await createTestBucket({ versioning: true }));
    const created = await new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1' }).send(
      new CreateSecretCommand({ Name: 'consul/demo/management', SecretString: JSON.stringify({ accessorId: sim.managementToken.accessorId, secretId: sim.managementToken.secretId }) }),
    );
    const now = Date.now();
    const expired = await sim.state.ca.pinLeaf('web', { notBefore: new Date(now - 73 * HOUR), notAfter: new Date(now - HOUR) });
    sim.state.ca.clearLeafCache('web');
    sidecar = await startTlsListener({ certPem: expired.CertPEM, keyPem: expired.PrivateKeyPEM }, { requireClientCertFrom: [sim.state.ca.activeRoot().RootCert] });
    sim.state.registerService({ name: 'web-sidecar-proxy', port: sidecar.port, address: '127.0.0.1', proxyFor: { service: 'web' } });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [E.clusterName]: 'demo',
      [E.bucketName]: bucket,
      [E.consulAddresses]: sim.url,
      [E.consulTokenSecretArn]: created.ARN!,
      [E.reportTopicArn]: topicArn,
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../../functions/handlers/check-certs') as { handler: Handler }).handler;
    });
  });
  afterAll(async () => {
    process.env = saved;
    await sidecar.close();
    await sim.stop();
    await secrets.stop();
    await sns.stop();
  });

  it('publishes a sidecar serving an expired leaf once as a critical certificates report, then stays quiet while nothing changes', async () => {
    // Act
    await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 300_000 });
    const first = await inbox.receive();
    await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 300_000 });
    const second = await inbox.receive(1);

    // Assess
    expect(first).toHaveLength(1);
    expect(first[0].Subject).toMatch(/^\[CRITICAL\] demo: \d+ certificate problems$/);
    expect(first[0].MessageAttributes).toMatchObject({ feature: { Value: 'certificates' }, severity: { Value: 'critical' }, cluster: { Value: 'demo' } });
    expect(first[0].Message).toContain('proxy-leaf-expired');
    expect(second).toEqual([]);
    const state = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'state/demo/certificates.json' }));
    expect(JSON.parse(await state.Body!.transformToString())).toMatchObject({ cluster: 'demo', feature: 'certificates' });
  });
});
