import { compareGoStrings, decodeGoString, displayGoString, goRuneCount, goStringBytes } from '../../../../functions/core/snapshot-contents/go-text';

const decode = (bytes: number[]) => decodeGoString(Buffer.from(bytes), 0, bytes.length);

describe('decodeGoString / goStringBytes', () => {
  it.each([
    ['ascii', [0x61, 0x2f, 0x62], 'a/b'],
    ['valid UTF-8', [...Buffer.from('ñ日🚀')], 'ñ日🚀'],
    ['a lone continuation byte', [0x80], '\udc80'],
    ['a truncated 2-byte sequence', [0xc3, 0x28], '\udcc3('],
    ['an encoded surrogate (invalid in Go)', [0xed, 0xa0, 0x80], '\udced\udca0\udc80'],
    ['an overlong encoding', [0xc0, 0xaf], '\udcc0\udcaf'],
    ['0xff', [0xff, 0x61], '\udcffa'],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\udcf4\udc90\udc80\udc80'],
  ])('%s: one escape per byte Go rejects, and back to the same bytes', (_name, bytes, text) => {
    // Act
    const decoded = decode(bytes);

    // Assess
    expect(decoded).toBe(text);
    expect([...goStringBytes(decoded)]).toEqual(bytes);
  });

  it('decodes a slice of a larger buffer', () => {
    expect(decodeGoString(Buffer.from('xxa/bxx'), 2, 5)).toBe('a/b');
  });

  it('keeps a real supplementary character whose low surrogate lies in the escape range', () => {
    // U+10080 is D800 DC80 in UTF-16: not an escape.
    const text = String.fromCodePoint(0x10080);
    expect([...goStringBytes(text)]).toEqual([...Buffer.from(text, 'utf8')]);
    expect(displayGoString(text)).toBe(text);
  });
});

describe('goRuneCount / displayGoString / compareGoStrings', () => {
  it('counts runes as Go: an escaped byte is one, a surrogate pair is one', () => {
    expect(goRuneCount('a\udc80🚀日')).toBe(4);
  });

  it('shows escaped bytes as U+FFFD', () => {
    expect(displayGoString('a\udc80b')).toBe('a\ufffdb');
  });

  it('orders by bytes, as Go compares strings', () => {
    // U+FF5E (EF BD 9E) sorts after U+1F680 (F0 9F 9A 80) in UTF-16 but before it in UTF-8.
    expect('\uff5e' < '🚀').toBe(false);
    expect(compareGoStrings('\uff5e', '🚀')).toBeLessThan(0);
    expect(compareGoStrings('\udc80', 'z')).toBeGreaterThan(0);
  });
});
