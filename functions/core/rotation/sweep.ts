/**
 * Deleting rotated-out tokens after their grace period.
 *
 * Where it happens (and nowhere else):
 * 1. In the next rotation's createSecret, before it stores the new pending value (that value replaces
 *    `previousAccessorId`, so the old token must be gone or still be tracked). If the grace period is still running
 *    there, createSecret refuses instead of losing track of a live token.
 * 2. In the hourly sweep of the rotation function (`{"action": "sweep"}`), for every secret it rotates, so that the old
 *    token dies soon after its grace period and not only at the next rotation.
 *
 * The grace period starts at the later of `previousRotatedAt` (stored by createSecret) and the secret's
 * `LastRotatedDate` (set by Secrets Manager when the rotation finished), so a rotation that finished late still gives
 * clients the whole grace period. A token is deleted only after the current token has proven to work
 * (`GET /v1/acl/token/self` with the current secret): the previous token stays as the fallback otherwise, and for the
 * management token this means consul-ops can never lock itself out.
 */
import { summarizeError, type ErrorSummary } from '../shared/errors';
import { RotationClusterMismatchError, RotationCurrentMissingError, RotationCurrentTokenBrokenError } from './errors';
import { STAGE, type RotationDeps, type RotationSecrets, type RotationSettings, type SecretDescription } from './ports';
import { parseRotationSecret, type RotationSecretValue } from './secret-value';

/** What to do about `previousAccessorId`. */
export type PreviousTokenPlan =
  | { readonly action: 'none' }
  | { readonly action: 'wait'; readonly accessorId: string; readonly until: Date }
  | { readonly action: 'delete'; readonly accessorId: string; readonly graceEndedAt: Date };

/**
 * Plans the deletion of the token the current value replaced. Pure.
 *
 * @example
 * planPreviousTokenDeletion(current, describe.lastRotatedDate, 24 * 3_600_000, now); // { action: 'wait', until }
 */
export function planPreviousTokenDeletion(current: RotationSecretValue, lastRotatedDate: Date | undefined, gracePeriodMs: number, now: Date): PreviousTokenPlan {
  if (current.previousAccessorId === undefined || current.previousRotatedAt === undefined) return { action: 'none' };
  const start = Math.max(Date.parse(current.previousRotatedAt), lastRotatedDate?.getTime() ?? 0);
  const until = new Date(start + gracePeriodMs);
  if (now.getTime() < until.getTime()) return { action: 'wait', accessorId: current.previousAccessorId, until };
  return { action: 'delete', accessorId: current.previousAccessorId, graceEndedAt: until };
}

/** What a sweep did for one secret. */
export interface SweepResult {
  readonly secret: string;
  readonly outcome: 'nothing-to-delete' | 'in-grace' | 'deleted' | 'already-deleted';
  /** The previous token's AccessorID. @default - none */
  readonly accessorId?: string;
  /** End of the grace period (`in-grace`). @default - none */
  readonly until?: Date;
}

/** Reads and checks the `AWSCURRENT` value (schema, cluster). */
export async function readCurrentValue(secrets: RotationSecrets, d: SecretDescription, settings: RotationSettings): Promise<RotationSecretValue> {
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
 * Deletes the previous token of one secret once its grace period is over.
 *
 * @param known the description and current value when the caller already read them
 * @throws RotationCurrentTokenBrokenError when the current token does not work (nothing is deleted then)
 */
export async function sweepPreviousToken(
  deps: RotationDeps,
  secretId: string,
  settings: RotationSettings,
  known?: { readonly description: SecretDescription; readonly current: RotationSecretValue },
): Promise<SweepResult> {
  const d = known?.description ?? (await deps.secrets.describe(secretId));
  const current = known?.current ?? (await readCurrentValue(deps.secrets, d, settings));
  const plan = planPreviousTokenDeletion(current, d.lastRotatedDate, settings.gracePeriodMs, deps.now());
  if (plan.action === 'none') return { secret: d.arn, outcome: 'nothing-to-delete' };
  if (plan.action === 'wait') {
    // Deleted by hand already: nothing left to track.
    const previous = await deps.consul.readToken(plan.accessorId);
    if (previous === undefined) return { secret: d.arn, outcome: 'already-deleted', accessorId: plan.accessorId };
    return { secret: d.arn, outcome: 'in-grace', accessorId: plan.accessorId, until: plan.until };
  }
  const self = await deps.consul.readSelf(current.secretId);
  if (self === undefined) throw new RotationCurrentTokenBrokenError(d.arn, current.accessorId, 'is not known to Consul');
  if (self.accessorId !== current.accessorId) {
    throw new RotationCurrentTokenBrokenError(d.arn, current.accessorId, `has a SecretID that belongs to token ${self.accessorId}`);
  }
  const outcome = await deps.consul.deleteToken(plan.accessorId);
  return { secret: d.arn, outcome: outcome === 'deleted' ? 'deleted' : 'already-deleted', accessorId: plan.accessorId };
}

/** The sweep over several secrets: every secret is tried; failures are collected, not thrown. */
export interface SweepReport {
  readonly results: readonly SweepResult[];
  readonly failures: readonly { readonly secret: string; readonly error: ErrorSummary }[];
}

/**
 * Sweeps each secret in turn (the hourly run of the rotation function).
 *
 * @example
 * const report = await sweepPreviousTokens(deps, ['arn:…:secret:consul/prod/web-AbCdEf'], { gracePeriodMs });
 * if (report.failures.length > 0) throw new Error('sweep failed');
 */
export async function sweepPreviousTokens(deps: RotationDeps, secretIds: readonly string[], settings: RotationSettings): Promise<SweepReport> {
  const results: SweepResult[] = [];
  const failures: { secret: string; error: ErrorSummary }[] = [];
  for (const secret of secretIds) {
    try {
      results.push(await sweepPreviousToken(deps, secret, settings));
    } catch (err) {
      failures.push({ secret, error: summarizeError(err) });
    }
  }
  return { results, failures };
}
