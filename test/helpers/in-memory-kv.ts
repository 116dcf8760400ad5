/**
 * An in-memory Consul KV store behind the `restore-kv` port, with Consul's transaction semantics (all or nothing,
 * check-and-set by ModifyIndex, 0 = create only, the "index is stale" texts of agent/consul/state/txn.go) for core
 * unit tests. The wire-level behaviour is tested against the simulator.
 */
import type { ClusterIdentity } from '../../functions/core/backup/ports';
import type { KvCasSet, KvTarget, KvTxnError, KvTxnOp, KvTxnOutcome, LiveKvEntry } from '../../functions/core/restore/ports';

/** A live entry as the fake keeps it. */
export interface FakeKvEntry {
  value: Buffer;
  flags: bigint;
  modifyIndex: number;
  session: string;
}

export class InMemoryKv implements KvTarget {
  readonly entries = new Map<string, FakeKvEntry>();
  identity: ClusterIdentity = { datacenter: 'dc1', consulVersion: '1.17.0' };
  index = 100;
  /** Every transaction received (op lists), in order. */
  readonly txns: KvTxnOp[][] = [];
  readonly singlePuts: string[] = [];
  /** Called before a transaction is applied (e.g. to simulate a concurrent writer). */
  beforeTxn?: (ops: readonly KvTxnOp[], count: number) => void;
  /** Refuse every op on this key with this text (e.g. a permission error). */
  refuse?: { key: string; what: string };

  set(key: string, value: string | Buffer, flags = 0n, session = ''): void {
    this.entries.set(key, { value: Buffer.from(value), flags, modifyIndex: ++this.index, session });
  }

  async describeCluster(): Promise<ClusterIdentity> {
    return this.identity;
  }

  async listKv(prefix: string): Promise<LiveKvEntry[]> {
    return [...this.entries]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([key, e]) => ({ key, value: Buffer.from(e.value), flags: e.flags, modifyIndex: e.modifyIndex, session: e.session }));
  }

  async applyKvTxn(ops: readonly KvTxnOp[]): Promise<KvTxnOutcome> {
    if (ops.length > 64) throw new Error(`Transaction contains too many operations (${ops.length} > 64)`);
    this.txns.push([...ops]);
    this.beforeTxn?.(ops, this.txns.length);
    const errors: KvTxnError[] = [];
    ops.forEach((op, opIndex) => {
      const current = this.entries.get(op.key);
      if (this.refuse?.key === op.key) errors.push({ opIndex, what: this.refuse.what });
      else if (op.verb === 'cas' && !(op.index === 0 ? current === undefined : current?.modifyIndex === op.index)) errors.push({ opIndex, what: `failed to set key ${JSON.stringify(op.key)}, index is stale` });
      else if (op.verb === 'delete-cas' && current !== undefined && current.modifyIndex !== op.index) errors.push({ opIndex, what: `failed to delete key ${JSON.stringify(op.key)}, index is stale` });
    });
    if (errors.length > 0) return { applied: false, errors };
    const at = ++this.index;
    for (const op of ops) {
      if (op.verb === 'cas') this.entries.set(op.key, { value: Buffer.from(op.value), flags: op.flags, modifyIndex: at, session: this.entries.get(op.key)?.session ?? '' });
      else this.entries.delete(op.key);
    }
    return { applied: true };
  }

  async putKvCas(op: KvCasSet): Promise<boolean> {
    this.singlePuts.push(op.key);
    const current = this.entries.get(op.key);
    if (!(op.index === 0 ? current === undefined : current?.modifyIndex === op.index)) return false;
    this.entries.set(op.key, { value: Buffer.from(op.value), flags: op.flags, modifyIndex: ++this.index, session: current?.session ?? '' });
    return true;
  }
}
