import { decodeGoString } from './go-text';

/** One prefix row: entries and their record bytes. */
export interface PrefixRow {
  /** The prefix as a Go string (invalid UTF-8 bytes escaped, see `go-text.ts`). */
  readonly name: string;
  readonly count: number;
  readonly sum: number;
}

interface MutableRow {
  count: number;
  sum: number;
}

/**
 * Counts KV records per key prefix, keyed by the prefix's bytes. State-store iteration writes KV records in key
 * order, so consecutive records nearly always share a prefix: the last row is found by comparing bytes, without
 * building a string. Above `maxRows` distinct prefixes, new prefixes are added to an overflow row instead.
 */
export class PrefixTable {
  private readonly rows = new Map<string, MutableRow>();
  private last: MutableRow | undefined;
  private lastBytes = Buffer.alloc(64);
  private lastLength = -1;
  /** Records whose prefix did not fit under `maxRows` (their prefixes are not counted). */
  readonly overflow = { count: 0, sum: 0 };

  constructor(private readonly maxRows = Number.POSITIVE_INFINITY) {}

  /** Adds one record of `size` bytes under the prefix `buf[start, end)`. */
  add(buf: Buffer, start: number, end: number, size: number): void {
    const row = this.sameAsLast(buf, start, end) ? this.last : this.lookup(buf, start, end);
    if (row === undefined) {
      this.overflow.count++;
      this.overflow.sum += size;
      return;
    }
    row.count++;
    row.sum += size;
  }

  /** The rows, in no particular order. */
  list(): PrefixRow[] {
    return [...this.rows].map(([key, row]) => ({ name: decodeGoString(Buffer.from(key, 'latin1'), 0, key.length), count: row.count, sum: row.sum }));
  }

  private sameAsLast(buf: Uint8Array, start: number, end: number): boolean {
    if (end - start !== this.lastLength) return false;
    for (let i = 0; i < this.lastLength; i++) if (this.lastBytes[i] !== buf[start + i]) return false;
    return this.last !== undefined;
  }

  private lookup(buf: Buffer, start: number, end: number): MutableRow | undefined {
    const key = buf.toString('latin1', start, end);
    let row = this.rows.get(key);
    if (row === undefined) {
      if (this.rows.size >= this.maxRows) return undefined;
      row = { count: 0, sum: 0 };
      this.rows.set(key, row);
    }
    if (this.lastBytes.length < end - start) this.lastBytes = Buffer.alloc(2 * (end - start));
    this.lastBytes.set(buf.subarray(start, end), 0);
    this.lastLength = end - start;
    this.last = row;
    return row;
  }
}
