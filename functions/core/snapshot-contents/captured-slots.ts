import type { CapturedRecord } from './scan-plan';

/** A growable byte buffer, reused across records. */
export class Spill {
  buf: Buffer = Buffer.allocUnsafe(256);
  len = 0;

  /** Appends `src[from, to)`. */
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

const EMPTY = 0;
const IN_CHUNK = 1;
const SPILLED = 2;

/**
 * The captured fields of the record being scanned: each slot is a byte range either in the current chunk (no copy)
 * or in the slot's own reusable buffer, for values that straddle a chunk boundary or must outlive the chunk.
 */
export class CapturedSlots implements CapturedRecord {
  /** The chunk being scanned. */
  chunk: Buffer = Buffer.alloc(0);
  private readonly state: Uint8Array;
  private readonly starts: number[];
  private readonly ends: number[];
  private readonly spills: Spill[];

  constructor(count: number) {
    this.state = new Uint8Array(count);
    this.starts = new Array<number>(count).fill(0);
    this.ends = new Array<number>(count).fill(0);
    this.spills = Array.from({ length: count }, () => new Spill());
  }

  /** Forgets every capture (a new record starts). */
  reset(): void {
    this.state.fill(EMPTY);
  }

  has(slot: number): boolean {
    return this.state[slot] !== EMPTY;
  }

  bytes(slot: number): Buffer {
    return this.state[slot] === IN_CHUNK ? this.chunk : this.spills[slot].buf;
  }

  start(slot: number): number {
    return this.starts[slot];
  }

  end(slot: number): number {
    return this.ends[slot];
  }

  /** The value of `slot` is `chunk[start, end)`. */
  setInChunk(slot: number, start: number, end: number): void {
    this.state[slot] = IN_CHUNK;
    this.starts[slot] = start;
    this.ends[slot] = end;
  }

  /** Copies `chunk[from, to)` into the slot's buffer, after what earlier chunks put there unless `fresh`. */
  spill(slot: number, from: number, to: number, fresh: boolean): void {
    const spill = this.spills[slot];
    if (fresh) spill.len = 0;
    spill.append(this.chunk, from, to);
  }

  /** A value spilled from earlier chunks ends at `pos` in this one. */
  finishSpilled(slot: number, pos: number): void {
    const spill = this.spills[slot];
    spill.append(this.chunk, 0, pos);
    this.state[slot] = SPILLED;
    this.starts[slot] = 0;
    this.ends[slot] = spill.len;
  }

  /** The chunk is about to be released while the record goes on: copies the captures that point into it. */
  materialize(): void {
    for (let slot = 0; slot < this.state.length; slot++) {
      if (this.state[slot] !== IN_CHUNK) continue;
      this.spill(slot, this.starts[slot], this.ends[slot], true);
      this.state[slot] = SPILLED;
      this.starts[slot] = 0;
      this.ends[slot] = this.spills[slot].len;
    }
  }
}
