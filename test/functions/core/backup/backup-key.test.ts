import { buildBackupKey, clusterFolder, parseBackupKey } from '../../../../functions/core/backup/backup-key';

describe('buildBackupKey', () => {
  it('names the cluster and sorts by UTC time', () => {
    // Prepare
    const takenAt = new Date('2026-11-21T23:04:05.678Z');

    // Act
    const key = buildBackupKey({ prefix: 'snapshots/', cluster: 'prod-east', takenAt, raftIndex: 48213 });

    // Assess
    expect(key).toBe('snapshots/prod-east/2026/11/21/prod-east-20261121T230405.678Z-48213.snap');
  });

  it('sorts lexically in time order', () => {
    const keys = ['2026-01-02T00:00:00Z', '2025-12-31T23:59:59Z', '2026-01-01T09:00:00Z'].map((t) =>
      buildBackupKey({ prefix: 's', cluster: 'c1', takenAt: new Date(t), raftIndex: 1 }),
    );
    expect([...keys].sort()).toEqual([keys[1], keys[2], keys[0]]);
  });

  it.each(['Prod', 'prod_east', '-prod', 'prod/east', ''])('rejects the cluster name %j with the field named', (cluster) => {
    expect(() => buildBackupKey({ prefix: 's', cluster, takenAt: new Date(0), raftIndex: 1 })).toThrow(/^cluster: /);
  });
});

describe('parseBackupKey', () => {
  it('gives two backups of an unchanged cluster in the same second two keys', () => {
    const at = (ms: number) => buildBackupKey({ prefix: 's', cluster: 'c1', takenAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)), raftIndex: 7 });
    expect(at(1)).not.toBe(at(2));
  });

  it('still reads keys written without milliseconds', () => {
    expect(parseBackupKey('snapshots/prod/2026/11/21/prod-20261121T230405Z-12.snap')).toEqual({
      prefix: 'snapshots',
      cluster: 'prod',
      takenAt: new Date('2026-11-21T23:04:05Z'),
      raftIndex: 12,
    });
  });

  it('round-trips a key built by buildBackupKey', () => {
    // Prepare
    const parts = { prefix: 'backups/consul', cluster: 'dc1', takenAt: new Date('2024-02-29T12:00:00.042Z'), raftIndex: 7 };

    // Act
    const parsed = parseBackupKey(buildBackupKey(parts));

    // Assess
    expect(parsed).toEqual(parts);
  });

  it.each([
    'snapshots/prod/2026/11/21/other-20261121T230405Z-1.snap',
    'snapshots/prod/2026/11/21/prod-20261121T230405Z-1.snap.tmp',
    'reports/prod/x.json',
    'snapshots/prod/2026/11/21/prod-20261121T999999Z-1.snap',
  ])('ignores the foreign key %s', (key) => {
    expect(parseBackupKey(key)).toBeUndefined();
  });
});

describe('clusterFolder', () => {
  it('handles an empty prefix', () => {
    expect(clusterFolder('', 'c1')).toBe('c1/');
    expect(clusterFolder('/a/b/', 'c1')).toBe('a/b/c1/');
  });
});
