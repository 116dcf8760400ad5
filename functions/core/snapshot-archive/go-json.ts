/**
 * A JSON parser with the syntax rules and error texts of Go's `encoding/json` scanner (`checkValid`), so that a bad
 * meta.json yields the same `failed to decode snapshot metadata: <err>` text Consul returns. Numbers keep their
 * source text, object members their order (Go decodes keys in order, duplicates included).
 */

/** A parsed JSON value. */
export type GoJsonValue =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, GoJsonValue]> }
  | { readonly kind: 'array'; readonly items: readonly GoJsonValue[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly raw: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

/** Go's `*json.SyntaxError`; `message` is its `Error()` text. */
export class GoJsonSyntaxError extends Error {}

/** Go's `maxNestingDepth`. */
const MAX_DEPTH = 10000;
const SPACE = 0x20;
const END_OF_INPUT = 'unexpected end of JSON input';

type Frame =
  | { readonly kind: 'object'; readonly entries: Array<readonly [string, GoJsonValue]>; key: string }
  | { readonly kind: 'array'; readonly items: GoJsonValue[] };
type Expect = 'value' | 'value-or-]' | 'key' | 'key-or-}' | 'colon' | 'after-value';

/** Parses `data` like `json.Unmarshal` validates it; throws {@link GoJsonSyntaxError} with Go's text. */
export function parseGoJson(data: Uint8Array): GoJsonValue {
  const stack: Frame[] = [];
  let root: GoJsonValue | undefined;
  // `complete` (a closure) changes it too, so keep TypeScript from narrowing it.
  let expect = 'value' as Expect;
  let i = 0;
  // Go's eof() feeds one space to the scanner: inside a token that is an "invalid character ' '" error.
  const at = (j: number): number => (j < data.length ? data[j] : SPACE);
  const complete = (value: GoJsonValue): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = value;
    else if (top.kind === 'object') top.entries.push([top.key, value]);
    else top.items.push(value);
    expect = 'after-value';
  };
  for (;;) {
    while (i < data.length && isJsonSpace(data[i])) i++;
    if (i >= data.length) break;
    const c = data[i];
    const top = stack[stack.length - 1];
    if (expect === 'after-value') {
      if (top === undefined) throw syntaxError(c, 'after top-level value');
      const close = top.kind === 'object' ? 0x7d : 0x5d;
      if (c === 0x2c) expect = top.kind === 'object' ? 'key' : 'value';
      else if (c === close) {
        stack.pop();
        complete(top.kind === 'object' ? { kind: 'object', entries: top.entries } : { kind: 'array', items: top.items });
      } else throw syntaxError(c, top.kind === 'object' ? 'after object key:value pair' : 'after array element');
      i++;
    } else if (expect === 'colon') {
      if (c !== 0x3a) throw syntaxError(c, 'after object key');
      expect = 'value';
      i++;
    } else if (expect === 'key' || expect === 'key-or-}') {
      if (expect === 'key-or-}' && c === 0x7d) {
        stack.pop();
        complete({ kind: 'object', entries: (top as Frame & { kind: 'object' }).entries });
        i++;
        continue;
      }
      if (c !== 0x22) throw syntaxError(c, 'looking for beginning of object key string');
      const end = scanString(data, i);
      (top as Frame & { kind: 'object' }).key = decodeString(data, i, end);
      expect = 'colon';
      i = end;
    } else if (expect === 'value-or-]' && c === 0x5d) {
      stack.pop();
      complete({ kind: 'array', items: (top as Frame & { kind: 'array' }).items });
      i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (stack.length + 1 > MAX_DEPTH) throw syntaxError(c, 'exceeded max depth');
      stack.push(c === 0x7b ? { kind: 'object', entries: [], key: '' } : { kind: 'array', items: [] });
      expect = c === 0x7b ? 'key-or-}' : 'value-or-]';
      i++;
    } else if (c === 0x22) {
      const end = scanString(data, i);
      complete({ kind: 'string', value: decodeString(data, i, end) });
      i = end;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = scanNumber(at, i);
      complete({ kind: 'number', raw: Buffer.from(data.subarray(i, end)).toString('latin1') });
      i = end;
    } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
      for (let k = 1; k < word.length; k++) {
        if (at(i + k) !== word.charCodeAt(k)) throw syntaxError(at(i + k), `in literal ${word} (expecting '${word[k]}')`);
      }
      complete(word === 'null' ? { kind: 'null' } : { kind: 'bool', value: word === 'true' });
      i += word.length;
    } else throw syntaxError(c, 'looking for beginning of value');
  }
  if (root === undefined || stack.length > 0) throw new GoJsonSyntaxError(END_OF_INPUT);
  return root;
}

/** Index just past the closing quote of the string starting at `start`. */
function scanString(data: Uint8Array, start: number): number {
  let j = start + 1;
  for (;;) {
    if (j >= data.length) throw new GoJsonSyntaxError(END_OF_INPUT);
    const c = data[j];
    if (c === 0x22) return j + 1;
    if (c < 0x20) throw syntaxError(c, 'in string literal');
    if (c !== 0x5c) {
      j++;
      continue;
    }
    const e = j + 1 < data.length ? data[j + 1] : SPACE;
    if (e === 0x75) {
      for (let k = 2; k < 6; k++) {
        const h = j + k < data.length ? data[j + k] : SPACE;
        if (!isHexDigit(h)) throw syntaxError(h, 'in \\u hexadecimal character escape');
      }
      j += 6;
    } else if ('bfnrt\\/"'.includes(String.fromCharCode(e))) j += 2;
    else throw syntaxError(e, 'in string escape code');
  }
}

function decodeString(data: Uint8Array, start: number, end: number): string {
  // The bytes are valid JSON by now; invalid UTF-8 becomes U+FFFD, as in Go.
  return JSON.parse(Buffer.from(data.subarray(start, end)).toString('utf8')) as string;
}

/** Index just past the number starting at `start` (Go's state1/state0/stateDot/stateE… machine). */
function scanNumber(at: (j: number) => number, start: number): number {
  let j = start;
  if (at(j) === 0x2d) {
    j++;
    if (!isDigit(at(j))) throw syntaxError(at(j), 'in numeric literal');
  }
  if (at(j) === 0x30) j++;
  else while (isDigit(at(j))) j++;
  if (at(j) === 0x2e) {
    j++;
    if (!isDigit(at(j))) throw syntaxError(at(j), 'after decimal point in numeric literal');
    while (isDigit(at(j))) j++;
  }
  if (at(j) === 0x65 || at(j) === 0x45) {
    j++;
    if (at(j) === 0x2b || at(j) === 0x2d) j++;
    if (!isDigit(at(j))) throw syntaxError(at(j), 'in exponent of numeric literal');
    while (isDigit(at(j))) j++;
  }
  return j;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function syntaxError(c: number, context: string): GoJsonSyntaxError {
  return new GoJsonSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
}

/** Go's `quoteChar`: the byte as a Latin-1 rune, `strconv.Quote`d between single quotes. */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const ch = String.fromCharCode(c);
  const simple: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (simple[c] !== undefined) return `'${simple[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c === 0x20 || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) return `'${ch}'`;
  return `'\\u${c.toString(16).padStart(4, '0')}'`;
}
