import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrorCode } from '../../../../functions/core/shared/errors';
import { SNAPSHOT_CONTENTS_ERROR_CODES, StateBinMalformedError } from '../../../../functions/core/snapshot-contents/errors';
import { decodeGoString } from '../../../../functions/core/snapshot-contents/go-text';
import { createStateBinDecoder, type StateBinDecodeResult, type StateBinDecoderOptions } from '../../../../functions/core/snapshot-contents/state-bin-decoder';
import { raw } from '../../../helpers/consul-msgpack';
import {
  chunkingState, chunksOf, decodeChunks, decodeWhole, kvs, randomChunks, registerNode, stateBin, stateHeader, stateRecord,
} from '../../../helpers/state-bin';
import { INSPECT_VARIANTS, STATE_BIN_FIXTURES } from '../../../helpers/state-bin-fixtures';

const FIXTURES = join(__dirname, 'fixtures');

interface GoRow {
  Name: string;
  Sum: number;
  Count: number;
}
interface GoInspect {
  LastIndex: number;
  Stats: GoRow[];
  StatsKV: GoRow[] | null;
  TotalSize: number;
  TotalSizeKV: number;
  Error?: string;
}

function goRows(rows: GoRow[] | null): { name: string; sum: number; count: number }[] | undefined {
  if (rows === null) return undefined;
  return rows.map((r) => {
    const bytes = Buffer.from(r.Name, 'base64');
    return { name: decodeGoString(bytes, 0, bytes.length), sum: r.Sum, count: r.Count };
  });
}

function inspectView(r: StateBinDecodeResult) {
  return { lastIndex: r.lastIndex, stats: r.stats, kvStats: r.kvStats, totalSize: r.totalSize, totalSizeKv: r.totalSizeKv };
}

/** The malformed-record error `act` throws (anything else fails the test). */
function malformedError(act: () => unknown): StateBinMalformedError {
  try {
    act();
  } catch (err) {
    if (err instanceof StateBinMalformedError) return err;
    throw err;
  }
  throw new Error('expected a StateBinMalformedError');
}

// Values are kept in content-index tests; here they would make every comparison walk 70 KB buffers.
const ALL: StateBinDecoderOptions = { kvDetails: { depth: 2 }, summary: true, index: true };

