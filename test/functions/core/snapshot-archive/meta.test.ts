import { decodeSnapshotMeta, encodeSnapshotMeta } from '../../../../functions/core/snapshot-archive/meta';
import { parseGoJson, quoteChar } from '../../../../functions/core/snapshot-archive/go-json';
import { testMeta } from '../../../helpers/in-memory-backups';

// Expected texts were produced by Go's encoding/json (json.Unmarshal into raft.SnapshotMeta, as Consul does).
const CONSUL_META_JSON =
  '{"Version":1,"ID":"2-13-1602222343947","Index":13,"Term":2,"Peers":"ka4xMjcuMC4wLjE6ODMwMA==","Configuration":{"Servers":[{"Suffrage":0,"ID":"a577b288-b354-770e-e909-da0972eb20e8","Address":"127.0.0.1:8300"}]},"ConfigurationIndex":1,"Size":5141}\n';

describe('decodeSnapshotMeta', () => {
  it('decodes the public Consul fixture', () => {
    // Act
    const meta = decodeSnapshotMeta(Buffer.from(CONSUL_META_JSON));

    // Assess
    expect(meta).toEqual({ ...testMeta(13), Size: 5141 });
  });

  it('matches JSON keys case-insensitively, ignores unknown keys and accepts null, as Go does', () => {
    // Act / Assess
    expect(decodeSnapshotMeta(Buffer.from('{"index":7,"SIZE":3,"Other":{"x":[1]},"Peers":[1,2]}'))).toMatchObject({ Index: 7, Size: 3, Peers: 'AQI=' });
    expect(decodeSnapshotMeta(Buffer.from('null'))).toMatchObject({ Index: 0, Peers: '', Configuration: { Servers: [] } });
  });

  it.each([
    ['{"Version":1,', 'unexpected end of JSON input'],
    ['', 'unexpected end of JSON input'],
    ['not json', "invalid character 'o' in literal null (expecting 'u')"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b"}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['{"a":01}', "invalid character '1' after object key:value pair"],
    ['{"a":"\\x"}', "invalid character 'x' in string escape code"],
    ['{"a":"\\u12G4"}', "invalid character 'G' in \\u hexadecimal character escape"],
    ['{"a":"\t"}', "invalid character '\\t' in string literal"],
    ['{"a":"\\', "invalid character ' ' in string escape code"],
    ['{}x', "invalid character 'x' after top-level value"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['\u00ef\u00bb\u00bf{}', "invalid character 'ï' looking for beginning of value"],
    ['['.repeat(10001), "invalid character '[' exceeded max depth"],
    ['[]', 'json: cannot unmarshal array into Go value of type raft.SnapshotMeta'],
    ['"x"', 'json: cannot unmarshal string into Go value of type raft.SnapshotMeta'],
    ['{"Index":"13"}', 'json: cannot unmarshal string into Go struct field SnapshotMeta.Index of type uint64'],
    ['{"Index":-1}', 'json: cannot unmarshal number -1 into Go struct field SnapshotMeta.Index of type uint64'],
    ['{"Index":1.5}', 'json: cannot unmarshal number 1.5 into Go struct field SnapshotMeta.Index of type uint64'],
    ['{"Version":1e2}', 'json: cannot unmarshal number 1e2 into Go struct field SnapshotMeta.Version of type raft.SnapshotVersion'],
    ['{"Size":9223372036854775808}', 'json: cannot unmarshal number 9223372036854775808 into Go struct field SnapshotMeta.Size of type int64'],
    ['{"Term":true}', 'json: cannot unmarshal bool into Go struct field SnapshotMeta.Term of type uint64'],
    ['{"Configuration":[]}', 'json: cannot unmarshal array into Go struct field SnapshotMeta.Configuration of type raft.Configuration'],
    ['{"Configuration":{"Servers":["x"]}}', 'json: cannot unmarshal string into Go struct field Configuration.Configuration.Servers of type raft.Server'],
    ['{"Configuration":{"Servers":[{"ID":7}]}}', 'json: cannot unmarshal number into Go struct field Server.Configuration.Servers.ID of type raft.ServerID'],
    ['{"Peers":[1,2,300]}', 'json: cannot unmarshal number 300 into Go struct field SnapshotMeta.Peers of type uint8'],
    ['{"Peers":"a"}', 'illegal base64 data at input byte 0'],
    ['{"Peers":"ab=c"}', 'illegal base64 data at input byte 2'],
    ['{"Peers":"YWJjZA"}', 'illegal base64 data at input byte 4'],
  ])('rejects %j with Go\'s error text', (json, goError) => {
    // Act / Assess
    expect(() => decodeSnapshotMeta(Buffer.from(json, json.startsWith('\u00ef') ? 'latin1' : 'utf8'))).toThrow(new Error(goError));
  });
});

describe('encodeSnapshotMeta', () => {
  it('writes the public Consul fixture byte for byte (compact, field order, trailing newline)', () => {
    // Prepare
    const meta = decodeSnapshotMeta(Buffer.from(CONSUL_META_JSON));

    // Act / Assess
    expect(encodeSnapshotMeta(meta).toString()).toBe(CONSUL_META_JSON);
  });

  it("escapes strings like Go's json.Encoder (HTML-safe, U+2028/9, invalid UTF-16 as \\ufffd) and writes empty Peers as null", () => {
    // Prepare
    const meta = { ...decodeSnapshotMeta(Buffer.from('null')), ID: 'a<b>&c\u2028\u2029\x01\t\n"\\é\ud800' };

    // Act
    const json = encodeSnapshotMeta(meta).toString();

    // Assess
    expect(json).toContain('"ID":"a\\u003cb\\u003e\\u0026c\\u2028\\u2029\\u0001\\t\\n\\"\\\\é\\ufffd"');
    expect(json).toContain('"Peers":null');
  });
});

describe('parseGoJson', () => {
  it('keeps number text and member order, duplicates included', () => {
    // Act
    const value = parseGoJson(Buffer.from('{"a":1.50,"a":[true,null,"x"]}'));

    // Assess
    expect(value).toEqual({
      kind: 'object',
      entries: [
        ['a', { kind: 'number', raw: '1.50' }],
        ['a', { kind: 'array', items: [{ kind: 'bool', value: true }, { kind: 'null' }, { kind: 'string', value: 'x' }] }],
      ],
    });
  });
});

describe('quoteChar', () => {
  it.each([
    [0x27, "'\\''"],
    [0x22, `'"'`],
    [0x5c, "'\\\\'"],
    [0x0a, "'\\n'"],
    [0x01, "'\\x01'"],
    [0x85, "'\\u0085'"],
    [0xe9, "'é'"],
  ])('quotes byte %d like Go', (byte, quoted) => {
    // Act / Assess
    expect(quoteChar(byte)).toBe(quoted);
  });
});
