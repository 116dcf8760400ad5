import { decodeGoString } from './go-text';
import { hasBytePrefix, readKvKey } from './kv-key';
import { MESSAGE_TYPES } from './message-types';
import { MsgpackCursor } from './msgpack-cursor';
import { fieldCursor, type RecordSink, type SinkWant } from './record-sink';
import type { CapturedRecord } from './scan-plan';

/** One KV entry of a backup, as `restore-kv` writes it back (`structs.DirEntry`, state-bin.md §5.3). */
export interface KvEntry {
  readonly key: string;
  /** The value's bytes (a copy: the caller may keep it). Nil and empty values both give an empty buffer. */
  readonly value: Buffer;
  /** `Flags` is a uint64 in Consul: kept exact. */
  readonly flags: bigint;
  readonly lockIndex: number;
  /** The session that held the lock ('' for none). restore-kv does not restore sessions or locks. */
  readonly session: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** What to extract. */
export interface KvExtractOptions {
  /**
   * Only keys starting with these bytes (a plain byte prefix: `config/pay` also matches `config/payments/`); `''`
   * extracts every key.
   */
  readonly prefix: string;
  /** Called once per entry under the prefix, in state.bin order (key order), synchronously during `write`. */
  readonly onEntry: (entry: KvEntry) => void;
}

const FIELDS = ['Key', 'Value', 'Flags', 'LockIndex', 'Session', 'CreateIndex', 'ModifyIndex'] as const;

/**
 * Streams the KVS records under a prefix out of state.bin: a key outside the prefix is dropped before any other
 * field of its record is decoded, so nothing outside the prefix is ever materialised. Tombstones are not entries.
 */
export class KvExtractSink implements RecordSink {
  readonly wants: readonly SinkWant[] = [{ type: MESSAGE_TYPES.kvs, fields: [...FIELDS] }];
  private readonly slots = new Map<string, number>();
  private readonly cursor = new MsgpackCursor();
  private readonly prefix: Buffer;
  /** Entries delivered. */
  extracted = 0;

  constructor(private readonly options: KvExtractOptions) {
    this.prefix = Buffer.from(options.prefix, 'utf8');
  }

  bind(slotOf: (type: number, field: string) => number): void {
    for (const f of FIELDS) this.slots.set(f, slotOf(MESSAGE_TYPES.kvs, f));
  }

  onRecord(_type: number, _size: number, record: CapturedRecord): void {
    if (!readKvKey(record, this.slot('Key'), this.cursor)) return;
    const { buf, strStart, strEnd } = this.cursor;
    if (!hasBytePrefix(buf, strStart, strEnd, this.prefix)) return;
    const key = decodeGoString(buf, strStart, strEnd);
    const field = (name: string) => fieldCursor(record, this.slot(name), this.cursor);
    const value = field('Value')?.readString('Value') ? Buffer.from(this.cursor.buf.subarray(this.cursor.strStart, this.cursor.strEnd)) : Buffer.alloc(0);
    this.extracted++;
    this.options.onEntry({
      key,
      value,
      flags: field('Flags')?.readUint64('Flags') ?? 0n,
      lockIndex: field('LockIndex')?.readUint('LockIndex') ?? 0,
      session: field('Session')?.readText('Session') ?? '',
      createIndex: field('CreateIndex')?.readUint('CreateIndex') ?? 0,
      modifyIndex: field('ModifyIndex')?.readUint('ModifyIndex') ?? 0,
    });
  }

  private slot(name: string): number {
    return this.slots.get(name) as number;
  }
}
