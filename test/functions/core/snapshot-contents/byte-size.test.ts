import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatByteSize } from '../../../../functions/core/snapshot-contents/byte-size';

const golden = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'byte-size.golden.json'), 'utf8')) as { cases: [number, string][] };

describe('formatByteSize', () => {
  it.each([
    [0, '0'],
    [1, '1B'],
    [313, '313B'],
    [1023, '1023B'],
    [1024, '1KB'],
    [1280, '1.2KB'],
    [2816, '2.8KB'],
    [3328, '3.2KB'],
    [5120, '5KB'],
    [1048575, '1024KB'],
    [1048576, '1MB'],
    [4_617_089_843, '4.3GB'],
    [2 ** 40, '1TB'],
  ])('%i bytes → %s (reference §6.4)', (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
  });

  it(`matches Go on all ${golden.cases.length} golden values (boundaries, exact ties, random)`, () => {
    // Act
    const mismatches = golden.cases.filter(([bytes, text]) => formatByteSize(bytes) !== text);

    // Assess
    expect(golden.cases.length).toBeGreaterThan(1000);
    expect(mismatches).toEqual([]);
  });

  it('rounds exact ties to even where toFixed would round up', () => {
    expect((1280 / 1024).toFixed(1)).toBe('1.3');
    expect(formatByteSize(1280)).toBe('1.2KB');
  });

  it.each([-1, 0.5, Number.NaN, 2 ** 53])('refuses %p', (bad) => {
    expect(() => formatByteSize(bad)).toThrow(RangeError);
  });
});
