import { goJsonString, goMarshalIndent } from '../../../../functions/core/snapshot-contents/go-json';

describe('goJsonString', () => {
  it.each([
    ['plain', '"plain"'],
    ['<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['tab\tnl\ncr\r', '"tab\\tnl\\ncr\\r"'],
    ['bs\b ff\f', '"bs\\b ff\\f"'],
    ['\u0001\u001f\u007f', '"\\u0001\\u001f\u007f"'],
    ['back\\slash', '"back\\\\slash"'],
    ['line\u2028para\u2029', '"line\\u2028para\\u2029"'],
    ['ñ 日本 🚀', '"ñ 日本 🚀"'],
    ['bad\udc80\udcff', '"bad\\ufffd\\ufffd"'],
    ['lone\ud800high', '"lone\\ufffdhigh"'],
    ['\ufffd', '"\ufffd"'],
  ])('%j → %s (Go encoding/json with HTML escaping)', (text, json) => {
    expect(goJsonString(text)).toBe(json);
  });
});

describe('goMarshalIndent', () => {
  it('indents objects and arrays like MarshalIndent, keeping key order', () => {
    // Act
    const out = goMarshalIndent({ B: 1, A: [{ X: 'y' }, null], E: [], O: {} }, '   ');

    // Assess
    expect(out).toBe('{\n   "B": 1,\n   "A": [\n      {\n         "X": "y"\n      },\n      null\n   ],\n   "E": [],\n   "O": {}\n}');
  });

  it('refuses numbers it cannot print as Go integers', () => {
    expect(() => goMarshalIndent({ A: 1.5 }, ' ')).toThrow(RangeError);
  });
});
