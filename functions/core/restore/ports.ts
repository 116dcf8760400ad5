/**
 * What a restore needs besides the backup ports (`../backup/ports.ts`), and the shape of its checks: the token secrets
 * of the cluster, whose
 * tokens a restore can break (consul-api.md correction 8: a restore replaces ACLs too, so a token created after the
 * backup disappears and a deleted one comes back). The rotation domain implements it
 * (`functions/core/rotation/restore-reconciliation.ts`).
 */
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
