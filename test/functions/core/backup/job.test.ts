import { runSnapshotJob } from '../../../../functions/core/backup/job';
import { BACKUP_FINDING_IDS } from '../../../../functions/core/backup/backup-report';
import { DEFAULT_RETENTION_POLICY } from '../../../../functions/core/retention/retention-plan';
import { archiveOfState, InMemoryBackupStore, InMemoryConsul, InMemoryContentHolds } from '../../../helpers/in-memory-backups';
import { aclToken, kvs, stateBin, type RecordSpec } from '../../../helpers/state-bin';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const HOUR = 3_600_000;

/** A state.bin with `kvCount` keys under config/ (and 3 ACL tokens). */
function state(kvCount: number, index = 42): Buffer {
  const records: RecordSpec[] = [];
  for (let i = 0; i < 3; i++) records.push(aclToken(`0000000${i}-0000-0000-0000-000000000000`, `5ec2e7${i}`, `token ${i}`));
  for (let i = 0; i < kvCount; i++) records.push(kvs(`config/key-${String(i).padStart(4, '0')}`, `value ${i}`));
  return stateBin(index, records);
}

async function setup(kvCount = 50) {
  const consul = new InMemoryConsul();
  consul.snapshot = await archiveOfState(state(kvCount), 42);
  const store = new InMemoryBackupStore();
  const holds = new InMemoryContentHolds();
  let now = NOW;
  const clock = { advance: (hours: number) => (now = new Date(now.getTime() + hours * HOUR)) };
  return { consul, store, holds, clock, deps: { consul, store, holds, now: () => now } };
}

const INPUT = { cluster: 'c1', prefix: 'snapshots', kind: 'scheduled' as const, bucket: 'b' };

