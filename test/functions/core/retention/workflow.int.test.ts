import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { S3BackupStore } from '../../../../functions/adapters/s3-backup-store';
import type { ClusterIdentity, SnapshotSource } from '../../../../functions/core/backup/ports';
import { backupFolder, runBackup } from '../../../../functions/core/backup/workflow';
import { runPrune } from '../../../../functions/core/retention/workflow';
import { S3ContentHoldStore } from '../../../../functions/adapters/s3-content-hold-store';
import { acknowledgeContentHold, decideContentHold } from '../../../../functions/core/backup/content-hold';
import { writeSnapshotArchive } from '../../../../local/consul-simulator/archive-writer';
import { NO_HOLDS } from '../../../helpers/in-memory-backups';
import { createTestBucket } from '../../../helpers/s3';
import { kvs, stateBin } from '../../../helpers/state-bin';

const HOUR = 3_600_000;

/** A Consul stand-in serving small real archives, so many backups can be stored quickly. */
function fakeConsul(): SnapshotSource {
  let index = 100;
  return {
    describeCluster: async (): Promise<ClusterIdentity> => ({ datacenter: 'dc1', consulVersion: '1.17.0' }),
    openSnapshot: async () => {
      index += 1;
      const meta = { Version: 1, ID: `2-${index}-0`, Index: index, Term: 2, Peers: '', Configuration: { Servers: [] }, ConfigurationIndex: 1 };
      return { body: writeSnapshotArchive({ meta, state: stateBin(index, [kvs(`app/${index}`, 'v')]) }), index };
    },
  };
}

describe('runPrune against radosgw', () => {
  let store: S3BackupStore;
  let bucket: string;
  let s3: Awaited<ReturnType<typeof createTestBucket>>['s3'];
  const consul = fakeConsul();
  const start = Date.parse('2026-11-01T00:30:00Z');

  async function seed(cluster: string, hours: number): Promise<string[]> {
    const keys: string[] = [];
    for (let h = 0; h < hours; h += 1) {
      const at = new Date(start + h * HOUR);
      keys.push((await runBackup({ consul, store, now: () => at }, { cluster, prefix: 'snapshots', kind: 'scheduled' })).key);
    }
    return keys;
  }

  beforeAll(async () => {
    ({ bucket, s3 } = await createTestBucket({ versioning: true }));
    store = new S3BackupStore({ client: s3, bucket });
  });

  it('keeps the GFS set, deletes the rest as recoverable delete markers, and a dry run deletes nothing', async () => {
    // Prepare: 30 hourly backups (2026-11-01 00:30 … 2026-11-02 05:30)
    const keys = await seed('gfs', 30);
    const policy = { keepLast: 0, hourly: 4, daily: 2, weekly: 0, monthly: 0, yearly: 0, keepMin: 2, scheduleIntervalMs: HOUR };
    const now = () => new Date(start + 30 * HOUR);

    // Act
    const dry = await runPrune({ store, holds: NO_HOLDS, now }, { cluster: 'gfs', prefix: 'snapshots', policy, dryRun: true });
    const afterDry = await store.list(backupFolder('snapshots', 'gfs'));
    const real = await runPrune({ store, holds: NO_HOLDS, now }, { cluster: 'gfs', prefix: 'snapshots', policy });

    // Assess: the 4 newest hours, plus the newest of 11-01 (23:30); the 11-02 daily is the newest backup already.
    const expectedKept = [keys[29], keys[28], keys[27], keys[26], keys[23]];
    expect(afterDry).toHaveLength(30);
    expect(dry.deleted.map((d) => d.key).sort()).toEqual(keys.filter((k) => !expectedKept.includes(k)).sort());
    expect(real.kept.map((k) => k.key)).toEqual(expectedKept);
    expect(real.kept[0].reasons).toEqual(expect.arrayContaining(['hourly snapshot', 'daily snapshot']));
    const remaining = await store.list(backupFolder('snapshots', 'gfs'));
    expect(remaining.map((o) => o.key).sort()).toEqual([...expectedKept].sort());
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: backupFolder('snapshots', 'gfs') }));
    // Deleted backups (and their contents objects) stay recoverable until lifecycle expiry.
    const snaps = (list: { Key?: string }[] | undefined) => (list ?? []).filter((v) => v.Key?.endsWith('.snap'));
    expect(snaps(versions.DeleteMarkers)).toHaveLength(25);
    expect(snaps(versions.Versions)).toHaveLength(30);
    expect((versions.DeleteMarkers ?? []).filter((v) => v.Key?.endsWith('.snap.contents.json'))).toHaveLength(25);
  }, 120_000);

  it('deletes nothing while the newest backup is older than twice the schedule', async () => {
    // Prepare
    await seed('stale', 6);
    const aggressive = { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, keepMin: 1, scheduleIntervalMs: HOUR };

    // Act: a day after the last backup, backups have clearly stopped
    const result = await runPrune({ store, holds: NO_HOLDS, now: () => new Date(start + 30 * HOUR) }, { cluster: 'stale', prefix: 'snapshots', policy: aggressive });

    // Assess
    expect(result.guard?.kind).toBe('stale-newest');
    expect(result.deleted).toEqual([]);
    expect(await store.list(backupFolder('snapshots', 'stale'))).toHaveLength(6);
  }, 60_000);

  it('never deletes the backup under an open content-drop hold, and lets it go once the hold is acknowledged', async () => {
    // Prepare: 10 hourly backups; a hold on the third one, stored as the job stores it
    const keys = await seed('held', 10);
    const holds = new S3ContentHoldStore({ client: s3, bucket });
    const listed = await store.list(backupFolder('snapshots', 'held'));
    const held = listed.find((o) => o.key === keys[2])!;
    const summaryOf = async (key: string, versionId: string) => (await store.loadContents(key, versionId))!.summary!;
    const drop = { ...(await summaryOf(held.key, held.versionId)), kv: { ...(await summaryOf(held.key, held.versionId)).kv, entries: 0, topPrefixes: [] } };
    const opened = decideContentHold({
      cluster: 'held',
      hold: undefined,
      previous: { ref: { key: held.key, versionId: held.versionId, takenAt: '2026-11-01T02:30:00.000Z' }, summary: await summaryOf(held.key, held.versionId) },
      current: { ref: { key: keys[3], versionId: 'x', takenAt: '2026-11-01T03:30:00.000Z' }, summary: drop },
      now: new Date(start + 4 * HOUR),
    });
    await holds.save(opened.hold!);
    const aggressive = { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, keepMin: 1, scheduleIntervalMs: HOUR };
    const now = () => new Date(start + 10 * HOUR);

    // Act
    const first = await runPrune({ store, holds, now }, { cluster: 'held', prefix: 'snapshots', policy: aggressive });
    await holds.save(acknowledgeContentHold((await holds.load('held'))!, 'alice', now()));
    const second = await runPrune({ store, holds, now }, { cluster: 'held', prefix: 'snapshots', policy: aggressive });

    // Assess
    expect(first.kept.map((k) => k.key).sort()).toEqual([keys[9], keys[2]].sort());
    expect(first.kept.find((k) => k.key === keys[2])?.reasons[0]).toMatch(/^content-drop hold: the last backup before KV entries 1 → 0 \(−100 %\)/);
    expect(second.deleted.map((d) => d.key)).toEqual([keys[2]]);
    expect((await store.list(backupFolder('snapshots', 'held'))).map((o) => o.key)).toEqual([keys[9]]);
  }, 120_000);
});
