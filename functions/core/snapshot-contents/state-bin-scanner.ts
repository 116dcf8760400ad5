import { messageTypeName } from './message-types';
import type { StateBinDefect } from './errors';
import * as format from './msgpack-format';

/**
 * The streaming skip-parser under the state.bin decoder (internal to this domain).
 *
 * state.bin is a msgpack `{LastIndex}` header, then records of one type byte and one msgpack value, until EOF; there is
 * no length prefix, so records are delimited only by parsing (reference state-bin.md §2). The scanner walks every
 * value with an explicit stack of remaining item counts, skips str/bin/ext payloads by length, and carries headers
 * that straddle chunks in a small buffer: memory is O(nesting depth), never O(record size).
 *
 * Records of the types a {@link ScanPlan} names get selected top-level fields (or the whole value) captured as raw
 * msgpack bytes: in place when they lie in the current chunk (no copy), copied only when they straddle a chunk
 * boundary. Captures stay valid until the record callback returns.
 */

/** Pseudo record type of the `{LastIndex}` header in a {@link ScanPlan}. */
export const HEADER_TYPE = 256;

/** What to capture of one record type. */
export interface TypePlan {
  /** Top-level map keys whose values to capture; slot of `fields[i]` is `i + 1`. */
  readonly fields: readonly Uint8Array[];
  /** Capture the whole value in slot 0. */
  readonly whole: boolean;
}

/** Per type id (0..255, and {@link HEADER_TYPE}): what to capture, or undefined to only count. */
export type ScanPlan = readonly (TypePlan | undefined)[];

/** Called at the end of each record; `size` follows inspect's rule (type byte + value; first record + header). */
export type RecordCallback = (type: number, size: number) => void;

/** Thrown by a record callback when a captured field makes no sense; the scanner adds record, type and offset. */
export class RecordDefect extends Error {}

// Module-local copies: an imported binding may compile to a property getter (esbuild's CommonJS output under tsx),
// which costs more than the whole table lookup in this loop.
const FORMAT_ARRAY = format.FORMAT_ARRAY;
const FORMAT_BYTES = format.FORMAT_BYTES;
const FORMAT_CLASS = format.FORMAT_CLASS;
const FORMAT_FIXED = format.FORMAT_FIXED;
const FORMAT_HEAD = format.FORMAT_HEAD;
const FORMAT_INVALID = format.FORMAT_INVALID;
const FORMAT_MAP = format.FORMAT_MAP;
const formatLength = format.formatLength;
const isStringFormat = format.isStringFormat;

const PHASE_TYPE = 0;
const PHASE_VALUE = 1;
const SLOT_EMPTY = 0;
const SLOT_IN_CHUNK = 1;
const SLOT_SPILLED = 2;
/** Top-level keys longer than this cannot be a wanted field name: they are not buffered. */
const MAX_KEY_BYTES = 256;

/** A growable byte buffer, reused across records. */
class Spill {
  buf: Buffer = Buffer.allocUnsafe(256);
  len = 0;

  append(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.len + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf.set(src.subarray(from, to), this.len);
    this.len += n;
  }
}

/** The scanner. Feed chunks with {@link write}; call {@link finish} at EOF. */
export class StateBinScanner {
  /** Records seen (header excluded). */
  records = 0;
  /** Bytes consumed through the end of the last complete record (inspect's TotalSize). */
  totalSize = 0;
  /** Bytes written so far. */
  offset = 0;
  /** The first defect; once set, further input is ignored. */
  defect?: StateBinDefect;

  private chunk: Uint8Array = new Uint8Array(0);
  private phase = PHASE_VALUE;
  private type = HEADER_TYPE;
  private plan: TypePlan | undefined;
  private recordStart = 0;
  private valueDone = false;
  // Value walk.
  private stack = new Float64Array(32);
  private depth = 0;
  private skip = 0;
  private readonly head = new Uint8Array(format.MAX_FORMAT_HEAD);
  private headHave = 0;
  private headOffset = 0;
  // Top-level field tracking (depth 1 of a map record whose type has wanted fields).
  private trackDepth = -1;
  private topNextIsKey = true;
  private topIsKey = false;
  private topCapture = false;
  private topStart = 0;
  private topSpilled = false;
  private field = -1;
  private fieldsCaptured = 0;
  private readonly keySpill = new Spill();
  // Whole-value capture.
  private wholeActive = false;
  private wholeStart = 0;
  private wholeSpilled = false;
  // Captured slots: 0 = whole value, i + 1 = plan.fields[i].
  private slotState = new Uint8Array(8);
  private slotStart: number[] = [];
  private slotEnd: number[] = [];
  private slotSpill: Spill[] = [];

