import { diffSnapshotContents } from '../../../../functions/core/snapshot-contents/content-diff';
import { formatSnapshotDiff, snapshotDiffToJson } from '../../../../functions/core/snapshot-contents/content-diff-format';
import { AFTER, BEFORE, contentsOf, SECRETS } from '../../../helpers/snapshot-diff-scenario';
import { kvs } from '../../../helpers/state-bin';

describe('formatSnapshotDiff', () => {
  const plain = diffSnapshotContents(contentsOf(BEFORE), contentsOf(AFTER));
  const valued = diffSnapshotContents(contentsOf(BEFORE, true), contentsOf(AFTER, true));

  it('prints counts first, then each section with its totals and items', () => {
    // Act
    const text = formatSnapshotDiff(plain);
    const lines = text.split('\n');

    // Assess
    expect(lines[0]).toMatch(/^Counts\s+before\s+after\s+change$/);
    expect(lines[1]).toMatch(/^ {2}KV entries\s+5\s+5$/);
    expect(text).toMatch(/^ {2}Services +2 +2$/m);
    expect(text).toContain('KV keys: 1 added, 1 removed, 3 changed\n  + config/d\n  - app/x\n  ~ config/b (value)\n  ~ config/c (flags)\n  ~ config/lock (lock)');
    expect(text).toContain('ACL tokens: 1 added, 1 removed, 1 changed\n  + acc-3 "new robot"\n  - acc-2 "old laptop"\n  ~ acc-1 "CI"');
    expect(text).toContain('ACL policies: 1 added, 1 removed, 1 changed\n  + admin\n  - write\n  ~ read');
    expect(text).toContain('Intentions: 2 added, 2 removed, 1 changed');
    expect(text).toContain('  ~ web -> db: allow → deny');
    expect(text).toContain('Services: 1 added, 1 removed\n  + cache\n  - db');
    expect(text.indexOf('Counts')).toBeLessThan(text.indexOf('KV keys'));
  });

  it('never prints values unless showValues, and says how to see them', () => {
    // Act
    const hidden = formatSnapshotDiff(valued);
    const shown = formatSnapshotDiff(valued, { showValues: true });

    // Assess
    expect(hidden).not.toContain('"22"');
    expect(hidden).not.toContain('gone');
    expect(hidden).toContain('values are not shown; pass --show-values');
    expect(shown).toContain('~ config/b (value): "2" → "22"');
    expect(shown).toContain('- app/x = "gone"');
  });

  it('shows values only if they were collected, even with showValues', () => {
    expect(formatSnapshotDiff(plain, { showValues: true })).not.toContain('"22"');
  });

  it('cuts each kind of change with maxListed, so additions never hide removals', () => {
    expect(formatSnapshotDiff(plain, { maxListed: 1 })).toMatch(/KV keys: 1 added, 1 removed, 3 changed\n {2}\+ config\/d\n {2}- \S+\n {2}~ \S+ \([a-z, ]+\)\n {2}… and 2 more changed\n/);
  });
});

describe('snapshotDiffToJson', () => {
  const valued = diffSnapshotContents(contentsOf(BEFORE, true), contentsOf(AFTER, true));

  it('is plain data with deltas, and no values by default', () => {
    // Act
    const json = snapshotDiffToJson(valued) as { counts: { name: string; delta: number }[]; kv: { changed: unknown[]; removed: unknown[] } };

    // Assess
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.counts.find((c) => c.name === 'Services')?.delta).toBe(0);
    expect(json.kv.changed[0]).toEqual({ key: 'config/b', changed: ['value'] });
    expect(json.kv.removed).toEqual([{ key: 'app/x' }]);
  });

  it('adds values as utf8 or base64 with showValues', () => {
    // Prepare
    const binary = diffSnapshotContents(contentsOf([kvs('bin', Buffer.from([0xff, 0x00]))], true), contentsOf([kvs('bin', Buffer.from([0xfe]))], true));

    // Act
    const text = snapshotDiffToJson(valued, { showValues: true }) as { kv: { changed: unknown[]; removed: unknown[] } };
    const bytes = snapshotDiffToJson(binary, { showValues: true }) as { kv: { changed: unknown[] } };

    // Assess
    expect(text.kv.changed[0]).toEqual({ key: 'config/b', changed: ['value'], before: { utf8: '2' }, after: { utf8: '22' } });
    expect(text.kv.removed).toEqual([{ key: 'app/x', value: { utf8: 'gone' } }]);
    expect(bytes.kv.changed[0]).toEqual({ key: 'bin', changed: ['value'], before: { base64: '/wA=' }, after: { base64: '/g==' } });
    expect(formatSnapshotDiff(binary, { showValues: true })).toContain('~ bin (value): base64:/wA= → base64:/g==');
  });

  it('never contains a token secret, in either form', () => {
    // Act
    const all = JSON.stringify(snapshotDiffToJson(valued, { showValues: true })) + formatSnapshotDiff(valued, { showValues: true });

    // Assess
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });
});
