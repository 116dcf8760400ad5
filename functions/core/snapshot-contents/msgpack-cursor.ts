import { decodeGoString } from './go-text';
import {
  FORMAT_ARRAY,
  FORMAT_BYTES,
  FORMAT_CLASS,
  FORMAT_HEAD,
  FORMAT_INVALID,
  FORMAT_MAP,
  formatLength,
  isStringFormat,
  skipValueInBuffer,
  SKIP_INVALID,
} from './msgpack-format';
import { RecordDefect } from './scan-plan';

/**
 * A forward reader over one complete msgpack value held in memory (a field the scanner captured). It decodes only
 * what is asked for and skips the rest by length. Anything truncated or of an unexpected type throws a
 * {@link RecordDefect}, which the decoder reports with the record's number, type and offset.
 */
export class MsgpackCursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** Payload bounds of the last string read by {@link readString}. */
  strStart = 0;
  strEnd = 0;

  /** Points the cursor at `buf[start, end)`. */
  reset(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** The next value's format byte. */
  peek(): number {
    this.need(1);
    return this.buf[this.pos];
  }

  /** Consumes a nil and returns true, or returns false without moving. */
  readNil(): boolean {
    if (this.peek() !== 0xc0) return false;
    this.pos++;
    return true;
  }

  /** Reads a str/bin value (its payload bounds go to `strStart`/`strEnd`); false for nil. */
  readString(what = 'value'): boolean {
    if (this.readNil()) {
      this.strStart = this.strEnd = this.pos;
      return false;
    }
    const b = this.peek();
    if (!isStringFormat(b)) throw new RecordDefect(`${what} is ${describeFormat(b)}, not a string`);
    this.need(FORMAT_HEAD[b]);
    const n = formatLength(this.buf, this.pos);
    this.pos += FORMAT_HEAD[b];
    this.need(n);
    this.strStart = this.pos;
    this.strEnd = this.pos + n;
    this.pos += n;
    return true;
  }

  /** A str/bin value as text (invalid UTF-8 escaped, see `go-text.ts`); `''` for nil. */
  readText(what = 'value'): string {
    return this.readString(what) ? decodeGoString(this.buf, this.strStart, this.strEnd) : '';
  }

  /** A non-negative integer (any width); nil reads as 0n. */
  readUint64(what = 'value'): bigint {
    if (this.readNil()) return 0n;
    const b = this.peek();
    if (b <= 0x7f) {
      this.pos++;
      return BigInt(b);
    }
    const width = b === 0xcc ? 1 : b === 0xcd ? 2 : b === 0xce ? 4 : b === 0xcf ? 8 : 0;
    if (width === 0) throw new RecordDefect(`${what} is ${describeFormat(b)}, not an unsigned integer`);
    this.need(1 + width);
    let v = 0n;
    for (let i = 1; i <= width; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i]);
    this.pos += 1 + width;
    return v;
  }

  /** A non-negative integer that must fit a JavaScript number exactly (raft indexes, counters). */
  readUint(what = 'value'): number {
    const v = this.readUint64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RecordDefect(`${what} ${v} is larger than 2^53`);
    return Number(v);
  }

  /** A bool; nil reads as false. */
  readBool(what = 'value'): boolean {
    if (this.readNil()) return false;
    const b = this.peek();
    if (b !== 0xc2 && b !== 0xc3) throw new RecordDefect(`${what} is ${describeFormat(b)}, not a bool`);
    this.pos++;
    return b === 0xc3;
  }

  /** Reads a map header and returns its number of pairs; nil (a nil Go map or pointer) reads as 0. */
  readMapLength(what = 'value'): number {
    return this.readContainer(FORMAT_MAP, what);
  }

  /** Reads an array header and returns its number of items; nil (a nil Go slice) reads as 0. */
  readArrayLength(what = 'value'): number {
    return this.readContainer(FORMAT_ARRAY, what);
  }

  /**
   * With the cursor on a map, moves to the value of the (string) key `name` and returns true; returns false, with
   * the cursor after the map, when there is no such key.
   */
  seekField(name: Uint8Array, what = 'value'): boolean {
    const pairs = this.readMapLength(what);
    for (let i = 0; i < pairs; i++) {
      if (isStringFormat(this.peek())) {
        this.readString();
        if (equalBytes(this.buf, this.strStart, this.strEnd, name)) return true;
      } else this.skip();
      this.skip();
    }
    return false;
  }

  /**
   * Reads one map key and returns its index in `names`, or -1 (another key, or a non-string key, which is skipped).
   * The caller then reads or {@link skip}s the value.
   */
  readKeyIndex(names: readonly Uint8Array[]): number {
    if (!isStringFormat(this.peek())) {
      this.skip();
      return -1;
    }
    this.readString();
    for (let i = 0; i < names.length; i++) if (equalBytes(this.buf, this.strStart, this.strEnd, names[i])) return i;
    return -1;
  }

  /** Skips one value, however deeply nested, by lengths. */
  skip(): void {
    const next = skipValueInBuffer(this.buf, this.pos, this.end);
    if (next === SKIP_INVALID) throw new RecordDefect('byte 0xc1 is not a msgpack value');
    if (next < 0) throw new RecordDefect('a value ends before its declared length');
    this.pos = next;
  }

  /** The raw bytes of the next value (a view, valid while the captured field is), skipping it. */
  rawValue(): Buffer {
    const start = this.pos;
    this.skip();
    return this.buf.subarray(start, this.pos);
  }

  private readContainer(cls: number, what: string): number {
    if (this.readNil()) return 0;
    const b = this.peek();
    if (FORMAT_CLASS[b] !== cls) throw new RecordDefect(`${what} is ${describeFormat(b)}, not ${cls === FORMAT_MAP ? 'a map' : 'an array'}`);
    this.need(FORMAT_HEAD[b]);
    const n = formatLength(this.buf, this.pos);
    this.pos += FORMAT_HEAD[b];
    return n;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RecordDefect('a value ends before its declared length');
  }
}

/** `a map`, `a string`, `nil`… for error messages. */
export function describeFormat(b: number): string {
  if (b === 0xc0) return 'nil';
  if (b === 0xc2 || b === 0xc3) return 'a bool';
  if (b === 0xca || b === 0xcb) return 'a float';
  if (isStringFormat(b)) return 'a string';
  const cls = FORMAT_CLASS[b];
  if (cls === FORMAT_MAP) return 'a map';
  if (cls === FORMAT_ARRAY) return 'an array';
  if (cls === FORMAT_BYTES || (b >= 0xd4 && b <= 0xd8)) return 'an ext value';
  if (cls === FORMAT_INVALID) return 'the reserved byte 0xc1';
  return 'an integer';
}

/** True when `buf[start, end)` equals `name`. */
export function equalBytes(buf: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name[i]) return false;
  return true;
}
