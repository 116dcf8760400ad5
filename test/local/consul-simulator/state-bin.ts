/**
 * Test helpers: unpack a snapshot archive and decode its state.bin with an independent msgpack decoder
 * (`@msgpack/msgpack`, not the simulator's code), keeping each record's exact bytes.
 */
import { gunzipSync } from 'node:zlib';
import { Decoder } from '@msgpack/msgpack';
import * as tar from 'tar-stream';
import { writeSnapshotArchive } from '../../../local/consul-simulator/archive-writer';

/** One tar entry. */
export interface TarEntry {
  readonly name: string;
  readonly mode: number;
  readonly data: Buffer;
}

/** The entries of a gzip'd tar archive, in order. */
export async function tarEntries(gz: Buffer): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ name: header.name, mode: header.mode ?? 0, data: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', (err: unknown) => reject(err));
  });
  extract.end(gunzipSync(gz));
  await done;
  return out;
}

/** state.bin of an archive. */
export async function stateBinOf(archive: Buffer): Promise<Buffer> {
  const entry = (await tarEntries(archive)).find((e) => e.name === 'state.bin');
  if (!entry) throw new Error('no state.bin in the archive');
  return entry.data;
}

/** A record as the library decoded it. */
export interface DecodedRecord {
  readonly type: number;
  /** Maps as objects (keys in wire order), str as Uint8Array, 64-bit ints as bigint. */
  readonly value: unknown;
  /** Type byte + value bytes. */
  readonly bytes: Buffer;
}

/**
 * Decodes state.bin: header, then (type byte, value) pairs. CE type bytes are < 0x80, so the library reads each one
 * as a positive fixint; the decoder's position gives each record's bytes.
 */
export function decodeStateBin(state: Buffer): { header: unknown; headerBytes: Buffer; records: DecodedRecord[] } {
  const decoder = new Decoder({ rawStrings: true, useBigInt64: true });
  const pos = (): number => (decoder as unknown as { pos: number }).pos;
  const values = decoder.decodeMulti(state);
  const header = values.next().value;
  const headerEnd = pos();
  const records: DecodedRecord[] = [];
  let start = headerEnd;
  for (let t = values.next(); !t.done; t = values.next()) {
    if (typeof t.value !== 'number' || t.value >= 0x80) throw new Error(`not a CE type byte at ${start}`);
    const v = values.next();
    if (v.done) throw new Error(`type byte ${t.value} without a value at the end of state.bin`);
    records.push({ type: t.value, value: v.value, bytes: state.subarray(start, pos()) });
    start = pos();
  }
  return { header, headerBytes: state.subarray(0, headerEnd), records };
}

/** UTF-8 text of a raw str value. */
export const text = (v: unknown): string => Buffer.from(v as Uint8Array).toString('utf8');

/** A snapshot archive (meta as in Consul's inspect fixture) around the given state.bin. */
export async function archiveAround(state: Buffer, meta: { Version?: number; Index?: number } = {}): Promise<Buffer> {
  const stream = writeSnapshotArchive(
    {
      meta: {
        Version: meta.Version ?? 1,
        ID: '2-13-1602222343947',
        Index: meta.Index ?? 13,
        Term: 2,
        Peers: 'ka4xMjcuMC4wLjE6ODMwMA==',
        Configuration: { Servers: [{ Suffrage: 0, ID: 'a577b288-b354-770e-e909-da0972eb20e8', Address: '127.0.0.1:8300' }] },
        ConfigurationIndex: 1,
      },
      state,
    },
    { gzipLevel: 1 },
  );
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
