import { isUtf8 } from 'node:buffer';

/**
 * Go strings are byte strings; Consul's KV keys (and so `-kvdetails` prefixes) may hold bytes that are not UTF-8.
 * These helpers carry such bytes through JavaScript strings losslessly, the way Python's `surrogateescape` does: each
 * byte that Go's `utf8.DecodeRune` rejects (it returns `RuneError` with width 1) becomes the lone surrogate
 * `U+DC80 + (byte - 0x80)`. A lone surrogate can never come out of valid UTF-8, so the mapping is reversible, and one
 * invalid byte stays one "rune" — exactly what Go's `utf8.RuneCount` (text/tabwriter widths) and `encoding/json`
 * (one `\ufffd` per invalid byte) see.
 */

const ESCAPE_BASE = 0xdc00;

/**
 * Decodes `buf[start, end)` as Go would iterate it: valid UTF-8 sequences become their characters, every other byte
 * its escape surrogate (see the module comment).
 *
 * @example
 * decodeGoString(Buffer.from([0x61, 0xff]), 0, 2); // 'a\udcff'
 */
export function decodeGoString(buf: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  const view = Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  if (ascii) return view.toString('latin1');
  if (isUtf8(view)) return view.toString('utf8');
  return decodeSlow(buf, start, end);
}

/** The bytes a string produced by {@link decodeGoString} came from (other strings: their UTF-8). */
export function goStringBytes(text: string): Buffer {
  if (!hasEscape(text)) return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (ch.length === 1 && cp >= 0xdc80 && cp <= 0xdcff) bytes.push(cp - ESCAPE_BASE);
    else for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes);
}

/** Go's `a < b` on the strings' bytes (JavaScript's `<` compares UTF-16 code units, which orders differently). */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(goStringBytes(a), goStringBytes(b));
}

/** The text with every escaped invalid byte shown as U+FFFD, as a terminal shows Go's raw invalid bytes. */
export function displayGoString(text: string): string {
  return hasEscape(text) ? text.replace(LONE_ESCAPE, '\ufffd') : text;
}

/** Number of runes Go's `utf8.RuneCountInString` counts for the bytes behind `text`. */
export function goRuneCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; anything else (incl. lone escapes) is one rune.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** A lone escape surrogate, i.e. not the second half of a surrogate pair. */
const LONE_ESCAPE = /(?<![\ud800-\udbff])[\udc80-\udcff]/g;

function hasEscape(text: string): boolean {
  LONE_ESCAPE.lastIndex = 0;
  const found = LONE_ESCAPE.test(text);
  LONE_ESCAPE.lastIndex = 0;
  return found;
}

/** Go `utf8.DecodeRune`: the length of the valid sequence at `i`, or 0 when the byte at `i` is invalid. */
function validSequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i];
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && buf[i + k] >= lo && buf[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function decodeSlow(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const n = validSequenceLength(buf, i, end);
    if (n === 0) {
      out += String.fromCharCode(ESCAPE_BASE + buf[i]);
      i++;
    } else {
      out += Buffer.from(buf.buffer, buf.byteOffset + i, n).toString('utf8');
      i += n;
    }
  }
  return out;
}