  constructor(
    private readonly plans: ScanPlan,
    private readonly onRecord: RecordCallback,
  ) {
    const slots = 1 + Math.max(0, ...plans.map((p) => p?.fields.length ?? 0));
    this.slotState = new Uint8Array(slots);
    for (let i = 0; i < slots; i++) {
      this.slotStart.push(0);
      this.slotEnd.push(0);
      this.slotSpill.push(new Spill());
    }
    this.beginValue(HEADER_TYPE, 0, 0);
  }

  /** True when `slot` was captured in the current record. */
  has(slot: number): boolean {
    return this.slotState[slot] !== SLOT_EMPTY;
  }

  /** The buffer holding the captured value of `slot` (between {@link start} and {@link end}). */
  bytes(slot: number): Uint8Array {
    return this.slotState[slot] === SLOT_IN_CHUNK ? this.chunk : this.slotSpill[slot].buf;
  }

  /** Offset of the captured value's first byte in {@link bytes}. */
  start(slot: number): number {
    return this.slotStart[slot];
  }

  /** Offset just past the captured value in {@link bytes}. */
  end(slot: number): number {
    return this.slotEnd[slot];
  }

  /** The current record's number (1-based; 0 while in the header). */
  get recordNumber(): number {
    return this.type === HEADER_TYPE ? 0 : this.records;
  }

  /** Consumes one chunk. A defect stops the scan (see {@link defect}); nothing is thrown for bad input. */
  write(c: Uint8Array): void {
    if (this.defect !== undefined) {
      this.offset += c.length;
      return;
    }
    this.chunk = c;
    const end = c.length;
    let pos = 0;
    try {
      if (this.offset === 0 && end > 0) this.checkHeader(c[0]);
      while (pos < end) {
        if (this.phase === PHASE_TYPE) {
          this.records++;
          this.beginValue(c[pos], this.offset + pos, pos + 1);
          pos++;
        }
        pos = this.scan(c, pos, end);
        if (this.valueDone) this.endRecord(pos);
      }
      if (this.phase === PHASE_VALUE) this.spillAtChunkEnd(end);
    } catch (err) {
      if (!(err instanceof RecordDefect)) throw err;
      if (this.defect === undefined) this.fail(this.recordStart, err.message);
    }
    this.offset += end;
  }

  /** Declares EOF: a record left open is a defect. */
  finish(): void {
    if (this.defect !== undefined || this.phase === PHASE_TYPE) return;
    if (this.type === HEADER_TYPE && this.offset === 0) return this.fail(0, 'the file is empty: there is no {LastIndex} header');
    const into = this.offset - this.recordStart - (this.type === HEADER_TYPE ? 0 : 1);
    const reason = into === 0 ? 'the file ends right after the type byte (a stray trailing byte?)' : `the file ends ${into} bytes into the value`;
    this.fail(this.offset, reason);
  }

  private fail(offset: number, reason: string): void {
    const header = this.type === HEADER_TYPE;
    this.defect = {
      record: this.recordNumber,
      ...(header ? {} : { type: this.type }),
      typeName: header ? 'header' : messageTypeName(this.type),
      offset,
      reason,
    };
  }

  private beginValue(type: number, recordStart: number, valueAt: number): void {
    this.phase = PHASE_VALUE;
    this.type = type;
    this.recordStart = recordStart;
    this.plan = this.plans[type];
    this.valueDone = false;
    this.depth = 0;
    this.trackDepth = -1;
    this.field = -1;
    this.fieldsCaptured = 0;
    this.topCapture = false;
    if (this.plan !== undefined) this.slotState.fill(SLOT_EMPTY);
    this.wholeActive = this.plan?.whole === true;
    this.wholeStart = valueAt;
    this.wholeSpilled = false;
  }

