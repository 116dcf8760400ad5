import { diffSnapshotContents, type SnapshotContentsDiff } from '../../../../functions/core/snapshot-contents/content-diff';
import { AFTER, BEFORE, contentsOf } from '../../../helpers/snapshot-diff-scenario';
import { kvs } from '../../../helpers/state-bin';

describe('diffSnapshotContents', () => {
  const diff: SnapshotContentsDiff = diffSnapshotContents(contentsOf(BEFORE), contentsOf(AFTER));

  it('lists every summary count, before and after', () => {
    expect(diff.counts.find((c) => c.name === 'KV entries')).toEqual({ name: 'KV entries', before: 5, after: 5 });
    expect(diff.counts.find((c) => c.name === 'ACL tokens')).toEqual({ name: 'ACL tokens', before: 2, after: 2 });
    expect(diff.counts.find((c) => c.name === 'service-intentions entries')).toEqual({ name: 'service-intentions entries', before: 2, after: 2 });
    expect(diff.counts).toHaveLength(16);
  });

  it('lists record types only where their count changed', () => {
    expect(diff.recordTypes).toEqual([]);
    const grown = diffSnapshotContents(contentsOf(BEFORE), contentsOf([...AFTER, kvs('z', 'z')]));
    expect(grown.recordTypes).toEqual([{ name: 'KVS', before: 5, after: 6 }]);
  });

  it('finds KV keys added, removed and changed (value, flags, lock), in key order', () => {
    expect(diff.kv).toEqual({
      added: [{ key: 'config/d' }],
      removed: [{ key: 'app/x' }],
      changed: [
        { key: 'config/b', changed: ['value'] },
        { key: 'config/c', changed: ['flags'] },
        { key: 'config/lock', changed: ['lock'] },
      ],
    });
  });

  it('carries values only when both indexes kept them', () => {
    // Act
    const withValues = diffSnapshotContents(contentsOf(BEFORE, true), contentsOf(AFTER, true));

    // Assess
    expect(withValues.kv.changed[0]).toEqual({ key: 'config/b', changed: ['value'], before: Buffer.from('2'), after: Buffer.from('22') });
    expect(withValues.kv.removed).toEqual([{ key: 'app/x', value: Buffer.from('gone') }]);
  });

  it('names tokens by accessor and description: added, removed, and changed links', () => {
    expect(diff.tokens).toEqual({
      added: [{ accessorId: 'acc-3', description: 'new robot' }],
      removed: [{ accessorId: 'acc-2', description: 'old laptop' }],
      changed: [{ accessorId: 'acc-1', description: 'CI' }],
    });
    expect(JSON.stringify(diff)).not.toMatch(/5ec2e7/);
  });

  it('compares policies and roles by name and by what defines them', () => {
    expect(diff.policies).toEqual({ added: ['admin'], removed: ['write'], changed: ['read'] });
    expect(diff.roles).toEqual({ added: [], removed: [], changed: ['readers'] });
  });

  it('compares intentions by destination and source', () => {
    expect(diff.intentions.added).toEqual([
      { destination: 'cache', source: 'web', rule: 'allow' },
      { destination: 'db', source: 'batch', rule: 'allow' },
    ]);
    expect(diff.intentions.removed).toEqual([
      { destination: 'db', source: 'api', rule: expect.stringMatching(/^L7 /) },
      { destination: 'web', source: '*', rule: 'deny' },
    ]);
    expect(diff.intentions.changed).toEqual([{ destination: 'db', source: 'web', before: 'allow', after: 'deny' }]);
  });

  it('compares services by name', () => {
    expect(diff.services).toEqual({ added: ['cache'], removed: ['db'] });
  });

  it('finds nothing between a backup and itself', () => {
    // Act
    const same = diffSnapshotContents(contentsOf(BEFORE), contentsOf(BEFORE));

    // Assess
    expect(same.kv).toEqual({ added: [], removed: [], changed: [] });
    expect(same.tokens).toEqual({ added: [], removed: [], changed: [] });
    expect(same.policies).toEqual({ added: [], removed: [], changed: [] });
    expect(same.intentions).toEqual({ added: [], removed: [], changed: [] });
    expect(same.services).toEqual({ added: [], removed: [] });
    expect(same.counts.every((c) => c.before === c.after)).toBe(true);
  });
});
