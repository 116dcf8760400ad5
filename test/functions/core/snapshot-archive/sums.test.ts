import { createHash } from 'node:crypto';
import { checkSums, goQuote, scanSumsLine } from '../../../../functions/core/snapshot-archive/sums';

// Expected texts were produced by Go (fmt.Sscanf(line, "%x  %s", &sha, &file), %q), as Consul's DecodeAndVerify uses.
const META = Buffer.from('{"Version":1}\n');
const STATE = Buffer.from('state');
const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const DIGESTS = new Map([
  ['meta.json', digest(META)],
  ['state.bin', digest(STATE)],
]);
const line = (b: Buffer, name: string, sep = '  '): string => `${digest(b).toString('hex')}${sep}${name}\n`;

describe('checkSums', () => {
  it('passes with both lines in either order, with CRLF, tabs or one space', () => {
    // Act / Assess
    expect(checkSums(Buffer.from(line(META, 'meta.json') + line(STATE, 'state.bin')), DIGESTS)).toBeUndefined();
    expect(checkSums(Buffer.from(line(STATE, 'state.bin', ' ') + line(META, 'meta.json', '\t').replace('\n', '\r\n')), DIGESTS)).toBeUndefined();
  });

  it.each([
    ['a wrong digest', line(STATE, 'meta.json') + line(STATE, 'state.bin'), 'hash check failed for "meta.json"'],
    ['a missing line', line(STATE, 'state.bin'), 'file missing for "meta.json"'],
    ['no lines at all', '', 'file missing for "meta.json"'],
    ['an unknown file', line(META, 'meta.json') + line(STATE, 'x y'), 'list missing hash for "x"'],
    ['a quoted odd name', `ab  "wéird"\u00a0x\n`, 'list missing hash for "\\"wéird\\""'],
    ['an empty line in between', `${line(META, 'meta.json')}\n${line(STATE, 'state.bin')}`, 'EOF'],
    ['a line longer than 64 KiB', `${'a'.repeat(70000)}\n`, 'bufio.Scanner: token too long'],
  ])('reports %s with Go\'s text', (_name, sums, goError) => {
    // Act / Assess
    expect(checkSums(Buffer.from(sums), DIGESTS)).toBe(goError);
  });
});

describe('scanSumsLine', () => {
  it.each([
    ['', 'EOF'],
    ['   ', 'EOF'],
    ['abcd', 'EOF'],
    ['abcd  ', 'EOF'],
    ['zz  meta.json', 'no hex data for %x string'],
    ['abc  meta.json', 'illegal hex digit'],
    ['abc', 'unexpected EOF'],
    ['abcdx meta.json', 'expected space in input to match format'],
  ])('rejects %j with Go\'s text', (text, goError) => {
    // Act / Assess
    expect(scanSumsLine(text)).toEqual({ error: goError });
  });

  it('reads upper-case hex, skips leading space and ignores what follows the name', () => {
    // Act / Assess
    expect(scanSumsLine(' ABcd\u2003\u2003meta.json trailing')).toEqual({ sha: Buffer.from([0xab, 0xcd]), file: 'meta.json' });
  });
});

describe('goQuote', () => {
  it.each([
    ['meta.json', 'utf8', '"meta.json"'],
    ['a\nbé\u2028', 'utf8', '"a\\nbé\\u2028"'],
    ['\x07\x7f"\\', 'utf8', '"\\a\\x7f\\"\\\\"'],
    ['\u{1f600}\u00a0', 'utf8', '"\u{1f600}\\u00a0"'],
    ['\xff\xc3\xa9', 'latin1', '"\\xffé"'],
  ] as const)('quotes %j like Go %%q', (text, encoding, quoted) => {
    // Act / Assess
    expect(goQuote(text, encoding)).toBe(quoted);
  });
});
