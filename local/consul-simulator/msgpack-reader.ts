/**
 * A msgpack reader for `state.bin` that works on a stream: it parses one value at a time out of whatever bytes have
 * arrived and reports how many more it needs, so records are delimited only by parsing them (state-bin.md §2.2).
 * Own code rather than a library because state.bin interleaves raw type bytes between values, needs byte offsets
 * (record sizes), must keep str payloads as bytes (`RawToString`: KV values are arbitrary binary) and must accept
 * every msgpack format on input (bin, str8, ext) even though Consul writes none of them.
 */

/** Thrown when the bytes end inside a value; `need` is the total byte count (from the value's start) known so far. */
export class NeedMoreBytes {
  constructor(readonly need: number) {}
}

/** A malformed value (e.g. the never-used `c1` byte). */
export class MsgpackFormatError extends Error {}

/** An ext value (Consul writes none; decoders must still accept them). */
export interface MsgpackExt {
  readonly ext: number;
  readonly data: Uint8Array;
}

const MAX_DEPTH = 512;

/**
 * Parses one value from `buf` at `start`. Returns the value and the offset after it, or throws {@link NeedMoreBytes}.
 * Maps become plain objects (keys as UTF-8 text), str/bin become Uint8Array views into `buf` (copy what you keep),
 * integers beyond 2^53 become bigints.
 */
export function readMsgpack(buf: Buffer, start: number): { value: unknown; end: number } {
  const r = new Cursor(buf, start);
  const value = r.value(0);
  return { value, end: r.pos };
}

class Cursor {
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    public pos = start,
  ) {}

  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new NeedMoreBytes(at + n - this.start);
    this.pos = at + n;
    return at;
  }

  private u8(): number {
    return this.buf[this.take(1)];
  }

  private bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  private uint(size: number): number | bigint {
    const at = this.take(size);
    if (size === 1) return this.buf[at];
    if (size === 2) return this.buf.readUInt16BE(at);
    if (size === 4) return this.buf.readUInt32BE(at);
    const big = this.buf.readBigUInt64BE(at);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  private int(size: number): number | bigint {
    const at = this.take(size);
    if (size === 1) return this.buf.readInt8(at);
    if (size === 2) return this.buf.readInt16BE(at);
    if (size === 4) return this.buf.readInt32BE(at);
    const big = this.buf.readBigInt64BE(at);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  private len(size: number): number {
    return Number(this.uint(size));
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new MsgpackFormatError('msgpack value nested too deeply');
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f, depth);
    if (b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b <= 0xbf) return this.bytes(b & 0x1f);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.bytes(this.len(1));
      case 0xc5:
      case 0xda:
        return this.bytes(this.len(2));
      case 0xc6:
      case 0xdb:
        return this.bytes(this.len(4));
      case 0xc7:
        return this.ext(this.len(1));
      case 0xc8:
        return this.ext(this.len(2));
      case 0xc9:
        return this.ext(this.len(4));
      case 0xca:
        return this.buf.readFloatBE(this.take(4));
      case 0xcb:
        return this.buf.readDoubleBE(this.take(8));
      case 0xcc:
        return this.uint(1);
      case 0xcd:
        return this.uint(2);
      case 0xce:
        return this.uint(4);
      case 0xcf:
        return this.uint(8);
      case 0xd0:
        return this.int(1);
      case 0xd1:
        return this.int(2);
      case 0xd2:
        return this.int(4);
      case 0xd3:
        return this.int(8);
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xdc:
        return this.array(this.len(2), depth);
      case 0xdd:
        return this.array(this.len(4), depth);
      case 0xde:
        return this.map(this.len(2), depth);
      case 0xdf:
        return this.map(this.len(4), depth);
      default:
        throw new MsgpackFormatError(`unrecognized msgpack descriptor byte 0x${b.toString(16)}`);
    }
  }

  private ext(n: number): MsgpackExt {
    const type = this.buf.readInt8(this.take(1));
    return { ext: type, data: this.bytes(n) };
  }

  private array(n: number, depth: number): unknown[] {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(n: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const raw = this.value(depth + 1);
      const key = raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : String(raw);
      const value = this.value(depth + 1);
      // A `__proto__` key must stay data, never become the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  }
}
