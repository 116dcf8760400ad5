import { InvalidInputError } from '../../../../functions/core/shared/errors';
import { stateBin, stateRecord, kvs, tombstone, decodeWhole, decodeChunks, chunksOf, stateHeader } from '../../../helpers/state-bin';

/** The `-kvdetails` rows (name → count) for `keys` at `depth`/`filter`. */
function rows(keys: readonly (string | Buffer)[], depth?: number, filter?: string): Record<string, number> {
  const result = decodeWhole(stateBin(1, keys.map((k) => kvs(k, 'v'))), { kvDetails: { depth, filter } });
  return Object.fromEntries((result.kvStats ?? []).map((s) => [s.name, s.count]));
}

describe('KV details (inspect -kvdetails, -kvdepth, -kvfilter)', () => {
  it.each([
    ['depth 2 (default) cuts after the second part', ['a/b/c', 'a/b/d', 'a/x'], undefined, { 'a/b': 2, 'a/x': 1 }],
    ['a key shorter than the depth is its own prefix', ['a', 'a/b'], 3, { a: 1, 'a/b': 1 }],
    ['a trailing slash makes an empty last part', ['a/b/'], 2, { 'a/b': 1 }],
    ['a trailing slash at depth 3 keeps it', ['a/b/'], 3, { 'a/b/': 1 }],
    ['a leading slash makes an empty first part', ['/a/b', '/'], 2, { '/a': 1, '/': 1 }],
    ['depth 0 puts every key under the empty prefix', ['a/b', 'c'], 0, { '': 2 }],
    ['depth 1 is the first part', ['a/b', 'a', 'b/c'], 1, { a: 2, b: 1 }],
    ['the empty key', [''], 2, { '': 1 }],
    ['multi-byte characters are never split', ['ñ/日本/x'], 2, { 'ñ/日本': 1 }],
  ] as const)('%s', (_name, keys, depth, expected) => {
    expect(rows(keys, depth)).toEqual(expected);
  });

  it.each([
    ['a plain byte prefix, not path-aware', ['vault/core/a', 'vault/coreX/b', 'vault/logical'], 'vault/core', { 'vault/core': 1, 'vault/coreX': 1 }],
    ['depth counts from the key start, not from the filter', ['app/config/db/url'], 'app/config/', { 'app/config': 1 }],
    ['a filter that matches nothing gives no table', ['a/b'], 'zzz', {}],
  ] as const)('filter: %s', (_name, keys, filter, expected) => {
    expect(rows(keys, 2, filter)).toEqual(expected);
  });

  it('counts KVS records only: tombstones and other types are not KV rows', () => {
    // Prepare
    const bin = stateBin(1, [kvs('a/b', 'v'), tombstone('a/c'), { type: 3, value: { ID: 's', Node: 'n' } }]);

    // Act
    const result = decodeWhole(bin, { kvDetails: {} });

    // Assess
    expect(result.kvStats).toEqual([{ name: 'a/b', sum: stateHeader(1).length + stateRecord(2, kvs('a/b', 'v').value).length, count: 1 }]);
    expect(result.totalSizeKv).toBe(result.kvStats?.[0].sum);
  });

  it('adds the same size as the type table, header included when a KVS record comes first', () => {
    // Prepare
    const bin = stateBin(1, [kvs('x/1', 'aa'), kvs('x/2', 'bbbb'), kvs('y', '')]);

    // Act
    const result = decodeChunks(chunksOf(bin, 5), { kvDetails: { depth: 1 } });

    // Assess
    expect(result.totalSizeKv).toBe(bin.length);
    expect(result.kvStats).toEqual([
      { name: 'x', sum: bin.length - stateRecord(2, kvs('y', '').value).length, count: 2 },
      { name: 'y', sum: stateRecord(2, kvs('y', '').value).length, count: 1 },
    ]);
  });

  it('sorts rows by size, then by name bytes', () => {
    // Prepare: same-size records under prefixes that sort differently as UTF-16 and as UTF-8.
    const bin = stateBin(1, [kvs('0', 'v'), kvs('\uff5e', 'vv'), kvs('🚀', 'v')]);

    // Act
    const names = decodeWhole(bin, { kvDetails: { depth: 1 } }).kvStats?.map((s) => s.name);

    // Assess: '0' carries the header; the two others tie on size, and U+FF5E (EF BD 9E) < U+1F680 (F0 9F 9A 80).
    expect(names).toEqual(['0', '\uff5e', '🚀']);
  });

  it.each([-1, 1.5, Number.NaN])('refuses depth %p with an error naming the flag', (depth) => {
    expect(() => decodeWhole(stateBin(1, []), { kvDetails: { depth } })).toThrow(InvalidInputError);
    expect(() => decodeWhole(stateBin(1, []), { kvDetails: { depth } })).toThrow(/kvdepth: must be a whole number/);
  });
});
