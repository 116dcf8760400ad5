/**
 * Deleting retired tokens (the ledger in `retired-ledger.ts`) after their grace period.
 *
 * Where it happens:
 * 1. In the hourly sweep of the rotation function (`{"action": "sweep"}`), for every secret it rotates, so that a
 *    retired token dies soon after its grace period.
 * 2. In the next rotation's createSecret, which never waits: due entries are deleted, the rest are carried over.
 * 3. In `consul-ops rotate-token --revoke-now` (after the new token has proven to work) and in a restore's token
 *    reconciliation.
 *
 * A token is deleted only after the current token has proven to work (`GET /v1/acl/token/self` with the current
 * secret): the retired tokens stay as the fallback otherwise, and for the management token this means consul-ops can
 * never lock itself out.
 */
import { summarizeError, type ErrorSummary } from '../shared/errors';
import { RotationClusterMismatchError, RotationCurrentMissingError, RotationCurrentTokenBrokenError } from './errors';
import { STAGE, type RotationDeps, type RotationSecrets, type RotationSettings, type SecretDescription } from './ports';
import { planRetiredDeletion, retiredLedgerOf, SWEEP_WINDOW_MS } from './retired-ledger';
import { parseRotationSecret, type RotationSecretValue } from './secret-value';

/** What a sweep (or a rotation's clean-up) did for one secret. */
export interface SweepResult {
  readonly secret: string;
  /** `deleted` when any token was deleted, else `already-deleted`, `in-grace` or `nothing-to-delete`. */
  readonly outcome: 'nothing-to-delete' | 'in-grace' | 'deleted' | 'already-deleted';
  /** Retired tokens deleted now. */
  readonly deleted: readonly string[];
  /** Due retired tokens that were gone already (deleted earlier, by hand, or expired). */
  readonly alreadyDeleted: readonly string[];
  /** Retired tokens still in their grace period, soonest first. */
  readonly waiting: readonly { readonly accessorId: string; readonly until: Date }[];
}

/** Reads and checks the `AWSCURRENT` value (schema, cluster). */
export async function readCurrentValue(secrets: RotationSecrets, d: SecretDescription, settings: Pick<RotationSettings, 'cluster'>): Promise<RotationSecretValue> {
  const read = await secrets.getValue(d.arn, { stage: STAGE.current });
  if (read === undefined) throw new RotationCurrentMissingError(d.arn);
  const value = parseRotationSecret(read.value, d.arn, STAGE.current);
  checkCluster(d.arn, value, settings.cluster);
  return value;
}

/** Refuses a value of another cluster than `expected`. */
export function checkCluster(secret: string, value: RotationSecretValue, expected: string | undefined): void {
  if (expected !== undefined && value.cluster !== expected) throw new RotationClusterMismatchError(secret, expected, value.cluster);
}

/**
 * Proves that `current`'s SecretID works (`GET /v1/acl/token/self`) and belongs to its accessor.
 *
 * @throws RotationCurrentTokenBrokenError otherwise (nothing may be deleted then)
 */
export async function proveCurrentToken(deps: Pick<RotationDeps, 'consul'>, secret: string, current: Pick<RotationSecretValue, 'accessorId' | 'secretId'>): Promise<void> {
  const self = await deps.consul.readSelf(current.secretId);
  if (self === undefined) throw new RotationCurrentTokenBrokenError(secret, current.accessorId, 'is not known to Consul');
  if (self.accessorId !== current.accessorId) {
    throw new RotationCurrentTokenBrokenError(secret, current.accessorId, `has a SecretID that belongs to token ${self.accessorId}`);
  }
}

/**
 * Deletes the given retired tokens after proving the current token works; `asSecret` presents another management
 * secret than the client's (e.g. a just re-created one).
 */
export async function deleteRetiredTokens(
  deps: Pick<RotationDeps, 'consul'>,
  secret: string,
  current: Pick<RotationSecretValue, 'accessorId' | 'secretId'>,
  accessorIds: readonly string[],
  asSecret?: string,
): Promise<{ deleted: string[]; alreadyDeleted: string[] }> {
  const deleted: string[] = [];
  const alreadyDeleted: string[] = [];
  if (accessorIds.length === 0) return { deleted, alreadyDeleted };
  await proveCurrentToken(deps, secret, current);
  for (const accessorId of accessorIds) {
    ((await deps.consul.deleteToken(accessorId, asSecret)) === 'deleted' ? deleted : alreadyDeleted).push(accessorId);
  }
  return { deleted, alreadyDeleted };
}

/**
 * Deletes the retired tokens of one secret whose grace period is over (those due for longer than `windowMs` are
 * left to the next rotation).
 *
 * @param known the description and current value when the caller already read them
 * @throws RotationCurrentTokenBrokenError when the current token does not work (nothing is deleted then)
 */
export async function sweepRetiredTokens(
  deps: RotationDeps,
  secretId: string,
  settings: RotationSettings,
  opts: { readonly known?: { readonly description: SecretDescription; readonly current: RotationSecretValue }; readonly windowMs?: number } = {},
): Promise<SweepResult> {
  const d = opts.known?.description ?? (await deps.secrets.describe(secretId));
  const current = opts.known?.current ?? (await readCurrentValue(deps.secrets, d, settings));
  const plan = planRetiredDeletion(retiredLedgerOf(current, d.lastRotatedDate, settings.gracePeriodMs), deps.now(), opts.windowMs);
  const waiting = plan.waiting.map((e) => ({ accessorId: e.accessorId, until: e.deleteAfter }));
  const { deleted, alreadyDeleted } = await deleteRetiredTokens(deps, d.arn, current, plan.due.map((e) => e.accessorId));
  const outcome = deleted.length > 0 ? 'deleted' : alreadyDeleted.length > 0 ? 'already-deleted' : waiting.length > 0 ? 'in-grace' : 'nothing-to-delete';
  return { secret: d.arn, outcome, deleted, alreadyDeleted, waiting };
}

/** The sweep over several secrets: every secret is tried; failures are collected, not thrown. */
export interface SweepReport {
  readonly results: readonly SweepResult[];
  readonly failures: readonly { readonly secret: string; readonly error: ErrorSummary }[];
}

/**
 * Sweeps each secret in turn (the hourly run of the rotation function), retrying entries that became due within
 * {@link SWEEP_WINDOW_MS}.
 *
 * @example
 * const report = await sweepSecrets(deps, ['arn:…:secret:consul/prod/web-AbCdEf'], { gracePeriodMs });
 * if (report.failures.length > 0) throw new Error('sweep failed');
 */
export async function sweepSecrets(deps: RotationDeps, secretIds: readonly string[], settings: RotationSettings): Promise<SweepReport> {
  const results: SweepResult[] = [];
  const failures: { secret: string; error: ErrorSummary }[] = [];
  for (const secret of secretIds) {
    try {
      results.push(await sweepRetiredTokens(deps, secret, settings, { windowMs: SWEEP_WINDOW_MS }));
    } catch (err) {
      failures.push({ secret, error: summarizeError(err) });
    }
  }
  return { results, failures };
}
