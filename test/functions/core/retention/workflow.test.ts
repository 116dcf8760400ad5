import type { BackupStore, IncompleteUpload, StoredBackup } from '../../../../functions/core/backup/ports';
import { buildBackupKey } from '../../../../functions/core/backup/backup-key';
import { runPrune } from '../../../../functions/core/retention/workflow';
import { NO_HOLDS } from '../../../helpers/in-memory-backups';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-21T12:10:00Z');

function object(hoursAgo: number, verified: boolean, cluster = 'c1'): StoredBackup {
  const takenAt = new Date(NOW.getTime() - hoursAgo * HOUR);
  return { key: buildBackupKey({ prefix: 'snapshots', cluster, takenAt, raftIndex: 1000 - hoursAgo }), versionId: `v${hoursAgo}`, sizeBytes: 1, lastModified: takenAt, verified };
}

/** An in-memory store that records what prune asked it to do. */
function memoryStore(objects: StoredBackup[], uploads: IncompleteUpload[]) {
  const removed: string[] = [];
  const aborted: string[] = [];
  const store: Pick<BackupStore, 'list' | 'listIncompleteUploads' | 'abortIncompleteUpload' | 'remove'> = {
    list: async () => objects,
    listIncompleteUploads: async () => uploads,
    abortIncompleteUpload: async (u) => void aborted.push(u.uploadId),
    remove: async (items) => void removed.push(...items.map((i) => i.key)),
  };
  return { store: store as BackupStore, removed, aborted };
}

const policy = { keepLast: 0, hourly: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0, keepMin: 1, scheduleIntervalMs: HOUR };

describe('runPrune', () => {
  it('removes old backups, unverified leftovers older than a day and stale uploads, and nothing else', async () => {
    // Prepare
    const objects = [object(0, true), object(1, true), object(2, true), object(30, false), object(3, false), object(1, true, 'c10')];
    const uploads = [
      { key: 'snapshots/c1/x.snap', uploadId: 'old', initiated: new Date(NOW.getTime() - 25 * HOUR) },
      { key: 'snapshots/c1/y.snap', uploadId: 'running', initiated: new Date(NOW.getTime() - 1 * HOUR) },
    ];
    const { store, removed, aborted } = memoryStore(objects, uploads);

    // Act
    const result = await runPrune({ store, holds: NO_HOLDS, now: () => NOW }, { cluster: 'c1', prefix: 'snapshots', policy });

    // Assess
    expect(result.deleted.map((d) => d.key)).toEqual([objects[2].key]);
    expect(result.kept.map((k) => k.key)).toEqual([objects[0].key, objects[1].key]);
    expect(removed.sort()).toEqual([objects[2].key, objects[3].key].sort());
    expect(aborted).toEqual(['old']);
    expect(removed).not.toContain(objects[5].key); // another cluster's backup under a similar prefix is never touched
  });

  it('changes nothing on a dry run but reports the same plan', async () => {
    // Prepare
    const objects = [object(0, true), object(1, true), object(2, true), object(30, false)];
    const { store, removed, aborted } = memoryStore(objects, [{ key: 'k', uploadId: 'old', initiated: new Date(0) }]);

    // Act
    const result = await runPrune({ store, holds: NO_HOLDS, now: () => NOW }, { cluster: 'c1', prefix: 'snapshots', policy, dryRun: true });

    // Assess
    expect(result.dryRun).toBe(true);
    expect(result.deleted).toHaveLength(1);
    expect(result.leftovers).toHaveLength(2);
    expect(removed).toEqual([]);
    expect(aborted).toEqual([]);
  });

  it('keeps a held backup whatever the plan and the guards say, with the hold as its reason', async () => {
    // Prepare: the 5-hour-old backup is the last one before a content drop
    const objects = [object(0, true), object(1, true), object(2, true), object(5, true), object(6, true)];
    const { store, removed } = memoryStore(objects, []);
    const reason = 'content-drop hold: the last backup before KV entries 10 → 1 (−90 %)';
    const holds = { listHolds: async () => [{ key: objects[3].key, versionId: objects[3].versionId, reason }, { key: 'snapshots/c1/gone.snap', versionId: 'v0', reason }] };

    // Act
    const result = await runPrune({ store, holds, now: () => NOW }, { cluster: 'c1', prefix: 'snapshots', policy });

    // Assess
    expect(removed.sort()).toEqual([objects[2].key, objects[4].key].sort());
    expect(result.kept.find((k) => k.key === objects[3].key)?.reasons).toEqual([reason]);
  });
});
