import { CapturedSlots, Spill } from './captured-slots';
import type { StateBinDefect } from './errors';
import { messageTypeName } from './message-types';
import { FORMAT_ARRAY, FORMAT_BYTES, FORMAT_CLASS, FORMAT_FIXED, FORMAT_HEAD, FORMAT_INVALID, FORMAT_MAP, formatLength, isStringFormat, MAX_FORMAT_HEAD } from './msgpack-format';
import { matchField, walkRecordInChunk } from './record-walk';
import { HEADER_TYPE, RecordDefect, type ScanPlan, type TypePlan } from './scan-plan';

/** Called at the end of each record; `size` follows inspect's rule (type byte + value; first record + header). */
export type RecordCallback = (type: number, size: number) => void;

/**
 * The streaming skip-parser under the state.bin decoder (internal to this domain).
 *
 * state.bin is a msgpack `{LastIndex}` header, then records of one type byte and one msgpack value, until EOF; there is
 * no length prefix, so records are delimited only by parsing (reference state-bin.md §2). A record whose value lies
 * wholly in the current chunk is walked in place by a tight loop (`record-walk.ts`); the one that straddles a chunk
 * boundary goes through the state machine here, which keeps an explicit stack of remaining item counts, skips
 * str/bin/ext payloads by length and carries headers split across chunks in a small buffer. Memory is O(nesting
 * depth), never O(record size).
 *
 * Records of the types a {@link ScanPlan} names get selected top-level fields (or the whole value) captured as raw
 * msgpack bytes: in place when they lie in the current chunk, copied only when they straddle a boundary. Captures are
 * valid until the record callback returns.
 */

