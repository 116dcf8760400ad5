/**
 * KV operations on the store with Consul's state-store semantics (`agent/consul/state/kvs.go`, `txn.go`): set keeps
 * `CreateIndex` and `Session` and skips unchanged entries, check-and-set with index 0 means "create only", deletes
 * leave tombstones, and a list's index is the highest index under its prefix (entries and tombstones). A
 * {@link KvBatch} applies several operations at one raft index and can roll them all back.
 */
import type { SimulatorStore } from './store';
import type { DirEntryRecord, GoUint } from './store-records';

/** A KV entry as written (indexes are filled by the store). */
export interface KvWrite {
  readonly Key: string;
  readonly Value: Buffer | null;
  readonly Flags: GoUint;
}

const sameBytes = (a: Buffer | null, b: Buffer | null): boolean => (a === null || b === null ? a === b : a.equals(b));

/** Operations at one raft index, undoable until committed (a KVS.Apply or one transaction). */
export class KvBatch {
  private readonly undoKv = new Map<string, DirEntryRecord | undefined>();
  private readonly undoStones = new Map<string, number | undefined>();
  private touchedKv = false;
  private touchedStones = false;

  constructor(
    private readonly store: SimulatorStore,
    /** The raft index of this write. */
    readonly index: number,
  ) {}

  private saveKv(key: string): void {
    if (!this.undoKv.has(key)) this.undoKv.set(key, this.store.kv.get(key));
  }

  private saveStone(key: string): void {
    if (!this.undoStones.has(key)) this.undoStones.set(key, this.store.tombstones.get(key));
  }

  /** `kvsSetTxn`: returns the stored entry (unchanged entries keep their ModifyIndex). */
  set(write: KvWrite): DirEntryRecord {
    const existing = this.store.kv.get(write.Key);
    const entry: DirEntryRecord = {
      Key: write.Key,
      Flags: write.Flags,
      Value: write.Value,
      LockIndex: 0,
      Session: existing?.Session ?? '',
      CreateIndex: existing?.CreateIndex ?? this.index,
      ModifyIndex: this.index,
    };
    if (existing && existing.LockIndex === entry.LockIndex && BigInt(existing.Flags) === BigInt(entry.Flags) && sameBytes(existing.Value, entry.Value) && existing.Session === entry.Session) {
      return existing;
    }
    this.saveKv(write.Key);
    this.store.kv.set(write.Key, entry);
    this.touchedKv = true;
    return entry;
  }

  /** `kvsSetCASTxn`: index 0 creates only; otherwise the entry must exist with that ModifyIndex. */
  cas(write: KvWrite, cas: number): DirEntryRecord | undefined {
    const existing = this.store.kv.get(write.Key);
    if (cas === 0 ? existing !== undefined : existing === undefined || existing.ModifyIndex !== cas) return undefined;
    return this.set(write);
  }

  /** `kvsDeleteTxn`: removes the key and leaves a tombstone; true when it existed. */
  delete(key: string): boolean {
    if (!this.store.kv.has(key)) return false;
    this.saveKv(key);
    this.saveStone(key);
    this.store.kv.delete(key);
    this.store.tombstones.set(key, this.index);
    this.touchedKv = this.touchedStones = true;
    return true;
  }

  /** `kvsDeleteCASTxn`: a missing key counts as deleted (true); a stale index is false. */
  deleteCas(key: string, cas: number): boolean {
    const existing = this.store.kv.get(key);
    if (!existing) return true;
    if (existing.ModifyIndex !== cas) return false;
    return this.delete(key);
  }

  /** `kvsDeleteTreeTxn`: deletes every key under the prefix. */
  deleteTree(prefix: string): void {
    for (const key of [...this.store.kv.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  /** Stamps the index table for what changed (no-op when nothing did). */
  commit(): void {
    if (this.touchedKv) this.store.touch(this.index, 'kvs');
    if (this.touchedStones) this.store.touch(this.index, 'tombstones');
  }

  /** Undoes every operation of this batch. */
  rollback(): void {
    for (const [key, entry] of this.undoKv) {
      if (entry) this.store.kv.set(key, entry);
      else this.store.kv.delete(key);
    }
    for (const [key, index] of this.undoStones) {
      if (index === undefined) this.store.tombstones.delete(key);
      else this.store.tombstones.set(key, index);
    }
  }
}

/** Entries under `prefix`, sorted by key bytes (memdb order). */
export function kvList(store: SimulatorStore, prefix: string): DirEntryRecord[] {
  return [...store.kv.values()].filter((e) => e.Key.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a.Key), Buffer.from(b.Key)));
}

/** `kvsMaxIndex`: the higher of the `kvs` and `tombstones` table indexes. */
export function kvMaxIndex(store: SimulatorStore): number {
  return store.tableIndex('kvs', 'tombstones');
}

/**
 * `kvsListTxn`'s index: the highest ModifyIndex under the prefix, or the prefix's newest tombstone; the whole
 * table's index for the empty prefix or when nothing is under the prefix.
 */
export function kvListIndex(store: SimulatorStore, prefix: string, entries: DirEntryRecord[]): number {
  if (prefix === '') return kvMaxIndex(store);
  let index = Math.max(0, ...entries.map((e) => e.ModifyIndex));
  for (const [key, stone] of store.tombstones) if (key.startsWith(prefix)) index = Math.max(index, stone);
  return index || kvMaxIndex(store);
}

/** `structs.DirEntry` JSON: Value base64 (null when nil), Session only when set. */
export function renderDirEntry(e: DirEntryRecord, withValue = true): Record<string, unknown> {
  return {
    LockIndex: e.LockIndex,
    Key: e.Key,
    Flags: e.Flags,
    Value: withValue && e.Value ? e.Value.toString('base64') : null,
    ...(e.Session ? { Session: e.Session } : {}),
    CreateIndex: e.CreateIndex,
    ModifyIndex: e.ModifyIndex,
  };
}
