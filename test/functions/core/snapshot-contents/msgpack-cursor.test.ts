import { describeFormat, MsgpackCursor } from '../../../../functions/core/snapshot-contents/msgpack-cursor';
import { RecordDefect } from '../../../../functions/core/snapshot-contents/scan-plan';
import { encodeMsgpack, raw } from '../../../helpers/consul-msgpack';

const cursorOver = (value: unknown) => {
  const buf = encodeMsgpack(value);
  return new MsgpackCursor().reset(buf, 0, buf.length);
};

describe('MsgpackCursor', () => {
  it('finds fields of a struct map and skips the rest, nested values included', () => {
    // Prepare
    const c = cursorOver({ A: { Deep: [1, { X: 'y' }] }, B: 2n ** 64n - 1n, C: 'text', D: true, E: null });

    // Act / Assess
    expect(c.seekField(Buffer.from('C'))).toBe(true);
    expect(c.readText()).toBe('text');
    c.reset(c.buf, 0, c.end);
    expect(c.seekField(Buffer.from('B'))).toBe(true);
    expect(c.readUint64()).toBe(2n ** 64n - 1n);
    c.reset(c.buf, 0, c.end);
    expect(c.seekField(Buffer.from('Missing'))).toBe(false);
    expect(c.pos).toBe(c.end);
  });

  it('reads nil as absent: empty text, 0, false, empty containers', () => {
    const c = cursorOver([null, null, null, null, null]);
    expect(c.readArrayLength()).toBe(5);
    expect(c.readText()).toBe('');
    expect(c.readUint()).toBe(0);
    expect(c.readBool()).toBe(false);
    expect(c.readMapLength()).toBe(0);
    expect(c.readArrayLength()).toBe(0);
  });

  it('skips a non-string map key and its value', () => {
    // Prepare: {1: "a", "K": "v"}
    const c = new MsgpackCursor().reset(raw([0x82, 0x01, 0xa1, 0x61, 0xa1, 0x4b, 0xa1, 0x76]).bytes, 0, 8);

    // Act / Assess
    expect(c.readMapLength()).toBe(2);
    expect(c.readKeyIndex([Buffer.from('K')])).toBe(-1);
    c.skip();
    expect(c.readKeyIndex([Buffer.from('K')])).toBe(0);
    expect(c.readText()).toBe('v');
  });

  it.each([
    ['a truncated string', [0xa5, 0x61], (c: MsgpackCursor) => c.readText(), /ends before its declared length/],
    ['a truncated map in skip', [0x82, 0xa1, 0x61], (c: MsgpackCursor) => c.skip(), /ends before its declared length/],
    ['an integer where a string is expected', [0x05], (c: MsgpackCursor) => c.readText('Key'), /Key is an integer, not a string/],
    ['a string where an integer is expected', [0xa1, 0x61], (c: MsgpackCursor) => c.readUint('Flags'), /Flags is a string, not an unsigned integer/],
    ['a negative integer', [0xff], (c: MsgpackCursor) => c.readUint('LockIndex'), /LockIndex is an integer, not an unsigned integer/],
    ['an index beyond 2^53', [0xcf, 0x00, 0x40, 0, 0, 0, 0, 0, 0], (c: MsgpackCursor) => c.readUint('ModifyIndex'), /larger than 2\^53/],
    ['an array where a map is expected', [0x90], (c: MsgpackCursor) => c.readMapLength('Entry'), /Entry is an array, not a map/],
    ['a map where a bool is expected', [0x80], (c: MsgpackCursor) => c.readBool('Local'), /Local is a map, not a bool/],
    ['the reserved byte', [0xc1], (c: MsgpackCursor) => c.skip(), /0xc1/],
  ])('refuses %s with a RecordDefect', (_name, bytes, act, message) => {
    const c = new MsgpackCursor().reset(Buffer.from(bytes), 0, bytes.length);
    expect(() => act(c)).toThrow(RecordDefect);
    expect(() => act(new MsgpackCursor().reset(Buffer.from(bytes), 0, bytes.length))).toThrow(message);
  });

  it.each([
    [0xc0, 'nil'], [0xc3, 'a bool'], [0xcb, 'a float'], [0xd9, 'a string'], [0xc4, 'a string'], [0xde, 'a map'], [0xdc, 'an array'],
    [0xc7, 'an ext value'], [0xd4, 'an ext value'], [0xc1, 'the reserved byte 0xc1'], [0xd3, 'an integer'], [0x7f, 'an integer'],
  ])('describes format byte %i as %s', (b, text) => {
    expect(describeFormat(b)).toBe(text);
  });
});
