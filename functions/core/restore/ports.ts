import type { ClusterIdentity } from '../backup/ports';

/**
 * The Consul side of `restore-kv` (`functions/adapters/consul/kv-target.ts` implements it over `/v1/kv` and
 * `/v1/txn`). Values are bytes; `Flags` is a uint64 and kept exact as a bigint.
 */

/** A live KV entry, as `GET /v1/kv/<prefix>?recurse` returns it. */
export interface LiveKvEntry {
  readonly key: string;
  /** The value's bytes (a nil value reads as empty). */
  readonly value: Buffer;
  readonly flags: bigint;
  readonly modifyIndex: number;
  /** The session holding the key's lock, or ''. */
  readonly session: string;
}

/** A check-and-set write (`cas`): applied only if the key's `ModifyIndex` is `index` (0: only if it does not exist). */
export interface KvCasSet {
  readonly verb: 'cas';
  readonly key: string;
  readonly value: Buffer;
  readonly flags: bigint;
  readonly index: number;
}

/** A check-and-set delete (`delete-cas`): applied only if the key's `ModifyIndex` is still `index`. */
export interface KvCasDelete {
  readonly verb: 'delete-cas';
  readonly key: string;
  readonly index: number;
}

/** One operation of a KV transaction. */
export type KvTxnOp = KvCasSet | KvCasDelete;

/** An operation Consul refused in a transaction (`Errors[{OpIndex, What}]` of a 409): nothing of it was applied. */
export interface KvTxnError {
  readonly opIndex: number;
  readonly what: string;
}

/** What a transaction did: applied as a whole, or rolled back with the reason of each failed operation. */
export type KvTxnOutcome = { readonly applied: true } | { readonly applied: false; readonly errors: readonly KvTxnError[] };

/** The cluster `restore-kv` writes into. */
export interface KvTarget {
  /** `GET /v1/agent/self`: datacenter and version. */
  describeCluster(): Promise<ClusterIdentity>;
  /** Every entry under `prefix` (plain prefix, as `?recurse`); none gives []. */
  listKv(prefix: string): Promise<LiveKvEntry[]>;
  /** `PUT /v1/txn` with at most {@link MAX_TXN_OPS} operations, all or nothing. */
  applyKvTxn(ops: readonly KvTxnOp[]): Promise<KvTxnOutcome>;
  /** `PUT /v1/kv/<key>?cas=<index>&flags=<flags>` for a value too large for a transaction; false when the CAS failed. */
  putKvCas(op: KvCasSet): Promise<boolean>;
}

/** Consul's limit of operations per transaction (`maxTxnOps`, agent/txn_endpoint.go). */
export const MAX_TXN_OPS = 64;

/**
 * Consul's default `txn_max_req_len` (512 KiB; larger only when `kv_max_value_size` was raised): a transaction's
 * JSON body may not be larger (agent/txn_endpoint.go `convertOps`).
 */
export const DEFAULT_TXN_MAX_REQUEST_BYTES = 512 * 1024;
