/**
 * The Consul msgpack dialect (state-bin.md §3.2, §3.5) and the streaming state.bin reader.
 */
import { decode } from '@msgpack/msgpack';
import { formatGoTime, goTimeBinary, goTimeFromBinary, GoMsgpackWriter, parseGoTime } from '../../../local/consul-simulator/go-msgpack';
import { StateBinFormatError, StateBinReader } from '../../../local/consul-simulator/state-bin-reader';
import { syntheticStateStream } from '../../../local/consul-simulator/synthetic-state';

const bytes = (f: (w: GoMsgpackWriter) => unknown) => {
  const w = new GoMsgpackWriter(4);
  f(w);
  return [...w.bytes()];
};

describe('GoMsgpackWriter', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0xcc, 0x80]],
    [255, [0xcc, 0xff]],
    [256, [0xcd, 0x01, 0x00]],
    [65_536, [0xce, 0x00, 0x01, 0x00, 0x00]],
    [10_000_000_000, [0xcf, 0, 0, 0, 0x02, 0x54, 0x0b, 0xe4, 0x00]],
    [2n ** 64n - 1n, [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    [-1, [0xff]],
    [-32, [0xe0]],
    [-33, [0xd0, 0xdf]],
    [-129, [0xd1, 0xff, 0x7f]],
  ] as const)('writes %s in its smallest form', (n, expected) => {
    expect(bytes((w) => w.int(n))).toEqual(expected);
  });

  it('writes strings and bytes as the str family only: fixstr < 32, then str16 (da), str32 (db), never str8 or bin', () => {
    expect(bytes((w) => w.str('a'.repeat(31))).slice(0, 1)).toEqual([0xbf]);
    expect(bytes((w) => w.str(Buffer.alloc(32))).slice(0, 3)).toEqual([0xda, 0x00, 0x20]);
    expect(bytes((w) => w.str(Buffer.alloc(255))).slice(0, 3)).toEqual([0xda, 0x00, 0xff]);
    expect(bytes((w) => w.str(Buffer.alloc(65_536))).slice(0, 5)).toEqual([0xdb, 0x00, 0x01, 0x00, 0x00]);
    expect(bytes((w) => w.mapHeader(16))).toEqual([0xde, 0x00, 0x10]);
    expect(bytes((w) => w.arrayHeader(15))).toEqual([0x9f]);
  });

  it('times: 15-byte MarshalBinary, `ff ff` for UTC, the zero time as Go writes it, offsets kept', () => {
    expect([...goTimeBinary(parseGoTime('0001-01-01T00:00:00Z'))]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
    const t = parseGoTime('2018-10-24T12:25:06.921933-04:00');
    const bin = goTimeBinary(t);
    expect([bin.length, bin.readInt16BE(13), bin.readUInt32BE(9)]).toEqual([15, -240, 921_933_000]);
    expect(Number(bin.readBigInt64BE(1) - 62_135_596_800n)).toBe(Date.parse('2018-10-24T16:25:06Z') / 1000);
    expect(formatGoTime(goTimeFromBinary(bin))).toBe('2018-10-24T12:25:06.921933-04:00');
    expect(goTimeBinary(parseGoTime('2026-01-01T00:00:00Z', 0)).readInt16BE(13)).toBe(0);
    const w = new GoMsgpackWriter().time(t);
    expect(Buffer.from(decode(w.bytes(), { rawStrings: true }) as Uint8Array)).toEqual(bin);
  });
});

describe('StateBinReader', () => {
  it('finds the same records whatever the chunking (one byte at a time or all at once)', async () => {
    // Prepare
    const parts: Buffer[] = [];
    for await (const c of syntheticStateStream({ bytes: 20_000, seed: 4 })) parts.push(c as Buffer);
    const state = Buffer.concat(parts);
    const whole = new StateBinReader().push(state);
    // Act
    const reader = new StateBinReader();
    const trickled = [...state].flatMap((b) => reader.push(Buffer.from([b])));
    reader.end();
    // Assess
    expect(trickled.map((r) => [r.type, r.size])).toEqual(whole.map((r) => [r.type, r.size]));
    expect(trickled.reduce((sum, r) => sum + r.size, 0)).toBe(state.length);
  });

  it('fails at the end when the bytes stop inside a record', () => {
    const reader = new StateBinReader();
    reader.push(Buffer.from([0x81, 0xa9, ...Buffer.from('LastIndex'), 0x05, 0x02, 0x87]));
    expect(() => reader.end()).toThrow(StateBinFormatError);
  });
});
