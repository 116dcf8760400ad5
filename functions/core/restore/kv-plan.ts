import type { KvEntry } from '../snapshot-contents';
import { KvOutsidePrefixError } from './errors';
import type { LiveKvEntry } from './ports';

/**
 * The plan of `restore-kv`: what writing the backup's KV entries under one prefix back into the live cluster would
 * change. Pure: the backup's entries and the live entries in, the plan out. Values stay in the plan (the apply step
 * writes them) but no formatter ever prints them.
 *
 * Rules (per key under the prefix):
 * - in the backup, not live: **create** (check-and-set with index 0: only if it still does not exist);
 * - in both, value and flags equal: **skip**;
 * - in both, value or flags differ: **update**, check-and-set on the live `ModifyIndex`, so a writer who changed the
 *   key after the plan was made is not overwritten;
 * - live, not in the backup: **delete** (check-and-set on the live `ModifyIndex`) with `deleteExtra`, else left
 *   alone and listed as `extra`.
 * Sessions and locks (`Session`, `LockIndex`) are not restored: a restored key carries no session, and a live key's
 * lock is left as it is.
 */

/** One key to write, with the index its check-and-set expects (0: the key must not exist). */
export interface KvWrite {
  readonly key: string;
  readonly value: Buffer;
  /** Consul's `Flags` (uint64), exact. */
  readonly flags: bigint;
  readonly casIndex: number;
}

/** A key to update, and what differs from the live entry. */
export interface KvUpdate extends KvWrite {
  readonly changed: readonly ('value' | 'flags')[];
}

/** A live key to delete (check-and-set on its `ModifyIndex`). */
export interface KvDelete {
  readonly key: string;
  readonly casIndex: number;
}

/** What {@link planKvRestore} decided. Key lists are in byte order of the key. */
export interface KvRestorePlan {
  readonly prefix: string;
  readonly create: readonly KvWrite[];
  readonly update: readonly KvUpdate[];
  readonly delete: readonly KvDelete[];
  /** Keys whose live value and flags already equal the backup's. */
  readonly skip: readonly string[];
  /** Live keys the backup does not have, left alone (no `deleteExtra`). */
  readonly extra: readonly string[];
  /** Backup keys that are not valid UTF-8: Consul's HTTP API cannot address them, so they are not restored. */
  readonly unaddressable: readonly string[];
  /** Backup entries that were held by a session (a lock) when the backup was taken; restored without it. */
  readonly lockedInBackup: number;
  /** Live keys the plan writes or deletes that are held by a session now (their lock stays). */
  readonly lockedLive: readonly string[];
}

/** Options of {@link planKvRestore}. */
export interface KvPlanOptions {
  /** The prefix (a plain byte prefix, as Consul's `?recurse`); every key of the plan starts with it. */
  readonly prefix: string;
  /** Delete live keys under the prefix that the backup does not have. @default false */
  readonly deleteExtra?: boolean;
}

/**
 * Plans a KV restore of `prefix` from a backup's entries (`backup`, as the state.bin decoder extracts them) into the
 * live entries (`live`, as `GET /v1/kv/<prefix>?recurse` returns them).
 *
 * @throws KvOutsidePrefixError when any key given is outside `prefix` (a bug upstream: nothing is written then).
 *
 * @example
 * const plan = planKvRestore(backupEntries, liveEntries, { prefix: 'config/payments/', deleteExtra: false });
 * // plan.create, plan.update (CAS on the live ModifyIndex), plan.skip, plan.extra
 */
export function planKvRestore(backup: readonly KvEntry[], live: readonly LiveKvEntry[], options: KvPlanOptions): KvRestorePlan {
  const { prefix } = options;
  for (const e of [...backup, ...live]) if (!e.key.startsWith(prefix)) throw new KvOutsidePrefixError(e.key, prefix);
  const liveByKey = new Map(live.map((e) => [e.key, e]));
  const create: KvWrite[] = [];
  const update: KvUpdate[] = [];
  const skip: string[] = [];
  const unaddressable: string[] = [];
  const lockedLive: string[] = [];
  const inBackup = new Set<string>();
  let lockedInBackup = 0;
  for (const entry of backup) {
    if (!isWellFormed(entry.key)) {
      unaddressable.push(entry.key);
      continue;
    }
    inBackup.add(entry.key);
    if (entry.session !== '') lockedInBackup++;
    const current = liveByKey.get(entry.key);
    if (current === undefined) {
      create.push({ key: entry.key, value: entry.value, flags: entry.flags, casIndex: 0 });
      continue;
    }
    const changed: ('value' | 'flags')[] = [];
    if (!current.value.equals(entry.value)) changed.push('value');
    if (current.flags !== entry.flags) changed.push('flags');
    if (changed.length === 0) {
      skip.push(entry.key);
      continue;
    }
    if (current.session !== '') lockedLive.push(entry.key);
    update.push({ key: entry.key, value: entry.value, flags: entry.flags, casIndex: current.modifyIndex, changed });
  }
  const deletes: KvDelete[] = [];
  const extra: string[] = [];
  for (const current of live) {
    if (inBackup.has(current.key)) continue;
    if (!options.deleteExtra) {
      extra.push(current.key);
      continue;
    }
    if (current.session !== '') lockedLive.push(current.key);
    deletes.push({ key: current.key, casIndex: current.modifyIndex });
  }
  const byKey = <T extends { key: string }>(list: T[]) => list.sort((a, b) => compareKeys(a.key, b.key));
  return {
    prefix,
    create: byKey(create),
    update: byKey(update),
    delete: byKey(deletes),
    skip: skip.sort(compareKeys),
    extra: extra.sort(compareKeys),
    unaddressable,
    lockedInBackup,
    lockedLive: lockedLive.sort(compareKeys),
  };
}

/** Counts of a plan, in the order the CLI prints them. */
export function kvPlanCounts(plan: KvRestorePlan): { create: number; update: number; delete: number; skip: number; extra: number; unaddressable: number } {
  return { create: plan.create.length, update: plan.update.length, delete: plan.delete.length, skip: plan.skip.length, extra: plan.extra.length, unaddressable: plan.unaddressable.length };
}

/** False for a key with lone surrogates: bytes that were not UTF-8 in state.bin (they do not survive UTF-8). */
function isWellFormed(key: string): boolean {
  return Buffer.from(key, 'utf8').toString('utf8') === key;
}

/** Byte order of the UTF-8 keys (Consul's order), not UTF-16 order. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
