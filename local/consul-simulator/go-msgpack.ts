/**
 * The msgpack dialect Consul writes into `state.bin` (state-bin.md §3): `hashicorp/consul-net-rpc`'s go-msgpack codec
 * with `structs.MsgpackHandle` (`RawToString`, no extensions). Strings and `[]byte` are both the str family (never
 * `d9`/bin), integers take their smallest form, floats are `cb`, nil is `c0`. Hand-written on purpose: no npm msgpack
 * library can be told to write bytes as str16/str32 and skip str8, which is what makes Consul's bytes what they are.
 */

/** A Go `time.Time` as `MarshalBinary` sees it. */
export interface GoTime {
  /** Seconds since the Unix epoch (may be negative: the zero time is year 1). */
  readonly unixSeconds: bigint;
  /** Nanoseconds within the second, 0–999 999 999. */
  readonly nanos: number;
  /** Zone offset in minutes east of UTC, or `'UTC'` for a time whose location is UTC (written as `-1`). */
  readonly offset: number | 'UTC';
}

/** Seconds between 0001-01-01T00:00:00Z (Go's zero time) and the Unix epoch. */
const UNIX_TO_INTERNAL = 62_135_596_800n;
/** The zero `time.Time`, as a never-set field holds it. */
export const ZERO_GO_TIME: GoTime = { unixSeconds: -UNIX_TO_INTERNAL, nanos: 0, offset: 'UTC' };

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 time (as Consul's JSON renders `time.Time`) into a {@link GoTime}. A `Z` suffix yields
 * `zoneForZ`: `'UTC'` for times Consul keeps in UTC, `0` for times it stamps with `time.Now()` on a server whose local
 * zone is UTC (Go writes offset 0 then, not `-1`, because the location is `Local`).
 */
export function parseGoTime(text: string, zoneForZ: number | 'UTC' = 'UTC'): GoTime {
  const m = RFC3339.exec(text);
  if (!m) throw new Error(`not an RFC 3339 time: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offset = zone === 'Z' ? zoneForZ : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999 (Go's zero time is year 1).
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const wall = date.getTime() / 1000;
  const unixSeconds = BigInt(wall) - BigInt(offset === 'UTC' ? 0 : offset * 60);
  return { unixSeconds, nanos: frac ? Number(frac.padEnd(9, '0')) : 0, offset };
}

/** Formats a {@link GoTime} like Go's `RFC3339Nano` (the inverse of {@link parseGoTime}). */
export function formatGoTime(t: GoTime): string {
  const offsetMin = t.offset === 'UTC' ? 0 : t.offset;
  const wall = new Date(Number(t.unixSeconds + BigInt(offsetMin * 60)) * 1000).toISOString().slice(0, 19);
  const frac = t.nanos === 0 ? '' : `.${String(t.nanos).padStart(9, '0').replace(/0+$/, '')}`;
  if (offsetMin === 0) return `${wall}${frac}Z`;
  const abs = Math.abs(offsetMin);
  return `${wall}${frac}${offsetMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Go `Time.MarshalBinary` (version 1): 15 bytes, zone offset `-1` for UTC. */
export function goTimeBinary(t: GoTime): Buffer {
  const out = Buffer.alloc(15);
  out[0] = 1;
  out.writeBigInt64BE(t.unixSeconds + UNIX_TO_INTERNAL, 1);
  out.writeUInt32BE(t.nanos, 9);
  out.writeInt16BE(t.offset === 'UTC' ? -1 : t.offset, 13);
  return out;
}

/** Go `Time.UnmarshalBinary` for versions 1 and 2; throws Go's text for anything else. */
export function goTimeFromBinary(b: Uint8Array): GoTime {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length === 0) throw new Error('Time.UnmarshalBinary: no data');
  if (buf[0] !== 1 && buf[0] !== 2) throw new Error('Time.UnmarshalBinary: unsupported version');
  if (buf.length !== (buf[0] === 1 ? 15 : 16)) throw new Error('Time.UnmarshalBinary: invalid length');
  const offsetMin = buf.readInt16BE(13);
  const extraSeconds = buf[0] === 2 ? buf.readInt8(15) : 0;
  return {
    unixSeconds: buf.readBigInt64BE(1) - UNIX_TO_INTERNAL,
    nanos: buf.readUInt32BE(9),
    offset: offsetMin === -1 ? 'UTC' : offsetMin + extraSeconds / 60,
  };
}

/** A growable byte buffer with the Go codec's wire forms. */
export class GoMsgpackWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes written so far (a copy-free view until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Clears the content, keeping the allocation. */
  reset(): void {
    this.len = 0;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Appends raw bytes (e.g. a type byte or a pre-encoded value). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** One raw byte. */
  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b;
    return this;
  }

  /** `c0`. */
  nil(): this {
    return this.byte(0xc0);
  }

  /** `c2`/`c3`. */
  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2);
  }

  /** An integer in its smallest form (`encodeInt`/`encodeUint`); bigint for values beyond 2^53. */
  int(v: number | bigint): this {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError(`not an integer: ${v}`);
    if (typeof v === 'number' && v >= 0 && v < 0x80) return this.byte(v);
    const n = BigInt(v);
    if (n >= 0n) {
      if (n < 0x100n) return this.fixed(0xcc, 1, n);
      if (n < 0x10000n) return this.fixed(0xcd, 2, n);
      if (n < 0x100000000n) return this.fixed(0xce, 4, n);
      if (n < 1n << 64n) return this.fixed(0xcf, 8, n);
      throw new RangeError(`uint64 overflow: ${n}`);
    }
    if (n >= -32n) return this.byte(Number(n) & 0xff);
    if (n >= -128n) return this.fixed(0xd0, 1, n);
    if (n >= -32768n) return this.fixed(0xd1, 2, n);
    if (n >= -2147483648n) return this.fixed(0xd2, 4, n);
    if (n >= -(1n << 63n)) return this.fixed(0xd3, 8, n);
    throw new RangeError(`int64 overflow: ${n}`);
  }

  /** A format byte followed by `size` big-endian bytes of `n` (two's complement for negatives). */
  private fixed(format: number, size: number, n: bigint): this {
    this.ensure(1 + size);
    this.buf[this.len++] = format;
    let rest = BigInt.asUintN(size * 8, n);
    for (let i = size - 1; i >= 0; i--) {
      this.buf[this.len + i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    this.len += size;
    return this;
  }

  /** `cb` + IEEE 754 double. */
  float64(v: number): this {
    this.ensure(9);
    this.buf[this.len++] = 0xcb;
    this.buf.writeDoubleBE(v, this.len);
    this.len += 8;
    return this;
  }

  /** The str-family header for `n` payload bytes: fixstr < 32, else `da` u16, else `db` u32 (never `d9`). */
  strHeader(n: number): this {
    this.ensure(5);
    if (n < 32) return this.byte(0xa0 | n);
    return n < 0x10000 ? this.fixed(0xda, 2, BigInt(n)) : this.fixed(0xdb, 4, BigInt(n));
  }

  /** A string (UTF-8) or `[]byte` payload, both as the str family. */
  str(v: string | Uint8Array): this {
    const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    return this.strHeader(bytes.length).raw(bytes);
  }

  /** Array header: fixarray < 16, `dc` u16, `dd` u32. */
  arrayHeader(n: number): this {
    return this.containerHeader(n, 0x90, 0xdc);
  }

  /** Map header: fixmap < 16, `de` u16, `df` u32. */
  mapHeader(n: number): this {
    return this.containerHeader(n, 0x80, 0xde);
  }

  private containerHeader(n: number, fix: number, wide: number): this {
    if (n < 16) return this.byte(fix | n);
    return n < 0x10000 ? this.fixed(wide, 2, BigInt(n)) : this.fixed(wide + 1, 4, BigInt(n));
  }

  /** A `time.Time`: its 15-byte `MarshalBinary` as a str (`af` + 15 bytes). */
  time(t: GoTime): this {
    return this.str(goTimeBinary(t));
  }
}