  private endRecord(pos: number): void {
    const end = this.offset + pos;
    if (this.wholeActive) this.finishSlot(0, this.wholeStart, this.wholeSpilled, pos);
    this.wholeActive = false;
    this.phase = PHASE_TYPE;
    if (this.type === HEADER_TYPE) {
      this.onRecord(HEADER_TYPE, 0);
      return;
    }
    const size = end - this.totalSize;
    this.totalSize = end;
    this.onRecord(this.type, size);
  }

  /** Walks the current value from `pos`; returns where it stopped (the value's end, or `end`). */
  private scan(c: Uint8Array, pos: number, end: number): number {
    for (;;) {
      if (this.skip > 0) {
        const avail = end - pos;
        if (this.skip > avail) {
          this.skip -= avail;
          return end;
        }
        pos += this.skip;
        this.skip = 0;
        if (this.itemEnd(pos)) return pos;
      }
      if (pos >= end) return end;
      let done: boolean;
      if (this.headHave > 0) {
        // Finish a header begun in an earlier chunk.
        const need = FORMAT_HEAD[this.head[0]];
        const take = Math.min(need - this.headHave, end - pos);
        this.head.set(c.subarray(pos, pos + take), this.headHave);
        this.headHave += take;
        pos += take;
        if (this.headHave < need) return end;
        this.headHave = 0;
        done = this.beginItem(this.head, 0, this.headOffset);
      } else {
        const b = c[pos];
        if (this.depth === this.trackDepth) this.topItemStart(pos);
        // Inline fast paths for the forms that make up most of a Consul record.
        if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
          pos++;
          done = true;
        } else if (b >= 0xa0 && b <= 0xbf) {
          const n = b & 0x1f;
          pos++;
          if (pos + n <= end) {
            pos += n;
            done = true;
          } else {
            this.skip = n;
            done = false;
          }
        } else if (b <= 0x9f) {
          pos++;
          done = b <= 0x8f ? this.open(2 * (b & 0x0f), true) : this.open(b & 0x0f, false);
        } else {
          const need = FORMAT_HEAD[b];
          if (pos + need > end) {
            this.head.set(c.subarray(pos, end), 0);
            this.headHave = end - pos;
            this.headOffset = this.offset + pos;
            return end;
          }
          done = this.beginItem(c, pos, this.offset + pos);
          pos += need;
        }
      }
      if (!done) continue;
      // Most items are neither the last of their container nor a tracked top-level item.
      const d = this.depth;
      if (d > 0 && d !== this.trackDepth && this.stack[d - 1] > 1) {
        this.stack[d - 1]--;
        continue;
      }
      if (this.itemEnd(pos)) return pos;
    }
  }

  /** Starts the item whose (complete) header is at `buf[at]`; true when the item is already complete. */
  private beginItem(buf: Uint8Array, at: number, offset: number): boolean {
    const b = buf[at];
    const cls = FORMAT_CLASS[b];
    if (cls === FORMAT_FIXED) return true;
    if (cls === FORMAT_BYTES) {
      this.skip = formatLength(buf, at);
      return this.skip === 0;
    }
    if (cls === FORMAT_INVALID) throw this.defectAt(offset, 'byte 0xc1 is not a msgpack value (the format reserves it)');
    const n = formatLength(buf, at);
    return cls === FORMAT_MAP ? this.open(2 * n, true) : this.open(n, false);
  }

  /** Opens a container of `items` items; true when it is empty (and so already complete). */
  private open(items: number, isMap: boolean): boolean {
    if (this.depth === 0) {
      this.topNextIsKey = true;
      if (isMap && this.plan !== undefined && this.plan.fields.length > 0) this.trackDepth = 1;
    }
    if (items === 0) return true;
    if (this.depth === this.stack.length) {
      const bigger = new Float64Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    this.stack[this.depth++] = items;
    return false;
  }

  /** The header value must be a map (Consul decodes it into `SnapshotHeader`). */
  private checkHeader(b: number): void {
    const cls = FORMAT_CLASS[b];
    if (cls === FORMAT_MAP) return;
    const kind = cls === FORMAT_ARRAY ? 'an array' : isStringFormat(b) ? 'a string' : 'a scalar';
    throw this.defectAt(0, `the header is ${kind}, not a msgpack map {LastIndex}`);
  }

  private defectAt(offset: number, reason: string): RecordDefect {
    this.fail(offset, reason);
    return new RecordDefect(reason);
  }

  /** An item ended at `pos`: pops finished containers; true when the record's value is complete. */
  private itemEnd(pos: number): boolean {
    for (;;) {
      const d = this.depth;
      if (d === 0) {
        this.valueDone = true;
        return true;
      }
      if (d === this.trackDepth) this.topItemEnd(pos);
      if (--this.stack[d - 1] > 0) return false;
      this.depth = d - 1;
    }
  }

  private topItemStart(pos: number): void {
    this.topIsKey = this.topNextIsKey;
    this.topNextIsKey = !this.topIsKey;
    this.topCapture = this.topIsKey || this.field >= 0;
    this.topStart = pos;
    this.topSpilled = false;
  }

  private topItemEnd(pos: number): void {
    if (this.topIsKey) {
      this.field = this.matchKey(pos);
    } else {
      if (this.field >= 0) {
        this.finishSlot(this.field + 1, this.topStart, this.topSpilled, pos);
        // Every wanted field is in: the rest of the record is only skipped. (Consul writes each key once; were a
        // key repeated, Go would keep the last value, this keeps the first.)
        if (++this.fieldsCaptured === (this.plan as TypePlan).fields.length) this.trackDepth = -1;
      }
      this.field = -1;
    }
    this.topCapture = false;
  }

  /** Index in the plan's fields of the key that just ended at `pos`, or -1. */
  private matchKey(pos: number): number {
    let buf = this.chunk;
    let s = this.topStart;
    let e = pos;
    if (this.topSpilled) {
      if (this.keySpill.len + pos > MAX_KEY_BYTES) return -1;
      this.keySpill.append(this.chunk, 0, pos);
      buf = this.keySpill.buf;
      s = 0;
      e = this.keySpill.len;
    }
    if (!isStringFormat(buf[s])) return -1;
    s += FORMAT_HEAD[buf[s]];
    const fields = (this.plan as TypePlan).fields;
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i];
      if (name.length !== e - s) continue;
      let k = 0;
      while (k < name.length && name[k] === buf[s + k]) k++;
      if (k === name.length) return i;
    }
    return -1;
  }

  private finishSlot(slot: number, start: number, spilled: boolean, pos: number): void {
    if (!spilled) {
      this.slotState[slot] = SLOT_IN_CHUNK;
      this.slotStart[slot] = start;
      this.slotEnd[slot] = pos;
      return;
    }
    const spill = this.slotSpill[slot];
    spill.append(this.chunk, 0, pos);
    this.slotState[slot] = SLOT_SPILLED;
    this.slotStart[slot] = 0;
    this.slotEnd[slot] = spill.len;
  }

  /** The chunk is about to be released mid-record: copy what the open record still needs out of it. */
  private spillAtChunkEnd(end: number): void {
    for (let slot = 0; slot < this.slotState.length; slot++) {
      if (this.slotState[slot] !== SLOT_IN_CHUNK) continue;
      const spill = this.slotSpill[slot];
      spill.len = 0;
      spill.append(this.chunk, this.slotStart[slot], this.slotEnd[slot]);
      this.slotState[slot] = SLOT_SPILLED;
      this.slotStart[slot] = 0;
      this.slotEnd[slot] = spill.len;
    }
    if (this.wholeActive) {
      if (!this.wholeSpilled) this.slotSpill[0].len = 0;
      this.slotSpill[0].append(this.chunk, this.wholeStart, end);
      this.wholeStart = 0;
      this.wholeSpilled = true;
    }
    if (this.topCapture) {
      const spill = this.topIsKey ? this.keySpill : this.slotSpill[this.field + 1];
      if (!this.topSpilled) spill.len = 0;
      if (!this.topIsKey || spill.len + end - this.topStart <= MAX_KEY_BYTES) spill.append(this.chunk, this.topStart, end);
      else spill.len = MAX_KEY_BYTES + 1;
      this.topStart = 0;
      this.topSpilled = true;
    }
  }
}
