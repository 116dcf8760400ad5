import { applyKvPlan } from '../../../../functions/core/restore/kv-apply';
import { planKvRestore } from '../../../../functions/core/restore/kv-plan';
import type { KvEntry } from '../../../../functions/core/snapshot-contents';
import { InMemoryKv } from '../../../helpers/in-memory-kv';

function entries(count: number, prefix = 'app/', valueBytes = 10): KvEntry[] {
  return Array.from({ length: count }, (_, i) => ({ key: `${prefix}${String(i).padStart(4, '0')}`, value: Buffer.alloc(valueBytes, 0x61 + (i % 26)), flags: BigInt(i), lockIndex: 0, session: '', createIndex: 1, modifyIndex: 2 }));
}

describe('applyKvPlan', () => {
  it('writes every key with its value and flags in transactions of at most 64 operations', async () => {
    // Prepare
    const kv = new InMemoryKv();
    const backup = entries(150);
    const plan = planKvRestore(backup, await kv.listKv('app/'), { prefix: 'app/' });

    // Act
    const result = await applyKvPlan(kv, plan);

    // Assess
    expect(result).toMatchObject({ created: 150, updated: 0, deleted: 0, conflicts: [], transactions: 3, singleWrites: 0 });
    expect(kv.txns.map((t) => t.length)).toEqual([64, 64, 22]);
    for (const e of backup) expect(kv.entries.get(e.key)).toMatchObject({ value: e.value, flags: e.flags });
  });

  it('keeps each transaction under the request size, and writes a value too large for any transaction on its own', async () => {
    // Prepare: 8 values of 100 KiB (≈ 133 KiB as base64) and one of 450 KiB (600 KiB as base64)
    const kv = new InMemoryKv();
    const big = { ...entries(1, 'big/')[0], value: Buffer.alloc(450 * 1024, 0x62) };
    const plan = planKvRestore([...entries(8, 'big/a', 100 * 1024), big], [], { prefix: 'big/' });

    // Act
    const result = await applyKvPlan(kv, plan, { maxRequestBytes: 512 * 1024 });

    // Assess
    expect(result.created).toBe(9);
    expect(kv.txns.map((t) => t.length)).toEqual([3, 3, 2]);
    expect(kv.singlePuts).toEqual([big.key]);
    expect(kv.entries.get(big.key)?.value.equals(big.value)).toBe(true);
  });

  it('reports a key changed after the plan was made as a conflict, leaves it alone, and applies the rest of its batch', async () => {
    // Prepare
    const kv = new InMemoryKv();
    kv.set('app/0001', 'old');
    kv.set('app/0002', 'old');
    const plan = planKvRestore(entries(5), await kv.listKv('app/'), { prefix: 'app/' });
    kv.beforeTxn = (_ops, n) => {
      if (n === 1) kv.set('app/0001', 'written by someone else');
    };

    // Act
    const result = await applyKvPlan(kv, plan);

    // Assess
    expect(result.conflicts).toEqual([{ key: 'app/0001', verb: 'cas', what: 'failed to set key "app/0001", index is stale' }]);
    expect(kv.entries.get('app/0001')?.value.toString()).toBe('written by someone else');
    expect(result).toMatchObject({ created: 3, updated: 1, transactions: 2 });
    expect(kv.txns[1].map((op) => op.key)).not.toContain('app/0001');
  });

  it('treats a key created meanwhile as a conflict too (create is check-and-set with index 0)', async () => {
    // Prepare
    const kv = new InMemoryKv();
    const plan = planKvRestore(entries(2), [], { prefix: 'app/' });
    kv.set('app/0000', 'created meanwhile');

    // Act
    const result = await applyKvPlan(kv, plan);

    // Assess
    expect(result.conflicts.map((c) => c.key)).toEqual(['app/0000']);
    expect(kv.entries.get('app/0000')?.value.toString()).toBe('created meanwhile');
    expect(result.created).toBe(1);
  });

  it('deletes with check-and-set, and a key rewritten meanwhile survives', async () => {
    // Prepare
    const kv = new InMemoryKv();
    kv.set('app/x', '1');
    kv.set('app/y', '2');
    const plan = planKvRestore([], await kv.listKv('app/'), { prefix: 'app/', deleteExtra: true });
    kv.set('app/y', '3');

    // Act
    const result = await applyKvPlan(kv, plan);

    // Assess
    expect(result.deleted).toBe(1);
    expect(result.conflicts).toEqual([{ key: 'app/y', verb: 'delete-cas', what: 'failed to delete key "app/y", index is stale' }]);
    expect([...kv.entries.keys()]).toEqual(['app/y']);
  });

  it('stops with the counts applied so far when Consul refuses for another reason', async () => {
    // Prepare
    const kv = new InMemoryKv();
    const plan = planKvRestore(entries(70), [], { prefix: 'app/' });
    kv.refuse = { key: 'app/0066', what: "Permission denied: token with AccessorID 'x' lacks permission 'key:write' on \"app/0066\"" };

    // Act
    const attempt = applyKvPlan(kv, plan);

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'RESTORE_KV_FAILED', context: expect.objectContaining({ key: 'app/0066', create: 64 }) });
    expect(kv.entries.size).toBe(64);
  });
});