const PHASE_TYPE = 0;
const PHASE_VALUE = 1;
/** Top-level keys longer than this cannot be a wanted field name: they are not buffered. */
const MAX_KEY_BYTES = 256;

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
  /** The current record's captured fields. */
  readonly captured: CapturedSlots;

  private phase = PHASE_VALUE;
  private type = HEADER_TYPE;
  private plan: TypePlan | undefined;
  private recordStart = 0;
  private valueDone = false;
  // Streaming value walk.
  private stack = new Float64Array(32);
  private depth = 0;
  private skip = 0;
  private readonly head = new Uint8Array(MAX_FORMAT_HEAD);
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

  constructor(
    private readonly plans: ScanPlan,
    private readonly onRecord: RecordCallback,
  ) {
    this.captured = new CapturedSlots(1 + Math.max(0, ...plans.map((p) => p?.fields.length ?? 0)));
    this.beginValue(HEADER_TYPE, 0, 0);
  }

  /** The current record's number (1-based; 0 while in the header). */
  get recordNumber(): number {
    return this.type === HEADER_TYPE ? 0 : this.records;
  }

  /** Consumes one chunk. A defect stops the scan (see {@link defect}); nothing is thrown for bad input. */
  write(chunk: Uint8Array): void {
    const end = chunk.length;
    if (this.defect !== undefined) {
      this.offset += end;
      return;
    }
    // Sinks read captured bytes as a Buffer (latin1 keys without a copy): wrap a plain Uint8Array once per chunk.
    const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, end);
    this.captured.chunk = c;
    let pos = 0;
    try {
      if (this.offset === 0 && end > 0) this.checkHeader(c[0]);
      while (pos < end) {
        if (this.phase === PHASE_TYPE) {
          this.records++;
          this.beginValue(c[pos], this.offset + pos, pos + 1);
          pos++;
          // Fast path: the whole value is in this chunk.
          const next = walkRecordInChunk(c, pos, end, this.plan, this.captured);
          if (next >= 0) {
            this.endRecord(next, false);
            pos = next;
            continue;
          }
          // Not here (or malformed): the streaming walk starts over on the same bytes.
          if (this.plan !== undefined) this.captured.reset();
        }
        pos = this.scan(c, pos, end);
        if (this.valueDone) this.endRecord(pos, true);
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
    if (this.plan !== undefined) this.captured.reset();
    this.wholeActive = this.plan?.whole === true;
    this.wholeStart = valueAt;
    this.wholeSpilled = false;
  }

  private endRecord(pos: number, streamed: boolean): void {
    if (streamed && this.wholeActive) this.finishCapture(0, this.wholeStart, this.wholeSpilled, pos);
    this.wholeActive = false;
    this.phase = PHASE_TYPE;
    if (this.type === HEADER_TYPE) return this.onRecord(HEADER_TYPE, 0);
    const end = this.offset + pos;
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
        if (this.depth === this.trackDepth) this.topItemStart(pos);
        const need = FORMAT_HEAD[c[pos]];
        if (pos + need > end) {
          this.head.set(c.subarray(pos, end), 0);
          this.headHave = end - pos;
          this.headOffset = this.offset + pos;
          return end;
        }
        done = this.beginItem(c, pos, this.offset + pos);
        pos += need;
      }
      if (done && this.itemEnd(pos)) return pos;
    }
  }

  /** Starts the item whose (complete) header is at `buf[at]`; true when the item is already complete. */
  private beginItem(buf: Uint8Array, at: number, offset: number): boolean {
    const cls = FORMAT_CLASS[buf[at]];
    if (cls === FORMAT_FIXED) return true;
    if (cls === FORMAT_INVALID) throw this.defectAt(offset, 'byte 0xc1 is not a msgpack value (the format reserves it)');
    const n = formatLength(buf, at);
    if (cls === FORMAT_BYTES) {
      this.skip = n;
      return n === 0;
    }
    const items = cls === FORMAT_MAP ? 2 * n : n;
    if (this.depth === 0) {
      this.topNextIsKey = true;
      if (cls === FORMAT_MAP && this.plan !== undefined && this.plan.fields.length > 0) this.trackDepth = 1;
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
    this.topCapture = false;
    if (this.topIsKey) {
      const field = this.matchKey(pos);
      // Only a field's first occurrence is captured (as on the fast path).
      this.field = field >= 0 && !this.captured.has(field + 1) ? field : -1;
      return;
    }
    if (this.field < 0) return;
    this.finishCapture(this.field + 1, this.topStart, this.topSpilled, pos);
    this.field = -1;
    // Every wanted field is in: the rest of the record is only skipped.
    if (++this.fieldsCaptured === (this.plan as TypePlan).fields.length) this.trackDepth = -1;
  }

  /** Index in the plan's fields of the key that just ended at `pos`, or -1. */
  private matchKey(pos: number): number {
    const fields = (this.plan as TypePlan).fields;
    if (!this.topSpilled) return matchField(this.captured.chunk, this.topStart, pos, fields);
    if (this.keySpill.len + pos > MAX_KEY_BYTES) return -1;
    this.keySpill.append(this.captured.chunk, 0, pos);
    return matchField(this.keySpill.buf, 0, this.keySpill.len, fields);
  }

  private finishCapture(slot: number, start: number, spilled: boolean, pos: number): void {
    if (spilled) this.captured.finishSpilled(slot, pos);
    else this.captured.setInChunk(slot, start, pos);
  }

  /** The chunk is about to be released mid-record: copy what the open record still needs out of it. */
  private spillAtChunkEnd(end: number): void {
    this.captured.materialize();
    if (this.wholeActive) {
      this.captured.spill(0, this.wholeStart, end, !this.wholeSpilled);
      this.wholeStart = 0;
      this.wholeSpilled = true;
    }
    if (this.topCapture) {
      if (!this.topIsKey) this.captured.spill(this.field + 1, this.topStart, end, !this.topSpilled);
      else {
        if (!this.topSpilled) this.keySpill.len = 0;
        // A key this long cannot be a wanted field: stop buffering it.
        if (this.keySpill.len + end - this.topStart <= MAX_KEY_BYTES) this.keySpill.append(this.captured.chunk, this.topStart, end);
        else this.keySpill.len = MAX_KEY_BYTES + 1;
      }
      this.topStart = 0;
      this.topSpilled = true;
    }
  }
}