describe('createStateBinDecoder', () => {
  describe('byte-exact examples of the reference', () => {
    it('sizes the 76-byte KVS record of §3.8 as type byte + msgpack value', () => {
      // Prepare
      const record = stateRecord(2, kvs('foo/bar', 'hi').value);
      const expected = Buffer.concat([
        Buffer.from([0x02, 0x87, 0xab]), Buffer.from('CreateIndex'), Buffer.from([0x05, 0xa5]), Buffer.from('Flags'), Buffer.from([0x00, 0xa3]), Buffer.from('Key'),
        Buffer.from([0xa7]), Buffer.from('foo/bar'), Buffer.from([0xa9]), Buffer.from('LockIndex'), Buffer.from([0x00, 0xab]), Buffer.from('ModifyIndex'),
        Buffer.from([0x06, 0xa7]), Buffer.from('Session'), Buffer.from([0xa0, 0xa5]), Buffer.from('Value'), Buffer.from([0xa2]), Buffer.from('hi'),
      ]);
      const bin = Buffer.concat([stateHeader(11), stateRecord(0, registerNode('n').value), record]);

      // Act
      const result = decodeWhole(bin);

      // Assess
      expect(record).toEqual(expected);
      expect(record).toHaveLength(76);
      expect(result.stats.find((s) => s.name === 'KVS')).toEqual({ name: 'KVS', sum: 76, count: 1 });
    });

    it('reads the 12-byte header 81 a9 "LastIndex" 0b and gives its bytes to the first record', () => {
      // Prepare
      const header = stateHeader(11);
      const bin = Buffer.concat([header, stateRecord(29, chunkingState().value)]);

      // Act
      const result = decodeWhole(bin);

      // Assess
      expect(header.toString('hex')).toBe('81a94c617374496e6465780b');
      expect(stateRecord(29, chunkingState().value).toString('hex')).toBe('1d81a84368756e6b4d617080');
      expect(result.lastIndex).toBe(11);
      expect(result.stats).toEqual([{ name: 'ChunkingState', sum: 24, count: 1 }]);
      expect(result.totalSize).toBe(24);
      expect(result.chunkingInFlight).toBe(0);
    });

    it('reports TotalSize 0 and no rows for a header without records', () => {
      // Act
      const result = decodeWhole(stateHeader(0));

      // Assess
      expect(result).toMatchObject({ lastIndex: 0, records: 0, stats: [], totalSize: 0, totalSizeKv: 0 });
      expect(result.kvStats).toBeUndefined();
    });
  });

  describe('matches Go (consul snapshot inspect over the consul-net-rpc codec) on every fixture and flag set', () => {
    for (const [file, build] of Object.entries(STATE_BIN_FIXTURES)) {
      const golden = JSON.parse(readFileSync(join(FIXTURES, file.replace('.bin', '.inspect.json')), 'utf8')) as { variants: Record<string, GoInspect> };

      it(`${file}: the committed fixture is what the fixture builder makes`, () => {
        expect(readFileSync(join(FIXTURES, file))).toEqual(build());
      });

      for (const [variant, kvDetails, depth, filter] of INSPECT_VARIANTS) {
        const go = golden.variants[variant];
        if (go.Error !== undefined) continue;
        it(`${file} ${variant}: same stats, KV rows and totals, whole and in 1-byte chunks`, () => {
          // Prepare
          const bytes = readFileSync(join(FIXTURES, file));
          const options: StateBinDecoderOptions = kvDetails ? { kvDetails: { depth, filter } } : {};
          const expected = { lastIndex: go.LastIndex, stats: goRows(go.Stats), kvStats: goRows(go.StatsKV), totalSize: go.TotalSize, totalSizeKv: go.TotalSizeKV };

          // Act
          const whole = inspectView(decodeWhole(bytes, options));
          const bytewise = inspectView(decodeChunks(chunksOf(bytes, 1), options));

          // Assess
          expect(whole).toEqual(expected);
          expect(bytewise).toEqual(expected);
        });
      }
    }
  });

  describe('chunk boundaries', () => {
    const bin = readFileSync(join(FIXTURES, 'typical.bin'));
    const formats = readFileSync(join(FIXTURES, 'formats.bin'));
    const reference = { typical: decodeWhole(bin, ALL), formats: decodeWhole(formats, ALL) };

    it.each([1, 2, 3, 7, 64, 4096])('gives identical results (stats, KV rows, summary, index) with %i-byte chunks', (size) => {
      expect(decodeChunks(chunksOf(bin, size), ALL)).toEqual(reference.typical);
      expect(decodeChunks(chunksOf(formats, size), ALL)).toEqual(reference.formats);
    });

    it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives identical results with random splits (seed %i)', (seed) => {
      expect(decodeChunks(randomChunks(bin, seed), ALL)).toEqual(reference.typical);
      expect(decodeChunks(randomChunks(formats, seed, 5000), ALL)).toEqual(reference.formats);
    });

    it('accepts empty chunks anywhere', () => {
      // Prepare
      const chunks = chunksOf(bin, 100).flatMap((c) => [Buffer.alloc(0), c]);

      // Act / Assess
      expect(decodeChunks([Buffer.alloc(0), ...chunks, Buffer.alloc(0)], ALL)).toEqual(reference.typical);
    });
  });

  describe('record types', () => {
    it('counts unknown, Enterprise and never-persisted types as Unknown(N) or by their table name, never fails', () => {
      // Prepare
      const bin = stateBin(1, [37, 44, 64, 128, 255, 34, 40, 43].map((type) => ({ type, value: 'x' })));

      // Act
      const names = decodeWhole(bin).stats.map((s) => s.name).sort();

      // Assess
      expect(names).toEqual(['KindServiceName', 'PeeringSecret', 'Unknown(128)', 'Unknown(255)', 'Unknown(37)', 'Unknown(44)', 'Unknown(64)', 'UpdateManualVirtualIPRequestType'].sort());
    });

    it('does not count a record without a value: the header alone, or a header and records only', () => {
      // Prepare
      const bin = stateBin(5, [kvs('a', 'b'), kvs('c', 'd')]);

      // Act
      const result = decodeWhole(bin);

      // Assess
      expect(result.records).toBe(2);
      expect(result.stats).toEqual([{ name: 'KVS', sum: bin.length, count: 2 }]);
    });
  });

  describe('a non-empty ChunkMap (inspect fails on it, Consul restores it)', () => {
    it('is counted and reported as a warning, not an error', () => {
      // Prepare
      const bytes = readFileSync(join(FIXTURES, 'chunking-in-flight.bin'));
      const go = (JSON.parse(readFileSync(join(FIXTURES, 'chunking-in-flight.inspect.json'), 'utf8')) as { variants: Record<string, GoInspect> }).variants.plain;

      // Act
      const result = decodeChunks(chunksOf(bytes, 3), { summary: true });

      // Assess
      expect(go.Error).toMatch(/failed to decode msg type ChunkingState/);
      expect(result.chunkingInFlight).toBe(2);
      expect(result.warnings).toEqual([expect.stringMatching(/ChunkingState holds 2 raft operation\(s\).*Consul restores it/)]);
      expect(result.stats.map((s) => s.name)).toEqual(['ChunkingState', 'KVS']);
      expect(result.totalSize).toBe(bytes.length);
    });
  });

  describe('malformed input', () => {
    const kv = stateRecord(2, kvs('a/b', 'v').value);
    const header = stateHeader(7);
    const cases: readonly { name: string; bytes: Buffer; record: number; typeName: string; offset: number; reason: RegExp }[] = [
      { name: 'an empty file', bytes: Buffer.alloc(0), record: 0, typeName: 'header', offset: 0, reason: /the file is empty/ },
      { name: 'a header that is an array', bytes: Buffer.from([0x91, 0x01]), record: 0, typeName: 'header', offset: 0, reason: /the header is an array, not a msgpack map/ },
      { name: 'a header that is a string', bytes: Buffer.from([0xa1, 0x41]), record: 0, typeName: 'header', offset: 0, reason: /the header is a string/ },
      { name: 'a header that is nil', bytes: Buffer.from([0xc0]), record: 0, typeName: 'header', offset: 0, reason: /the header is a scalar/ },
      { name: 'a truncated header', bytes: header.subarray(0, 5), record: 0, typeName: 'header', offset: 5, reason: /the file ends 5 bytes into the value/ },
      { name: 'EOF inside a KVS value', bytes: Buffer.concat([header, kv.subarray(0, 40)]), record: 1, typeName: 'KVS', offset: 52, reason: /the file ends 39 bytes into the value/ },
      { name: 'a stray trailing byte', bytes: Buffer.concat([header, kv, Buffer.from([0x02])]), record: 2, typeName: 'KVS', offset: 12 + kv.length + 1, reason: /ends right after the type byte/ },
      { name: 'the reserved byte 0xc1 in a value', bytes: Buffer.concat([header, Buffer.from([0x09, 0x81, 0xa1, 0x41, 0xc1])]), record: 1, typeName: 'Autopilot', offset: 16, reason: /0xc1 is not a msgpack value/ },
      { name: 'a KVS Key that is an integer', bytes: Buffer.concat([header, stateRecord(2, { Key: 5 })]), record: 1, typeName: 'KVS', offset: 12, reason: /Key is an integer, not a string/ },
      { name: 'a str32 declaring more bytes than the file has', bytes: Buffer.concat([header, Buffer.from([0x30, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x41])]), record: 1, typeName: 'Unknown(48)', offset: 19, reason: /the file ends 6 bytes into the value/ },
    ];

    it.each(cases)('$name: one clear error naming record, type and byte offset', ({ bytes, record, typeName, offset, reason }) => {
      // Act
      const err = malformedError(() => decodeWhole(bytes, { kvDetails: {}, summary: true }));
      const bytewise = malformedError(() => decodeChunks(chunksOf(bytes, 1), { kvDetails: {}, summary: true }));

      // Assess
      expect(isErrorCode(err, SNAPSHOT_CONTENTS_ERROR_CODES.malformed)).toBe(true);
      expect(err.defect).toMatchObject({ record, typeName, offset });
      expect(err.defect.reason).toMatch(reason);
      expect(err.message).not.toContain('\n');
      expect(err.message).toContain(`at byte ${offset}`);
      expect(err.message).toContain(record === 0 ? 'state.bin header' : `state.bin record ${record} (${typeName})`);
      expect(err.message).toContain("the archive's SHA256SUMS matched, so these are the bytes Consul wrote");
      expect(err.remedy).toMatch(/Consul can restore it/);
      expect(bytewise.defect).toEqual(err.defect);
    });

    it('says the checksum was not checked for a bare state.bin', () => {
      // Act
      const err = malformedError(() => decodeWhole(Buffer.from([0x91, 0x01]), {}, { checksums: 'not-checked' }));

      // Assess
      expect(err.message).toContain('its checksum was not checked');
      expect(err.remedy).toMatch(/Inspect the archive/);
    });

    it('keeps the first defect, ignores later bytes, and exposes it before end', () => {
      // Prepare
      const decoder = createStateBinDecoder();

      // Act
      decoder.write(Buffer.concat([header, Buffer.from([0x09, 0xc1])]));
      decoder.write(Buffer.concat([kv, kv]));

      // Assess
      expect(decoder.defect).toMatchObject({ record: 1, typeName: 'Autopilot', offset: 13 });
      expect(decoder.bytesWritten).toBe(14 + 2 * kv.length);
      expect(() => decoder.end()).toThrow(/record 1 \(Autopilot\) is malformed at byte 13/);
    });

    it('refuses writes after end and a second end', () => {
      // Prepare
      const decoder = createStateBinDecoder();
      decoder.write(header);
      decoder.end();

      // Act / Assess
      expect(() => decoder.write(kv)).toThrow(/write after end/);
      expect(() => decoder.end()).toThrow(/end called twice/);
    });

    it('parses values nested deeper than its initial stack (1000 levels)', () => {
      // Prepare
      const nested = Buffer.concat([Buffer.alloc(1000, 0x91), Buffer.from([0xc0])]);
      const bin = Buffer.concat([header, Buffer.from([0x63]), nested, kv]);

      // Act
      const result = decodeChunks(chunksOf(bin, 7));

      // Assess
      expect(result.stats).toEqual([
        { name: 'Unknown(99)', sum: 12 + 1 + nested.length, count: 1 },
        { name: 'KVS', sum: kv.length, count: 1 },
      ]);
    });

    it('treats a Key given in str8/bin forms like any string', () => {
      // Prepare
      const bin = stateBin(1, [{ type: 2, value: raw([0x81, 0xa3, 0x4b, 0x65, 0x79, 0xc4, 0x03, 0x61, 0x2f, 0x62]) }]);

      // Act
      const result = decodeWhole(bin, { kvDetails: { depth: 1 } });

      // Assess
      expect(result.kvStats).toEqual([{ name: 'a', sum: bin.length, count: 1 }]);
    });
  });
});
