import { runSnapshotJob } from '../../../../functions/core/backup/job';
import { BACKUP_FINDING_IDS } from '../../../../functions/core/backup/backup-report';
import { DEFAULT_RETENTION_POLICY } from '../../../../functions/core/retention/retention-plan';
import { buildArchive, InMemoryBackupStore, InMemoryConsul } from '../../../helpers/in-memory-backups';

const NOW = new Date('2026-11-21T12:00:00.000Z');

async function setup() {
  const consul = new InMemoryConsul();
  consul.snapshot = await buildArchive(42);
  const store = new InMemoryBackupStore();
  return { consul, store, deps: { consul, store, now: () => NOW } };
}

describe('runSnapshotJob', () => {
  it('stores a verified backup, applies retention and reports both', async () => {
    // Prepare
    const { deps, store } = await setup();

    // Act
    const outcome = await runSnapshotJob(deps, { cluster: 'c1', prefix: 'snapshots', kind: 'scheduled', bucket: 'b', retention: DEFAULT_RETENTION_POLICY });

    // Assess
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.backup).toMatchObject({ cluster: 'c1', consulIndex: 42, verified: true });
    expect(outcome.result.prune).toMatchObject({ cluster: 'c1', kept: [expect.objectContaining({ key: outcome.result.backup.key })] });
    expect(outcome.report).toMatchObject({ feature: 'backup', severity: 'info', title: 'backup ok' });
    expect(outcome.report?.summary.join('\n')).toContain(`s3://b/${outcome.result.backup.key}`);
    expect((await store.list('snapshots/c1/'))[0].verified).toBe(true);
  });

  it('takes no retention step without a policy (a manual backup)', async () => {
    const { deps } = await setup();
    const outcome = await runSnapshotJob(deps, { cluster: 'c1', prefix: 'snapshots', kind: 'manual' });
    expect(outcome.ok && outcome.result.prune).toBeUndefined();
    expect(outcome.report?.summary).toHaveLength(1);
  });

  it('fails with a critical report and stores nothing when the snapshot cannot be taken', async () => {
    // Prepare
    const { deps, consul, store } = await setup();
    consul.snapshot = undefined;

    // Act
    const outcome = await runSnapshotJob(deps, { cluster: 'c1', prefix: 'snapshots', kind: 'scheduled', retention: DEFAULT_RETENTION_POLICY });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ severity: 'critical', outcome: 'failed', findings: [expect.objectContaining({ id: BACKUP_FINDING_IDS.backupFailed })] });
    expect(await store.list('snapshots/c1/')).toEqual([]);
  });

  it('keeps the stored backup and reports high when retention fails after it', async () => {
    // Prepare
    const { deps, store } = await setup();
    // Retention is the only step that lists the folder.
    const list = store.list.bind(store);
    store.list = () => Promise.reject(new Error('ListObjectVersions: AccessDenied'));

    // Act
    const outcome = await runSnapshotJob(deps, { cluster: 'c1', prefix: 'snapshots', kind: 'scheduled', retention: DEFAULT_RETENTION_POLICY });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ severity: 'high', title: 'backup stored, retention failed', findings: [expect.objectContaining({ id: BACKUP_FINDING_IDS.retentionFailed })] });
    expect((await list('snapshots/c1/'))[0]).toMatchObject({ verified: true });
  });
});
