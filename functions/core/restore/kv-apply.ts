import { KvRestoreFailedError } from './errors';
import type { KvRestorePlan } from './kv-plan';
import { DEFAULT_TXN_MAX_REQUEST_BYTES, MAX_TXN_OPS, type KvCasSet, type KvTarget, type KvTxnOp } from './ports';

/**
 * Applying a {@link KvRestorePlan}: check-and-set operations through `PUT /v1/txn` in batches within Consul's limits
 * (at most 64 operations and `txn_max_req_len` bytes per transaction), values too large for any transaction through
 * `PUT /v1/kv/<key>?cas=`.
 *
 * A transaction is all or nothing. When Consul refuses one because some check-and-set found the key changed ("index
 * is stale"), those operations are **conflicts**: reported, never retried. The rest of the batch was rolled back with
 * them, so it is sent once more without them — with its own check-and-set indexes unchanged, so that is no blind
 * retry either. Any other refusal (permissions, size) stops the restore with what was applied so far.
 */

/** A key Consul refused to change because it changed after the plan was made. */
export interface KvConflict {
  readonly key: string;
  readonly verb: KvTxnOp['verb'];
  /** Consul's text, e.g. `failed to set key "config/a", index is stale`. */
  readonly what: string;
}

/** What the apply step did. */
export interface KvApplyResult {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly conflicts: readonly KvConflict[];
  /** Transactions sent (resubmissions after conflicts included) and single-key writes. */
  readonly transactions: number;
  readonly singleWrites: number;
}

/** Options of {@link applyKvPlan}. */
export interface KvApplyOptions {
  /** Request budget of one transaction. @default 524288 (Consul's default `txn_max_req_len`) */
  readonly maxRequestBytes?: number;
  /** Called after each transaction with the operations done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** Room kept in a transaction for the JSON around the operations. */
const ENVELOPE_BYTES = 64;
/** `{"KV":{"Verb":"delete-cas","Key":,"Value":"","Flags":18446744073709551615,"Index":18446744073709551615}},` */
const OP_OVERHEAD_BYTES = 110;

type Kind = 'create' | 'update' | 'delete';
interface Planned {
  readonly op: KvTxnOp;
  readonly kind: Kind;
  readonly bytes: number;
}

/**
 * Writes the plan: creates, then updates, then deletes. Resolves with the counts and conflicts; throws
 * {@link KvRestoreFailedError} when Consul refuses for another reason than a changed key.
 *
 * @example
 * const applied = await applyKvPlan(consul, plan);
 * // applied.conflicts: keys changed by someone else since the plan was made (left alone)
 */
export async function applyKvPlan(target: KvTarget, plan: KvRestorePlan, options: KvApplyOptions = {}): Promise<KvApplyResult> {
  const budget = (options.maxRequestBytes ?? DEFAULT_TXN_MAX_REQUEST_BYTES) - ENVELOPE_BYTES;
  const planned: Planned[] = [
    ...plan.create.map((w) => toPlanned('create', { verb: 'cas', key: w.key, value: w.value, flags: w.flags, index: w.casIndex })),
    ...plan.update.map((w) => toPlanned('update', { verb: 'cas', key: w.key, value: w.value, flags: w.flags, index: w.casIndex })),
    ...plan.delete.map((d) => toPlanned('delete', { verb: 'delete-cas', key: d.key, index: d.casIndex })),
  ];
  const done = { create: 0, update: 0, delete: 0 };
  const conflicts: KvConflict[] = [];
  const stats = { transactions: 0, singleWrites: 0 };
  const total = planned.length;
  let processed = 0;
  const progress = (n: number) => {
    processed += n;
    options.onProgress?.(processed, total);
  };
  const single = planned.filter((p) => p.bytes > budget);
  for (const batch of batches(planned.filter((p) => p.bytes <= budget), budget)) {
    options.signal?.throwIfAborted();
    let pending = batch;
    while (pending.length > 0) {
      stats.transactions++;
      const outcome = await target.applyKvTxn(pending.map((p) => p.op));
      if (outcome.applied) {
        for (const p of pending) done[p.kind]++;
        break;
      }
      const refused = outcome.errors.filter((e) => !isStale(e.what));
      if (refused.length > 0) {
        const first = refused[0];
        throw new KvRestoreFailedError(plan.prefix, pending[first.opIndex]?.op.key ?? '(unknown key)', first.what, { ...done, conflicts: conflicts.length });
      }
      const stale = new Set(outcome.errors.map((e) => e.opIndex));
      for (const i of stale) conflicts.push({ key: pending[i].op.key, verb: pending[i].op.verb, what: outcome.errors.find((e) => e.opIndex === i)?.what ?? '' });
      pending = pending.filter((_, i) => !stale.has(i));
    }
    progress(batch.length);
  }
  for (const p of single) {
    options.signal?.throwIfAborted();
    stats.singleWrites++;
    if (await target.putKvCas(p.op as KvCasSet)) done[p.kind]++;
    else conflicts.push({ key: p.op.key, verb: p.op.verb, what: `failed to set key ${JSON.stringify(p.op.key)}, index is stale` });
    progress(1);
  }
  return { created: done.create, updated: done.update, deleted: done.delete, conflicts, ...stats };
}

/** Consul's check-and-set failure texts end in "index is stale" (agent/consul/state/txn.go `txnKVS`). */
function isStale(what: string): boolean {
  return what.endsWith('index is stale');
}

function toPlanned(kind: Kind, op: KvTxnOp): Planned {
  const key = Buffer.byteLength(JSON.stringify(op.key), 'utf8');
  const value = op.verb === 'cas' ? 4 * Math.ceil(op.value.length / 3) : 0;
  return { op, kind, bytes: key + value + OP_OVERHEAD_BYTES };
}

/** Consecutive groups of at most {@link MAX_TXN_OPS} operations and `budget` bytes, in plan order. */
function batches(planned: readonly Planned[], budget: number): Planned[][] {
  const out: Planned[][] = [];
  let current: Planned[] = [];
  let bytes = 0;
  for (const p of planned) {
    if (current.length === MAX_TXN_OPS || (current.length > 0 && bytes + p.bytes > budget)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += p.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
