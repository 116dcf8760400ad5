import { InvalidInputError } from '../shared/errors';
import { hasBytePrefix, kvPrefixEnd, readKvKey } from './kv-key';
import { MESSAGE_TYPES } from './message-types';
import { MsgpackCursor } from './msgpack-cursor';
import { PrefixTable } from './prefix-table';
import type { RecordSink, SinkWant } from './record-sink';
import type { CapturedRecord } from './scan-plan';
import { sortTypeStats, type TypeStat } from './type-stats';

/** `consul snapshot inspect -kvdetails` options. */
export interface KvDetailsOptions {
  /**
   * `-kvdepth`: how many `/`-separated parts of each key form its prefix, counted from the start of the key.
   * @default 2
   */
  readonly depth?: number;
  /**
   * `-kvfilter`: only keys starting with these bytes count (a plain prefix: `vault/core` also matches `vault/coreX`).
   * @default '' (every key)
   */
  readonly filter?: string;
}

/** The KV table of inspect: rows sorted like the type table, and their total. */
export interface KvDetails {
  /** Undefined when no KVS record qualified (inspect then prints no KV table and `"StatsKV": null`). */
  readonly stats: readonly TypeStat[] | undefined;
  readonly totalSize: number;
}

/** inspect's default `-kvdepth`. */
export const DEFAULT_KV_DEPTH = 2;

/**
 * inspect's `kvEnhance`: for KVS records only (not tombstones), adds each record's size to the row of its key prefix.
 */
export class KvDetailsSink implements RecordSink {
  readonly wants: readonly SinkWant[] = [{ type: MESSAGE_TYPES.kvs, fields: ['Key'] }];
  private keySlot = 0;
  private readonly cursor = new MsgpackCursor();
  private readonly table = new PrefixTable();
  private readonly depth: number;
  private readonly filter: Buffer;
  private totalSize = 0;

  constructor(options: KvDetailsOptions) {
    this.depth = options.depth ?? DEFAULT_KV_DEPTH;
    // Go slices split[0:depth] and panics on a negative depth; refuse it instead.
    if (!Number.isSafeInteger(this.depth) || this.depth < 0) throw new InvalidInputError('kvdepth', `must be a whole number ≥ 0, got ${options.depth}`, '2');
    this.filter = Buffer.from(options.filter ?? '', 'utf8');
  }

  bind(slotOf: (type: number, field: string) => number): void {
    this.keySlot = slotOf(MESSAGE_TYPES.kvs, 'Key');
  }

  onRecord(_type: number, size: number, record: CapturedRecord): void {
    if (!readKvKey(record, this.keySlot, this.cursor)) return;
    const { buf, strStart: start, strEnd: end } = this.cursor;
    if (!hasBytePrefix(buf, start, end, this.filter)) return;
    this.table.add(buf, start, kvPrefixEnd(buf, start, end, this.depth), size);
    this.totalSize += size;
  }

  /** The KV table. */
  result(): KvDetails {
    const rows = this.table.list();
    return { stats: rows.length === 0 ? undefined : sortTypeStats(rows), totalSize: this.totalSize };
  }
}
