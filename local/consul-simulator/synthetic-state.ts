import { Readable } from 'node:stream';

/** Chunk size of {@link syntheticStateStream}; content depends on (seed, chunk index) only. */
const CHUNK = 64 * 1024;

/** Field names and values that recur in a Consul FSM snapshot, written as msgpack fixstr. */
const WORDS = [
  'Node', 'Address', 'Datacenter', 'dc1', 'Service', 'web', 'api', 'db', 'Tags', 'primary', 'Port', 'Key', 'Value',
  'Flags', 'Session', 'CreateIndex', 'ModifyIndex', 'Checks', 'passing', 'Meta', 'ID', 'Kind', 'Namespace',
].map((w) => Buffer.from(w, 'latin1'));

/**
 * A deterministic pseudo-random stand-in for state.bin: exactly `size` bytes, generated 64 KiB at a time (never one
 * big buffer) and only as fast as the consumer reads. It starts like Consul's (a msgpack `{LastIndex: seed}` header)
 * and continues with msgpack-ish records: fixstr field names mixed with random payload, so it compresses mildly,
 * as real snapshots do. Same `(size, seed)`, same bytes.
 *
 * @example
 * writeSnapshotArchive({ meta, state: { size: 1 << 30, stream: syntheticStateStream(1 << 30, 7) } });
 */
export function syntheticStateStream(size: number, seed = 1): Readable {
  let offset = 0;
  let index = 0;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, size - offset);
      offset += n;
      this.push(syntheticChunk(seed, index++, n));
    },
  });
}

function syntheticChunk(seed: number, index: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let p = 0;
  if (index === 0) {
    const header = Buffer.alloc(20);
    Buffer.from([0x81, 0xa9, ...Buffer.from('LastIndex'), 0xcf]).copy(header);
    header.writeBigUInt64BE(BigInt(seed >>> 0), 12);
    p = header.copy(buf, 0, 0, Math.min(header.length, length));
  }
  // xorshift32, seeded from (seed, index) so any chunk can be produced on its own.
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0 || 1;
  while (p < length) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    if ((s & 3) === 0) {
      for (let k = 0; k < 4 && p < length; k++) buf[p++] = (s >>> (8 * k)) & 0xff;
      continue;
    }
    const word = WORDS[(s >>> 8) % WORDS.length];
    buf[p++] = 0xa0 | word.length;
    for (let k = 0; k < word.length && p < length; k++) buf[p++] = word[k];
  }
  return buf;
}
