/**
 * syntheticStateStream: exact sizes, real records (decoded by an independent library), and the compression ratios
 * big-snapshot benchmarks rely on.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { writeSnapshotArchive } from '../../../local/consul-simulator/archive-writer';
import { minimumSyntheticStateBytes, SYNTHETIC_KEY_PREFIX, syntheticStateStream } from '../../../local/consul-simulator/synthetic-state';
import { decodeStateBin, text } from './state-bin';

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('syntheticStateStream', () => {
  it.each([minimumSyntheticStateBytes(300), minimumSyntheticStateBytes(300) + 1, 100_000, 262_144, 3 * 1024 * 1024 + 17])('produces exactly %d bytes of header, KVS records and ChunkingState', async (bytes) => {
    // Act
    const state = await collect(syntheticStateStream({ bytes, seed: 9, index: 300 }));
    // Assess
    expect(state.length).toBe(bytes);
    const { header, records } = decodeStateBin(state);
    expect(header).toEqual({ LastIndex: 300 });
    expect(records.at(-1)!.bytes).toEqual(Buffer.from([0x1d, 0x81, 0xa8, ...Buffer.from('ChunkMap'), 0x80]));
    const kvs = records.slice(0, -1);
    expect(kvs.length).toBeGreaterThan(0);
    expect(kvs.every((r) => r.type === 2)).toBe(true);
    const first = kvs[0].value as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['CreateIndex', 'Flags', 'Key', 'LockIndex', 'ModifyIndex', 'Session', 'Value']);
    expect(text(first.Key).startsWith(SYNTHETIC_KEY_PREFIX)).toBe(true);
    expect([first.CreateIndex, first.ModifyIndex]).toEqual([300, 300]);
    const keys = kvs.map((r) => text((r.value as { Key: unknown }).Key));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('realistic values are JSON configuration; the same seed gives the same bytes, another seed other bytes', async () => {
    // Act
    const a = await collect(syntheticStateStream({ bytes: 500_000, seed: 1 }));
    const b = await collect(syntheticStateStream({ bytes: 500_000, seed: 1 }));
    const c = await collect(syntheticStateStream({ bytes: 500_000, seed: 2 }));
    // Assess
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    const value = text((decodeStateBin(a).records[0].value as { Value: unknown }).Value);
    expect(JSON.parse(value)).toMatchObject({ service: expect.any(String), revision: expect.stringMatching(/^[0-9a-f]{32}$/), endpoints: expect.any(Array) });
  });

  it.each([
    ['realistic', 0.35, 0.42],
    ['incompressible', 0.99, 1.01],
  ] as const)('%s: a gzip -6 archive is %d–%d of the state size', async (compressibility, low, high) => {
    // Prepare
    const bytes = 16 * 1024 * 1024;
    const meta = { Version: 1, ID: '2-9-1', Index: 9, Term: 2, Peers: '', Configuration: { Servers: [] }, ConfigurationIndex: 1 };
    // Act
    const archive = await collect(writeSnapshotArchive({ meta, state: { size: bytes, stream: syntheticStateStream({ bytes, compressibility, seed: 5 }) } }, { gzipLevel: 6 }));
    // Assess
    const ratio = archive.length / bytes;
    expect(ratio).toBeGreaterThanOrEqual(low);
    expect(ratio).toBeLessThanOrEqual(high);
  });

  it('streams chunk by chunk (a reader that stops early never makes the generator produce the rest)', async () => {
    // Prepare
    const stream = syntheticStateStream({ bytes: 1024 * 1024 * 1024, compressibility: 'incompressible' });
    const hash = createHash('sha256');
    let seen = 0;
    // Act
    for await (const chunk of stream as Readable) {
      hash.update(chunk as Buffer);
      seen += (chunk as Buffer).length;
      if (seen > 2 * 1024 * 1024) break;
    }
    // Assess
    expect(seen).toBeLessThan(4 * 1024 * 1024);
    expect(stream.destroyed).toBe(true);
  });

  it('refuses sizes it cannot fill exactly, naming the minimum', () => {
    const min = minimumSyntheticStateBytes();
    expect(() => syntheticStateStream({ bytes: min - 1 })).toThrow(new RangeError(`syntheticStateStream: bytes must be an integer ≥ ${min} (header, one KVS record, ChunkingState), got ${min - 1}`));
    expect(() => syntheticStateStream({ bytes: 1.5e6 + 0.5 })).toThrow(RangeError);
  });
});
