/**
 * Reads `state.bin` as Consul's `fsm.ReadSnapshot` does (`agent/consul/fsm/fsm.go`): one msgpack header value, then
 * records of one type byte and one msgpack value each, until the bytes end exactly between two records. Fed chunk by
 * chunk; memory holds at most one record (plus the chunk it arrived in).
 */
import { MsgpackFormatError, NeedMoreBytes, readMsgpack } from './msgpack-reader';

/** One record: its type byte, the generic value, and its size as `consul snapshot inspect` counts it. */
export interface StateRecord {
  readonly type: number;
  readonly value: unknown;
  /** The value's msgpack bytes (a view: copy what you keep). */
  readonly raw: Buffer;
  /** 1 (type byte) + the value's bytes; the first record also counts the header's bytes. */
  readonly size: number;
}

/** The byte stream is not a well-formed state.bin (what Go's codec would fail on). */
export class StateBinFormatError extends Error {}

/** Incremental reader: `push` chunks, get records; `end` checks that nothing is left half-read. */
export class StateBinReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed (from the current parse start) before parsing is worth retrying. */
  private need = 1;
  private header: unknown = undefined;
  private headerBytes = 0;
  private recordCount = 0;
  private offset = 0;

  /** The decoded header (`{LastIndex}`), once read. */
  get snapshotHeader(): unknown {
    return this.header;
  }

  /** Bytes consumed so far. */
  get bytesRead(): number {
    return this.offset;
  }

  /** Adds bytes; returns the records that are now complete. */
  push(chunk: Buffer): StateRecord[] {
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.need) return [];
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const out: StateRecord[] = [];
    let pos = 0;
    for (;;) {
      const parsed = this.parseOne(buf, pos);
      if (parsed === undefined) break;
      if (parsed.record) out.push(parsed.record);
      pos = parsed.end;
    }
    buf = buf.subarray(pos);
    this.pending = buf.length ? [buf] : [];
    this.pendingBytes = buf.length;
    return out;
  }

  /** Call at the end of the bytes: throws when they stopped inside a value (Go: `unexpected EOF`). */
  end(): void {
    if (this.header === undefined) throw new StateBinFormatError(this.pendingBytes === 0 ? 'EOF' : 'unexpected EOF');
    if (this.pendingBytes > 0) throw new StateBinFormatError(`failed to decode msg type ${this.pending[0][0]}: unexpected EOF`);
  }

  /** Parses the header or one record at `pos`; `undefined` when more bytes are needed. */
  private parseOne(buf: Buffer, pos: number): { end: number; record?: StateRecord } | undefined {
    const available = buf.length - pos;
    if (available === 0) {
      this.need = 1;
      return undefined;
    }
    const isHeader = this.header === undefined;
    try {
      const { value, end } = readMsgpack(buf, isHeader ? pos : pos + 1);
      this.need = 1;
      this.offset += end - pos;
      if (isHeader) {
        this.header = value;
        this.headerBytes = end - pos;
        return { end };
      }
      const size = end - pos + (this.recordCount++ === 0 ? this.headerBytes : 0);
      return { end, record: { type: buf[pos], value, raw: buf.subarray(pos + 1, end), size } };
    } catch (err) {
      if (err instanceof NeedMoreBytes) {
        this.need = err.need + (isHeader ? 0 : 1);
        return undefined;
      }
      if (err instanceof MsgpackFormatError) throw new StateBinFormatError(isHeader ? err.message : `failed to decode msg type ${buf[pos]}: ${err.message}`);
      throw err;
    }
  }
}
