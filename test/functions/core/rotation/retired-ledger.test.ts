import { LEDGER_MEMORY_MS, nextRetiredLedger, planRetiredDeletion, retiredLedgerOf, SWEEP_WINDOW_MS, type LedgerEntry } from '../../../../functions/core/rotation/retired-ledger';
import { MAX_RETIRED_ENTRIES, type RotationSecretValue } from '../../../../functions/core/rotation/secret-value';

const HOUR = 3_600_000;
const GRACE = 24 * HOUR;
const NOW = new Date('2026-05-01T10:00:00.000Z');
const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const BASE: RotationSecretValue = { accessorId: id(100), secretId: id(101), cluster: 'demo' };

describe('retiredLedgerOf', () => {
  it.each<{ name: string; value: RotationSecretValue; last?: Date; ledger: LedgerEntry[] }>([
    { name: 'a value never rotated', value: BASE, ledger: [] },
    {
      name: 'a value from before the ledger (previousAccessorId only)',
      value: { ...BASE, previousAccessorId: id(1), previousRotatedAt: NOW.toISOString() },
      ledger: [{ accessorId: id(1), deleteAfter: at(24) }],
    },
    {
      name: 'a ledger, as stored',
      value: { ...BASE, previousAccessorId: id(2), previousRotatedAt: at(2).toISOString(), retired: [{ accessorId: id(1), deleteAfter: at(20).toISOString() }, { accessorId: id(2), deleteAfter: at(26).toISOString() }] },
      ledger: [{ accessorId: id(1), deleteAfter: at(20) }, { accessorId: id(2), deleteAfter: at(26) }],
    },
    {
      name: 'a rotation that finished late: its replaced token keeps a whole grace period after the finish, older entries do not',
      value: { ...BASE, previousAccessorId: id(2), previousRotatedAt: NOW.toISOString(), retired: [{ accessorId: id(1), deleteAfter: at(10).toISOString() }, { accessorId: id(2), deleteAfter: at(24).toISOString() }] },
      last: at(5),
      ledger: [{ accessorId: id(1), deleteAfter: at(10) }, { accessorId: id(2), deleteAfter: at(29) }],
    },
  ])('reads $name', ({ value, last, ledger }) => {
    expect(retiredLedgerOf(value, last, GRACE)).toEqual(ledger);
  });
});

describe('planRetiredDeletion', () => {
  const ledger: LedgerEntry[] = [
    { accessorId: id(1), deleteAfter: new Date(NOW.getTime() - SWEEP_WINDOW_MS - HOUR) },
    { accessorId: id(2), deleteAfter: at(-1) },
    { accessorId: id(3), deleteAfter: NOW },
    { accessorId: id(4), deleteAfter: at(5) },
    { accessorId: id(5), deleteAfter: at(1) },
  ];

  it('deletes every entry whose grace period is over, never one still in it', () => {
    const plan = planRetiredDeletion(ledger, NOW);
    expect(plan.due.map((e) => e.accessorId)).toEqual([id(1), id(2), id(3)]);
    expect(plan.waiting.map((e) => e.accessorId)).toEqual([id(5), id(4)]);
  });

  it('leaves entries due for longer than the window to the next rotation', () => {
    expect(planRetiredDeletion(ledger, NOW, SWEEP_WINDOW_MS).due.map((e) => e.accessorId)).toEqual([id(2), id(3)]);
  });
});

describe('nextRetiredLedger', () => {
  const replaced: LedgerEntry = { accessorId: id(999), deleteAfter: at(24) };

  it('carries every entry over and adds the replaced token, oldest first', () => {
    const ledger = [{ accessorId: id(2), deleteAfter: at(20) }, { accessorId: id(1), deleteAfter: at(3) }];
    expect(nextRetiredLedger(ledger, new Set(), replaced, NOW)).toEqual([
      { accessorId: id(1), deleteAfter: at(3).toISOString() },
      { accessorId: id(2), deleteAfter: at(20).toISOString() },
      { accessorId: id(999), deleteAfter: at(24).toISOString() },
    ]);
  });

  it('remembers a deleted token for the ledger memory, then forgets it', () => {
    const recent = { accessorId: id(1), deleteAfter: new Date(NOW.getTime() - LEDGER_MEMORY_MS) };
    const old = { accessorId: id(2), deleteAfter: new Date(NOW.getTime() - LEDGER_MEMORY_MS - 1) };
    const live = { accessorId: id(3), deleteAfter: new Date(NOW.getTime() - LEDGER_MEMORY_MS - 1) };
    const next = nextRetiredLedger([recent, old, live], new Set([id(1), id(2)]), replaced, NOW);
    expect(next?.map((e) => e.accessorId)).toEqual([id(3), id(1), id(999)]);
  });

  it('drops the oldest deleted tokens first when the ledger is full, and refuses only when live tokens alone fill it', () => {
    // Prepare
    const full = Array.from({ length: MAX_RETIRED_ENTRIES }, (_, i) => ({ accessorId: id(i + 1), deleteAfter: at(-MAX_RETIRED_ENTRIES + i) }));

    // Act
    const trimmed = nextRetiredLedger(full, new Set([id(1), id(2), id(5)]), replaced, NOW);
    const refused = nextRetiredLedger(full, new Set(), replaced, NOW);

    // Assess
    expect(trimmed).toHaveLength(MAX_RETIRED_ENTRIES);
    expect(trimmed?.map((e) => e.accessorId)).not.toContain(id(1));
    expect(trimmed?.map((e) => e.accessorId)).toContain(id(2));
    expect(refused).toBeUndefined();
  });
});
