/**
 * Go's `json.MarshalIndent(v, "", indent)` for the plain documents `consul snapshot inspect -format=json` prints:
 * objects (keys in the order given, as Go writes struct fields in declaration order), arrays, strings, integers and
 * `null`. Strings are escaped as Go's encoder does by default (`encoding/json` `appendString` with HTML escaping):
 * `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`…, control characters as `\n` `\r` `\t` `\b` `\f` (Go 1.22+, which
 * builds Consul 1.19 and later) or `\u00XX`, and every invalid UTF-8 byte (a lone surrogate here, see `go-text.ts`)
 * as `\ufffd`.
 */

/** A value {@link goMarshalIndent} can write. */
export type GoJsonValue = string | number | null | readonly GoJsonValue[] | { readonly [key: string]: GoJsonValue };

const HEX = '0123456789abcdef';
const SHORT_ESCAPES: Readonly<Record<number, string>> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f' };

/**
 * Serialises `value` like Go's `json.MarshalIndent(value, "", indent)` (no trailing newline).
 *
 * @example
 * goMarshalIndent({ A: [1], B: null }, '   '); // '{\n   "A": [\n      1\n   ],\n   "B": null\n}'
 */
export function goMarshalIndent(value: GoJsonValue, indent: string): string {
  return write(value, indent, '');
}

/** A Go-escaped JSON string literal, quotes included. */
export function goJsonString(text: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let escaped: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c) escaped = SHORT_ESCAPES[c] ?? `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    else if (c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) escaped = `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
      if (pair) {
        i++;
        continue;
      }
      escaped = '\\ufffd';
    }
    if (escaped === undefined) continue;
    out += text.slice(start, i) + escaped;
    start = i + 1;
  }
  return `${out}${text.slice(start)}"`;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function write(value: GoJsonValue, indent: string, prefix: string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`only safe integers are supported, got ${value}`);
    return String(value);
  }
  const inner = prefix + indent;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + write(v, indent, inner)).join(',\n')}\n${prefix}]`;
  }
  const entries = Object.entries(value as Record<string, GoJsonValue>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${goJsonString(k)}: ${write(v, indent, inner)}`).join(',\n')}\n${prefix}}`;
}
