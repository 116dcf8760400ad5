import type { BackupStore, StoredBackup } from '../../../../functions/core/backup/ports';
import { buildBackupKey } from '../../../../functions/core/backup/backup-key';
import { runPruneJob } from '../../../../functions/core/retention/job';
import { RETENTION_FINDING_IDS } from '../../../../functions/core/retention/retention-report';
import { NO_HOLDS } from '../../../helpers/in-memory-backups';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-21T12:10:00Z');
const policy = { keepLast: 0, hourly: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0, keepMin: 1, scheduleIntervalMs: HOUR };

function backup(hoursAgo: number): StoredBackup {
  const takenAt = new Date(NOW.getTime() - hoursAgo * HOUR);
  return { key: buildBackupKey({ prefix: 'snapshots', cluster: 'c1', takenAt, raftIndex: 100 - hoursAgo }), versionId: `v${hoursAgo}`, sizeBytes: 1, lastModified: takenAt, verified: true };
}

function store(objects: StoredBackup[], fail?: Error): BackupStore {
  return {
    list: () => (fail ? Promise.reject(fail) : Promise.resolve(objects)),
    listIncompleteUploads: () => Promise.resolve([]),
    abortIncompleteUpload: () => Promise.resolve(),
    remove: () => Promise.resolve(),
  } as unknown as BackupStore;
}

describe('runPruneJob', () => {
  it.each([
    ['a prune', [backup(0), backup(1)], undefined, false, { severity: 'info', title: 'retention ok', findings: [] }],
    ['a dry run', [backup(0), backup(1)], undefined, true, { severity: 'info', title: 'retention dry run' }],
    ['a prune held back by the stop guard', [backup(5), backup(6)], undefined, false, { severity: 'medium', title: 'retention paused', findings: [expect.objectContaining({ id: RETENTION_FINDING_IDS.guard })] }],
    ['a failed prune', [], new Error('AccessDenied'), false, { severity: 'high', title: 'retention failed', outcome: 'failed', findings: [expect.objectContaining({ id: RETENTION_FINDING_IDS.failed })] }],
  ])('reports %s', async (_name, objects, fail, dryRun, expected) => {
    // Act
    const outcome = await runPruneJob({ store: store(objects, fail), holds: NO_HOLDS, now: () => NOW }, { cluster: 'c1', prefix: 'snapshots', policy, dryRun });

    // Assess
    expect(outcome.ok).toBe(fail === undefined);
    expect(outcome.report).toMatchObject({ feature: 'retention', cluster: 'c1', ...expected });
  });

  it('describes the plan in one line', async () => {
    const outcome = await runPruneJob({ store: store([backup(0), backup(1), backup(2)]), holds: NO_HOLDS, now: () => NOW }, { cluster: 'c1', prefix: 'snapshots', policy, dryRun: true });
    expect(outcome.report?.summary).toEqual([expect.stringMatching(/^Retention \(.+\), dry run: kept 1, would delete 2\.$/)]);
  });
});
