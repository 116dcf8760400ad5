/**
 * What a restore needs besides the backup ports (`../backup/ports.ts`), and the shape of its checks: the Consul KV side
 * of `restore-kv` (`functions/adapters/consul/kv-target.ts` implements it over `/v1/kv` and `/v1/txn`; values are bytes,
 * `Flags` a uint64 kept exact as a bigint), and the token secrets
 * of the cluster, whose
 * tokens a restore can break (consul-api.md correction 8: a restore replaces ACLs too, so a token created after the
 * backup disappears and a deleted one comes back). The rotation domain implements it
 * (`functions/core/rotation/restore-reconciliation.ts`).
 */
import type { ClusterIdentity } from '../backup/ports';
import type { ErrorSummary } from '../shared/errors';

/** Outcome of one check; `overridden` means a flag let a failed check pass. */
export interface RestoreCheck {
  readonly id: 'backup' | 'archive' | 'datacenter' | 'consul-version' | 'leader' | 'size' | 'tokens' | 'safety-snapshot' | 'leader-after-restore' | 'tokens-after-restore';
  readonly status: 'pass' | 'overridden' | 'warn' | 'skipped' | 'fail';
  readonly detail: string;
}

/** Which token a secret holds. */
export type TokenSecretRole = 'management' | 'application';

/** One token secret as the restore's preflight saw it (AccessorIDs only, never a secret). */
export interface TokenSecretPreflight {
  /** The secret's ARN or name. */
  readonly secret: string;
  readonly role: TokenSecretRole;
  /** AWSCURRENT's AccessorID. @default - unknown (the secret could not be read) */
  readonly accessorId?: string;
  /**
   * `reconcile`: the AWSCURRENT token was created after the backup, so the restore removes it and it will be
   * re-created; `in-backup`: it predates the backup; `check`: it could not be placed in time (missing now, or the
   * secret is unreadable), it is checked after the restore.
   */
  readonly status: 'reconcile' | 'in-backup' | 'check';
  readonly detail: string;
}

/** What happened to one token secret after the restore. */
export interface TokenSecretReconciliation {
  readonly secret: string;
  readonly role: TokenSecretRole;
  /** @default - unknown (the secret could not be read) */
  readonly accessorId?: string;
  /** `present`: AWSCURRENT works as it is; `recreated`: re-created with the same IDs; `failed`: see `fixCommand`. */
  readonly outcome: 'present' | 'recreated' | 'failed';
  readonly detail: string;
  /** Retired tokens (ledger) the backup brought back and that were deleted again. */
  readonly redeleted: readonly string[];
  /** The exact command that fixes a failure (it reads the secret from Secrets Manager itself). @default - none */
  readonly fixCommand?: string;
  /** @default - none */
  readonly error?: ErrorSummary;
}

/**
 * The token secrets of the restored cluster. `preflight` runs before anything is sent (dry runs too) and must not
 * change anything; `reconcile` runs once after the snapshot was applied, management token first.
 */
export interface RestoreTokens {
  preflight(backup: { readonly takenAt: string }): Promise<readonly TokenSecretPreflight[]>;
  reconcile(): Promise<readonly TokenSecretReconciliation[]>;
}

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