describe('runSnapshotJob', () => {
  it('stores a verified backup with its contents beside it, applies retention and reports both', async () => {
    // Prepare
    const { deps, store } = await setup();

    // Act
    const outcome = await runSnapshotJob(deps, { ...INPUT, retention: DEFAULT_RETENTION_POLICY });

    // Assess
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const { backup } = outcome.result;
    expect(backup).toMatchObject({ cluster: 'c1', consulIndex: 42, verified: true, contents: { summary: { kv: { entries: 50 }, acl: { tokens: 3 } } } });
    expect(outcome.result.prune).toMatchObject({ cluster: 'c1', kept: [expect.objectContaining({ key: backup.key })] });
    expect(outcome.report).toMatchObject({ feature: 'backup', severity: 'info', title: 'backup ok' });
    expect(outcome.report?.summary.join('\n')).toContain(`s3://b/${backup.key}`);
    expect(outcome.report?.summary.join('\n')).toContain('Contents: 50 KV entries');
    expect((await store.list('snapshots/c1/'))[0].verified).toBe(true);
    expect(await store.loadContents(backup.key, backup.versionId)).toMatchObject({ version: 1, key: backup.key, archiveSha256: backup.sha256, summary: { kv: { entries: 50 } } });
  });

  it('takes no retention step without a policy (a manual backup)', async () => {
    const { deps } = await setup();
    const outcome = await runSnapshotJob(deps, { ...INPUT, kind: 'manual' });
    expect(outcome.ok && outcome.result.prune).toBeUndefined();
    expect(outcome.report?.summary).toHaveLength(3);
  });

  it('fails with a critical report and stores nothing when the snapshot cannot be taken', async () => {
    // Prepare
    const { deps, consul, store } = await setup();
    consul.snapshot = undefined;

    // Act
    const outcome = await runSnapshotJob(deps, { ...INPUT, retention: DEFAULT_RETENTION_POLICY });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ severity: 'critical', outcome: 'failed', findings: [expect.objectContaining({ id: BACKUP_FINDING_IDS.backupFailed })] });
    expect(await store.list('snapshots/c1/')).toEqual([]);
  });

  it('keeps the stored backup and reports high when retention fails after it', async () => {
    // Prepare: the first list (the content check) works, the second (retention) fails
    const { deps, store } = await setup();
    const list = store.list.bind(store);
    let calls = 0;
    store.list = (folder) => (++calls === 2 ? Promise.reject(new Error('ListObjectVersions: AccessDenied')) : list(folder));

    // Act
    const outcome = await runSnapshotJob(deps, { ...INPUT, retention: DEFAULT_RETENTION_POLICY });

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toMatchObject({ severity: 'high', title: 'backup stored, retention failed', findings: [expect.objectContaining({ id: BACKUP_FINDING_IDS.retentionFailed })] });
    expect((await list('snapshots/c1/'))[0]).toMatchObject({ verified: true });
  });

  it('keeps a verified archive whose state.bin is malformed, says which record and that SHA256SUMS matched, and skips retention', async () => {
    // Prepare: a KVS record cut short (the file ends inside its value), in an archive whose checksums are right
    const { deps, consul, store } = await setup();
    const good = state(5);
    consul.snapshot = await archiveOfState(good.subarray(0, good.length - 3), 42);
    // A day-old backup the policy below would delete, were retention to run.
    store.put('snapshots/c1/2026/11/20/c1-20261120T120000.000Z-40.snap', Buffer.from('x'), {}, { raftIndex: 40 });

    // Act
    const outcome = await runSnapshotJob(deps, { ...INPUT, retention: { ...DEFAULT_RETENTION_POLICY, keepMin: 0, hourly: 1, daily: 0, weekly: 0, monthly: 0 } });

    // Assess
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toMatchObject({ code: 'BACKUP_CONTENTS_UNREADABLE' });
    const message = (outcome.error as Error).message;
    expect(message).toMatch(/is stored and verified, but its contents could not be decoded: state\.bin record 8 \(KVS\) is malformed at byte \d+: .*; the archive's SHA256SUMS matched/);
    expect(outcome.report).toMatchObject({ severity: 'high', title: 'backup stored, contents unreadable', findings: [expect.objectContaining({ id: BACKUP_FINDING_IDS.contentsUnreadable })] });
    const stored = (await store.list('snapshots/c1/')).filter((o) => o.key.endsWith('-42.snap'));
    expect(stored).toEqual([expect.objectContaining({ verified: true })]);
    expect(await store.loadContents(stored[0].key, stored[0].versionId)).toMatchObject({ unreadable: { code: 'STATE_BIN_MALFORMED' } });
    expect(store.removed).toEqual([]);
  });

  it('finds a content drop against the previous backup, holds the last good backup, and keeps reporting until the counts recover', async () => {
    // Prepare: an aggressive policy that alone would keep only the newest backup
    const { deps, consul, holds, clock } = await setup(50);
    const policy = { ...DEFAULT_RETENTION_POLICY, keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, keepMin: 1 };
    const good = await runSnapshotJob(deps, { ...INPUT, retention: policy });
    consul.snapshot = await archiveOfState(state(2, 43), 43);

    // Act: the drop, one more backup with the damage, then the keys are back
    clock.advance(1);
    const dropped = await runSnapshotJob(deps, { ...INPUT, retention: policy });
    clock.advance(1);
    const still = await runSnapshotJob(deps, { ...INPUT, retention: policy });
    consul.snapshot = await archiveOfState(state(50, 44), 44);
    clock.advance(1);
    const recovered = await runSnapshotJob(deps, { ...INPUT, retention: policy });

    // Assess
    if (!good.ok || !dropped.ok || !still.ok || !recovered.ok) throw new Error('a run failed');
    const goodKey = good.result.backup.key;
    expect(dropped.report?.findings).toEqual([
      expect.objectContaining({ id: 'content-drop:kv-entries', severity: 'high', message: 'KV entries 50 → 2 (−96 %) under `config/`', remedy: expect.stringContaining('consul-ops ack-drop --cluster c1') }),
    ]);
    expect(dropped.report?.title).toBe('backup ok, content drop (1 finding)');
    expect(dropped.result.contents?.hold).toMatchObject({ change: 'opened', held: { key: goodKey } });
    expect(dropped.result.prune?.kept.find((k) => k.key === goodKey)?.reasons.join()).toContain('content-drop hold');
    expect(still.result.contents).toMatchObject({ findings: [expect.objectContaining({ id: 'content-drop:kv-entries' })], hold: { change: 'kept' } });
    expect(still.result.prune?.deleted.map((d) => d.key)).toEqual([dropped.result.backup.key]);
    expect(recovered.result.contents).toMatchObject({ findings: [], hold: { change: 'released' } });
    expect(recovered.result.prune?.deleted.map((d) => d.key)).toEqual(expect.arrayContaining([goodKey]));
    expect(holds.holds.get('c1')).toMatchObject({ status: 'released', closedBy: expect.stringContaining('counts recovered') });
    expect(dropped.result.contents?.metrics).toEqual(expect.arrayContaining([{ name: 'KvEntries', value: 2, previous: 50 }, { name: 'AclTokens', value: 3, previous: 3 }]));
  });

  it('honours per-cluster thresholds', async () => {
    // Prepare
    const { deps, consul } = await setup(50);
    await runSnapshotJob(deps, INPUT);
    consul.snapshot = await archiveOfState(state(30, 43), 43);

    // Act: −40 % is under a 50 % threshold
    const outcome = await runSnapshotJob(deps, { ...INPUT, contentDrop: { kvEntriesDropPercent: 50 } });

    // Assess
    expect(outcome.ok && outcome.result.contents?.findings).toEqual([]);
  });
});
