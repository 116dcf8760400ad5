import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3BackupStore } from '../../../functions/adapters/s3-backup-store';
import { backupFolder } from '../../../functions/core/backup/workflow';
import { SNAPSHOT_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import { startConsulSimulator, type ConsulSimulator } from '../../../local/consul-simulator';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../local/secrets-manager-fake';
import { createTestBucket } from '../../helpers/s3';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

type Handler = typeof import('../../../functions/handlers/take-snapshot').handler;

describe.each(EDGE_CONSUL_PROFILES)('take-snapshot handler (the real Lambda code against the local stack, Consul %s)', (consulVersion) => {
  let sim: ConsulSimulator;
  let secrets: SecretsManagerFake;
  let bucket: string;
  let store: S3BackupStore;
  let handler: Handler;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startConsulSimulator({ consulVersion });
    secrets = await startSecretsManagerFake();
    const created = await new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1' }).send(
      new CreateSecretCommand({ Name: 'consul/demo/management', SecretString: JSON.stringify({ accessorId: sim.managementToken.accessorId, secretId: sim.managementToken.secretId }) }),
    );
    const test = await createTestBucket({ versioning: true });
    bucket = test.bucket;
    store = new S3BackupStore({ client: test.s3, bucket });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      [E.clusterName]: 'demo',
      [E.bucketName]: bucket,
      [E.snapshotPrefix]: 'snapshots',
      [E.consulAddresses]: sim.url,
      [E.consulTokenSecretArn]: created.ARN!,
      [E.retentionPolicy]: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../../functions/handlers/take-snapshot') as { handler: Handler }).handler;
    });
  });
  afterAll(async () => {
    process.env = saved;
    await sim.stop();
    await secrets.stop();
  });

  it('takes a verified backup, applies retention and keeps the newest backups', async () => {
    // Act
    const first = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 900_000 });
    const second = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 900_000 });

    // Assess
    expect(first.backup).toMatchObject({ cluster: 'demo', verified: true, kind: 'scheduled', datacenter: 'dc1', consulVersion });
    expect(second.prune.deleted).toEqual([]);
    expect(second.prune.kept.map((k) => k.key).sort()).toEqual([first.backup.key, second.backup.key].sort());
    const listed = await store.list(backupFolder('snapshots', 'demo'));
    expect(listed.filter((o) => o.verified)).toHaveLength(2);
  });

  it('fails loudly and stores nothing when the token secret holds a wrong token', async () => {
    // Prepare: the cluster no longer knows the token the secret holds
    sim.state.deleteToken(sim.managementToken.accessorId);
    const before = (await store.list(backupFolder('snapshots', 'demo'))).length;

    // Act
    const attempt = handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 900_000 });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'CONSUL_ACL_NOT_FOUND' });
    await expect(attempt).rejects.not.toMatchObject({ message: expect.stringContaining(sim.managementToken.secretId) });
    expect((await store.list(backupFolder('snapshots', 'demo'))).length).toBe(before);
  });
});
