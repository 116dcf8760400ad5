/**
 * Test-only msgpack encoder that writes Consul's dialect (reference state-bin.md §3): strings and `[]byte` in the str
 * family (`a0|n`, `da`, `db`; never `d9` or bin), the smallest integer form, `cb` floats, Go structs as maps with keys
 * sorted in Go byte order, Go maps in the order given (Go's is random), `time.Time` as its 15-byte `MarshalBinary`.
 * Formats Consul never writes (str8, bin, ext…) are produced with {@link raw}.
 */

/** Pre-encoded msgpack bytes, written as is. */
export class Raw {
  constructor(readonly bytes: Buffer) {}
}

/** A Go map (any key type), written in the order given. */
export class GoMap {
  constructor(readonly entries: readonly (readonly [unknown, unknown])[]) {}
}

/** A Go `time.Time`, written as the raw string of `Time.MarshalBinary` (version 1). */
export class GoTime {
  constructor(
    readonly date: Date,
    /** Zone offset in minutes east of UTC; `utc` writes Go's -1 marker. */
    readonly offsetMinutes: number | 'utc' = 'utc',
  ) {}
}

/** A float64 even when the number is integral (Go `float64(1)` is `cb 3ff0…`). */
export class Float64 {
  constructor(readonly value: number) {}
}

/** Pre-encoded msgpack. */
export function raw(bytes: readonly number[] | Buffer): Raw {
  return new Raw(Buffer.from(bytes));
}

/** A Go map in the given order. */
export function goMap(entries: readonly (readonly [unknown, unknown])[]): GoMap {
  return new GoMap(entries);
}

/** Seconds from 0001-01-01T00:00:00Z to the Unix epoch. */
const GO_EPOCH_OFFSET = 62_135_596_800n;

/** Encodes one value in Consul's msgpack dialect. */
export function encodeMsgpack(value: unknown): Buffer {
  const out: Buffer[] = [];
  write(value, out);
  return Buffer.concat(out);
}

/** The str-family header for `n` payload bytes, as Consul writes it. */
export function strHeader(n: number): Buffer {
  if (n < 32) return Buffer.from([0xa0 | n]);
  if (n < 0x10000) return Buffer.from([0xda, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xdb;
  b.writeUInt32BE(n, 1);
  return b;
}

function containerHeader(n: number, fix: number, b16: number, b32: number): Buffer {
  if (n < 16) return Buffer.from([fix | n]);
  if (n < 0x10000) return Buffer.from([b16, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = b32;
  b.writeUInt32BE(n, 1);
  return b;
}

function writeInt(v: bigint, out: Buffer[]): void {
  if (v >= 0n) {
    if (v <= 0x7fn) return void out.push(Buffer.from([Number(v)]));
    const [tag, width] = v <= 0xffn ? [0xcc, 1] : v <= 0xffffn ? [0xcd, 2] : v <= 0xffffffffn ? [0xce, 4] : [0xcf, 8];
    return void out.push(bigEndian(tag, v, width));
  }
  if (v >= -32n) return void out.push(Buffer.from([Number(v) & 0xff]));
  const [tag, width] = v >= -128n ? [0xd0, 1] : v >= -32768n ? [0xd1, 2] : v >= -2147483648n ? [0xd2, 4] : [0xd3, 8];
  out.push(bigEndian(tag, BigInt.asUintN(width * 8, v), width));
}

function bigEndian(tag: number, v: bigint, width: number): Buffer {
  const b = Buffer.alloc(1 + width);
  b[0] = tag;
  for (let i = width; i >= 1; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
}

function writeBytes(bytes: Buffer, out: Buffer[]): void {
  out.push(strHeader(bytes.length), bytes);
}

function goTimeBytes(t: GoTime): Buffer {
  const b = Buffer.alloc(15);
  const ms = BigInt(t.date.getTime());
  const seconds = (ms - (((ms % 1000n) + 1000n) % 1000n)) / 1000n;
  b[0] = 1;
  b.writeBigInt64BE(seconds + GO_EPOCH_OFFSET, 1);
  b.writeUInt32BE(Number(((ms % 1000n) + 1000n) % 1000n) * 1_000_000, 9);
  b.writeInt16BE(t.offsetMinutes === 'utc' ? -1 : t.offsetMinutes, 13);
  return b;
}

function write(value: unknown, out: Buffer[]): void {
  if (value === null || value === undefined) out.push(Buffer.from([0xc0]));
  else if (value instanceof Raw) out.push(value.bytes);
  else if (typeof value === 'boolean') out.push(Buffer.from([value ? 0xc3 : 0xc2]));
  else if (typeof value === 'bigint') writeInt(value, out);
  else if (typeof value === 'number') {
    if (Number.isInteger(value)) writeInt(BigInt(value), out);
    else write(new Float64(value), out);
  } else if (value instanceof Float64) {
    const b = Buffer.alloc(9);
    b[0] = 0xcb;
    b.writeDoubleBE(value.value, 1);
    out.push(b);
  } else if (typeof value === 'string') writeBytes(Buffer.from(value, 'utf8'), out);
  else if (value instanceof Uint8Array) writeBytes(Buffer.from(value), out);
  else if (value instanceof GoTime) writeBytes(goTimeBytes(value), out);
  else if (Array.isArray(value)) {
    out.push(containerHeader(value.length, 0x90, 0xdc, 0xdd));
    for (const v of value) write(v, out);
  } else if (value instanceof GoMap) {
    out.push(containerHeader(value.entries.length, 0x80, 0xde, 0xdf));
    for (const [k, v] of value.entries) {
      write(k, out);
      write(v, out);
    }
  } else if (typeof value === 'object') {
    // A Go struct: exported field names sorted in Go byte order (codec sfiSortedByEncName).
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    out.push(containerHeader(entries.length, 0x80, 0xde, 0xdf));
    for (const [k, v] of entries) {
      write(k, out);
      write(v, out);
    }
  } else throw new Error(`cannot encode ${typeof value}`);
}
