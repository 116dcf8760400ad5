import { kvPlanCounts, planKvRestore } from '../../../../functions/core/restore/kv-plan';
import type { LiveKvEntry } from '../../../../functions/core/restore/ports';
import type { KvEntry } from '../../../../functions/core/snapshot-contents';

function backupEntry(key: string, value: string, flags = 0n, session = ''): KvEntry {
  return { key, value: Buffer.from(value), flags, lockIndex: session ? 1 : 0, session, createIndex: 5, modifyIndex: 6 };
}

function liveEntry(key: string, value: string, modifyIndex: number, flags = 0n, session = ''): LiveKvEntry {
  return { key, value: Buffer.from(value), flags, modifyIndex, session };
}

describe('planKvRestore', () => {
  it('creates missing keys, updates changed ones with CAS on the live index, skips equal ones, leaves extra keys alone', () => {
    // Prepare
    const backup = [backupEntry('config/a', '1'), backupEntry('config/b', '2'), backupEntry('config/c', '3', 7n), backupEntry('config/d', '4')];
    const live = [liveEntry('config/b', 'two', 40), liveEntry('config/c', '3', 41, 8n), liveEntry('config/d', '4', 42), liveEntry('config/z', 'new', 43)];

    // Act
    const plan = planKvRestore(backup, live, { prefix: 'config/' });

    // Assess
    expect(plan.create).toEqual([{ key: 'config/a', value: Buffer.from('1'), flags: 0n, casIndex: 0 }]);
    expect(plan.update).toEqual([
      { key: 'config/b', value: Buffer.from('2'), flags: 0n, casIndex: 40, changed: ['value'] },
      { key: 'config/c', value: Buffer.from('3'), flags: 7n, casIndex: 41, changed: ['flags'] },
    ]);
    expect(plan.skip).toEqual(['config/d']);
    expect(plan.extra).toEqual(['config/z']);
    expect(plan.delete).toEqual([]);
    expect(kvPlanCounts(plan)).toEqual({ create: 1, update: 2, delete: 0, skip: 1, extra: 1, unaddressable: 0 });
  });

  it('deletes the live keys the backup lacks only with deleteExtra, with CAS on their index', () => {
    // Prepare
    const live = [liveEntry('config/z', 'x', 43), liveEntry('config/y', 'y', 44)];

    // Act
    const plan = planKvRestore([backupEntry('config/a', '1')], live, { prefix: 'config/', deleteExtra: true });

    // Assess
    expect(plan.delete).toEqual([{ key: 'config/y', casIndex: 44 }, { key: 'config/z', casIndex: 43 }]);
    expect(plan.extra).toEqual([]);
  });

  it('counts locks it does not restore and names live locked keys it would change', () => {
    // Prepare
    const backup = [backupEntry('locks/leader', 'node-1', 0n, 'session-1'), backupEntry('locks/other', 'b')];
    const live = [liveEntry('locks/other', 'a', 50, 0n, 'session-2')];

    // Act
    const plan = planKvRestore(backup, live, { prefix: 'locks/' });

    // Assess
    expect(plan.lockedInBackup).toBe(1);
    expect(plan.lockedLive).toEqual(['locks/other']);
  });

  it('keeps keys that are not UTF-8 apart (the HTTP API cannot address them)', () => {
    // Prepare: the decoder turns an invalid byte into a lone surrogate
    const backup = [backupEntry('bin/\udcff', 'x'), backupEntry('bin/ok', 'y')];

    // Act
    const plan = planKvRestore(backup, [], { prefix: 'bin/' });

    // Assess
    expect(plan.unaddressable).toEqual(['bin/\udcff']);
    expect(plan.create.map((w) => w.key)).toEqual(['bin/ok']);
  });

  it('refuses any key outside the prefix, from either side', () => {
    expect(() => planKvRestore([backupEntry('other/a', '1')], [], { prefix: 'config/' })).toThrow(expect.objectContaining({ code: 'RESTORE_KV_OUTSIDE_PREFIX' }));
    expect(() => planKvRestore([], [liveEntry('configX', '1', 3)], { prefix: 'config/' })).toThrow(expect.objectContaining({ code: 'RESTORE_KV_OUTSIDE_PREFIX' }));
  });

  it('orders keys by their UTF-8 bytes, as Consul does', () => {
    // Prepare: in UTF-16 code units U+1F680 (a surrogate pair, 0xD83D…) sorts before U+FF61; in UTF-8 bytes after it
    const keys = ['k/\u{1F680}', 'k/\uFF61', 'k/a'];

    // Act
    const plan = planKvRestore(keys.map((k) => backupEntry(k, 'v')), [], { prefix: 'k/' });

    // Assess
    expect(plan.create.map((w) => w.key)).toEqual(['k/a', 'k/\uFF61', 'k/\u{1F680}']);
  });
});
