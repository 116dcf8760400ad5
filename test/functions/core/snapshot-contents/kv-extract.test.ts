import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KvEntry } from '../../../../functions/core/snapshot-contents/kv-extract';
import { chunksOf, decodeChunks, kvs, randomChunks, stateBin, tombstone } from '../../../helpers/state-bin';

function extract(chunks: Buffer[], prefix: string): KvEntry[] {
  const entries: KvEntry[] = [];
  decodeChunks(chunks, { extractKv: { prefix, onEntry: (e) => entries.push(e) } });
  return entries;
}

describe('KV extraction (restore-kv)', () => {
  const bin = stateBin(1, [
    kvs('config/pay', 'outside'),
    kvs('config/payments/a', 'A', { flags: 2n ** 64n - 1n, createIndex: 10, modifyIndex: 20 }),
    kvs('config/payments/b', Buffer.from([0, 1, 2, 0xff]), { session: 'sess-1', lockIndex: 4 }),
    kvs('config/payments/c', null),
    tombstone('config/payments/deleted'),
    kvs('config/paymentsX', 'byte-prefix sibling'),
    kvs('other/payments/a', 'elsewhere'),
  ]);

  it('yields exactly the entries under the prefix, with every field', () => {
    // Act
    const entries = extract([bin], 'config/payments/');

    // Assess
    expect(entries).toEqual([
      { key: 'config/payments/a', value: Buffer.from('A'), flags: 2n ** 64n - 1n, lockIndex: 0, session: '', createIndex: 10, modifyIndex: 20 },
      { key: 'config/payments/b', value: Buffer.from([0, 1, 2, 0xff]), flags: 0n, lockIndex: 4, session: 'sess-1', createIndex: 5, modifyIndex: 6 },
      { key: 'config/payments/c', value: Buffer.alloc(0), flags: 0n, lockIndex: 0, session: '', createIndex: 5, modifyIndex: 6 },
    ]);
  });

  it('matches by byte prefix, as Consul does for a prefix without a trailing slash', () => {
    expect(extract([bin], 'config/payments').map((e) => e.key)).toEqual(['config/payments/a', 'config/payments/b', 'config/payments/c', 'config/paymentsX']);
  });

  it('yields every KV entry (never tombstones) for the empty prefix', () => {
    expect(extract([bin], '')).toHaveLength(6);
  });

  it('yields nothing for a prefix nothing is under', () => {
    expect(extract([bin], 'nothing/')).toEqual([]);
  });

  it('gives values that stay intact after their chunks are reused (1-byte and random chunks)', () => {
    // Act
    const whole = extract([bin], 'config/payments/');
    const bytewise = extract(chunksOf(bin, 1), 'config/payments/');
    const random = extract(randomChunks(bin, 3), 'config/payments/');

    // Assess
    expect(bytewise).toEqual(whole);
    expect(random).toEqual(whole);
  });

  it('extracts a 70 KB value (str32) across 64 KiB chunks', () => {
    // Prepare
    const formats = readFileSync(join(__dirname, 'fixtures', 'formats.bin'));

    // Act
    const [big] = extract(chunksOf(formats, 64 * 1024), 'big/str32');

    // Assess
    expect(big.value).toEqual(Buffer.alloc(70_000, 0x5a));
  });

  it('lets an exception from the callback propagate', () => {
    expect(() => decodeChunks([bin], { extractKv: { prefix: '', onEntry: () => { throw new Error('disk full'); } } })).toThrow('disk full');
  });
});
