import { S3BackupStore } from '../../../functions/adapters/s3-backup-store';
import { backupFolder } from '../../../functions/core/backup/workflow';
import { SNAPSHOT_FUNCTION_ENV as E } from '../../../functions/handlers/lambda-env';
import type { ConsulSimulator } from '../../../local/consul-simulator';
import { startSnapshotFunctionStack, type SnapshotFunctionStack } from '../../helpers/snapshot-function-stack';
import { EDGE_CONSUL_PROFILES } from '../../helpers/consul-versions';

type Handler = typeof import('../../../functions/handlers/take-snapshot').handler;

describe.each(EDGE_CONSUL_PROFILES)('take-snapshot handler (the real Lambda code against the local stack, Consul %s)', (consulVersion) => {
  let stack: SnapshotFunctionStack;
  let sim: ConsulSimulator;
  let store: S3BackupStore;
  let handler: Handler;
  const saved = { ...process.env };

  beforeAll(async () => {
    stack = await startSnapshotFunctionStack({ consulVersion });
    sim = stack.sim;
    store = new S3BackupStore({ client: stack.s3, bucket: stack.bucket });
    Object.assign(process.env, stack.env, {
      [E.retentionPolicy]: JSON.stringify({ hourly: 24, daily: 7, weekly: 4, monthly: 6, keepMin: 3, scheduleIntervalMs: 3_600_000 }),
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../../functions/handlers/take-snapshot') as { handler: Handler }).handler;
    });
  });
  afterAll(async () => {
    process.env = saved;
    await stack.stop();
  });

  it('takes a verified backup, applies retention and keeps the newest backups', async () => {
    // Act
    const first = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 900_000 });
    const second = await handler({ trigger: 'schedule' }, { getRemainingTimeInMillis: () => 900_000 });

    // Assess
    expect(first.backup).toMatchObject({ cluster: 'demo', verified: true, kind: 'scheduled', datacenter: 'dc1' });
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
