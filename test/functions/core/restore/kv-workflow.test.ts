import { runRestoreKvJob } from '../../../../functions/core/restore/kv-job';
import { KV_NOT_RESTORED, runRestoreKv } from '../../../../functions/core/restore/kv-workflow';
import { archiveOfState, InMemoryBackupStore } from '../../../helpers/in-memory-backups';
import { InMemoryKv } from '../../../helpers/in-memory-kv';
import { kvs, stateBin } from '../../../helpers/state-bin';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const KEY = 'snapshots/c1/2026/11/21/c1-20261121T110000.000Z-42.snap';

async function setup(records = [kvs('config/payments/url', 'https://pay', { flags: 3 }), kvs('config/payments/timeout', '30s'), kvs('config/other', 'keep'), kvs('z', 'top')]) {
  const store = new InMemoryBackupStore();
  const archive = await archiveOfState(stateBin(42, records), 42);
  const versionId = store.put(KEY, archive, { cluster: 'c1', datacenter: 'dc1', consulVersion: '1.17.0', takenAt: '2026-11-21T11:00:00.000Z' }, { raftIndex: 42 });
  const kv = new InMemoryKv();
  return { store, kv, versionId, deps: { consul: kv, store, now: () => NOW } };
}

const INPUT = { cluster: 'c1', prefix: 'snapshots', selector: { latest: true } as const, kvPrefix: 'config/payments/' };

describe('runRestoreKv', () => {
  it('plans from the verified backup and writes nothing without confirmation', async () => {
    // Prepare
    const { deps, kv } = await setup();
    kv.set('config/payments/timeout', '10s');
    kv.set('config/payments/extra', 'new');

    // Act
    const result = await runRestoreKv(deps, { ...INPUT, dryRun: false });

    // Assess
    expect(result).toMatchObject({ applied: false, notApplied: expect.stringContaining('not confirmed'), counts: { create: 1, update: 1, delete: 0, skip: 0, extra: 1 } });
    expect(result.keys).toMatchObject({ create: ['config/payments/url'], update: [{ key: 'config/payments/timeout', changed: ['value'] }], extra: ['config/payments/extra'] });
    expect(result.notRestored).toBe(KV_NOT_RESTORED);
    expect(kv.txns).toEqual([]);
    expect(kv.entries.get('config/payments/timeout')?.value.toString()).toBe('10s');
  });

  it('restores the prefix with values and flags when confirmed, touching nothing outside it', async () => {
    // Prepare
    const { deps, kv } = await setup();
    kv.set('config/other', 'changed live');

    // Act
    const result = await runRestoreKv(deps, { ...INPUT, dryRun: false, confirm: 'c1' });

    // Assess
    expect(result.outcome).toMatchObject({ created: 2, updated: 0, conflicts: [] });
    expect(kv.entries.get('config/payments/url')).toMatchObject({ value: Buffer.from('https://pay'), flags: 3n });
    expect(kv.entries.get('config/other')?.value.toString()).toBe('changed live');
    expect(kv.entries.has('z')).toBe(false);
    expect(kv.txns.flat().every((op) => op.key.startsWith('config/payments/'))).toBe(true);
  });

  it('refuses an archive that fails verification before reading the live store', async () => {
    // Prepare
    const { deps, kv, store, versionId } = await setup();
    store.onOpen = (_k, _v, bytes) => Buffer.concat([bytes.subarray(0, bytes.length - 9), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0])]);
    const listKv = jest.spyOn(kv, 'listKv');

    // Act
    const attempt = runRestoreKv(deps, { ...INPUT, dryRun: false, confirm: 'c1' });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'RESTORE_BACKUP_INVALID', context: expect.objectContaining({ versionId }) });
    expect(listKv).not.toHaveBeenCalled();
  });

  it('refuses a backup of another datacenter unless allowed', async () => {
    const { deps, kv } = await setup();
    kv.identity = { datacenter: 'dc2', consulVersion: '1.17.0' };
    await expect(runRestoreKv(deps, INPUT)).rejects.toMatchObject({ code: 'RESTORE_DC_MISMATCH' });
    await expect(runRestoreKv(deps, { ...INPUT, allowCrossCluster: true })).resolves.toMatchObject({ applied: false });
  });

  it('refuses an empty prefix', async () => {
    const { deps } = await setup();
    await expect(runRestoreKv(deps, { ...INPUT, kvPrefix: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('runRestoreKvJob', () => {
  it('reports a plan with counts first, the backup and what is not restored, never a value', async () => {
    // Prepare
    const { deps } = await setup();

    // Act
    const outcome = await runRestoreKvJob(deps, { ...INPUT, invokedBy: 'alice' });

    // Assess
    expect(outcome.report).toMatchObject({ feature: 'restore', alwaysNotify: true, severity: 'info', title: 'restore-kv of config/payments/ not applied (dry run)' });
    const text = JSON.stringify(outcome.report);
    expect(outcome.report?.summary[0]).toBe('Plan for config/payments/: 2 to create, 0 to update, 0 to delete, 0 unchanged, 0 not in the backup (left alone).');
    expect(text).toContain(KV_NOT_RESTORED);
    expect(text).not.toContain('https://pay');
    expect(text).not.toContain('30s');
  });

  it('reports the keys left alone after a conflict as a medium finding', async () => {
    // Prepare
    const { deps, kv } = await setup();
    kv.beforeTxn = (_ops, n) => {
      if (n === 1) kv.set('config/payments/url', 'someone else');
    };

    // Act
    const outcome = await runRestoreKvJob(deps, { ...INPUT, dryRun: false, confirm: 'c1' });

    // Assess
    expect(outcome.ok).toBe(true);
    expect(outcome.report?.findings.map((f) => [f.id, f.severity])).toEqual([
      ['restore-kv-applied', 'medium'],
      ['restore-kv-conflicts', 'medium'],
    ]);
    expect(outcome.report?.findings[1].message).toContain('config/payments/url');
    expect(JSON.stringify(outcome.report)).not.toContain('someone else');
  });
});
