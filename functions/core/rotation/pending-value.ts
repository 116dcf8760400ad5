/**
 * The AWSPENDING value of a rotation: how createSecret makes it (two fresh UUIDs, the carried-over retired-token
 * ledger plus the token being replaced) and how the later steps read it back. Pure: all I/O goes through the ports.
 */
import { summarizeError } from '../shared/errors';
import { RotationLedgerFullError, RotationPendingMissingError } from './errors';
import { STAGE, type RotationDeps, type RotationSettings, type SecretDescription } from './ports';
import { nextRetiredLedger, planRetiredDeletion, retiredLedgerOf, type LedgerEntry } from './retired-ledger';
import { MAX_RETIRED_ENTRIES, parseRotationSecret, serializeRotationSecret, type RotationSecretValue } from './secret-value';
import { checkCluster, deleteRetiredTokens, readCurrentValue, type SweepResult } from './sweep';

/** Which retired tokens a rotation marks for deletion right away (`--revoke-now`, `--revoke-all-retired`). */
export type RevokeScope = 'replaced' | 'all';

/** What a rotation's clean-up of the ledger did (createSecret); `kept` says why due tokens were not deleted. */
export interface RetiredCleanup extends SweepResult {
  /** @default - nothing was kept back */
  readonly kept?: string;
}

/** What storing the pending value did. */
export interface StoredPending {
  readonly outcome: 'pending-stored' | 'pending-exists';
  readonly accessorId: string;
  readonly previousAccessorId: string;
  /** @default - not run (the pending value existed) */
  readonly retiredCleanup?: RetiredCleanup;
}

/** The pending value, read with VersionId AND VersionStage (aws-sdk-js-v3#7701); `undefined` when not stored yet. */
export async function readPendingValue(deps: Pick<RotationDeps, 'secrets'>, d: SecretDescription, versionId: string): Promise<RotationSecretValue | undefined> {
  const read = await deps.secrets.getValue(d.arn, { versionId, stage: STAGE.pending });
  return read === undefined ? undefined : parseRotationSecret(read.value, d.arn, `${STAGE.pending} ${versionId}`);
}

/** The pending value, which must exist and belong to `current`'s cluster. */
export async function requirePendingValue(deps: Pick<RotationDeps, 'secrets'>, d: SecretDescription, versionId: string, current: RotationSecretValue): Promise<RotationSecretValue> {
  const pending = await readPendingValue(deps, d, versionId);
  if (pending === undefined) throw new RotationPendingMissingError(d.arn, versionId);
  checkCluster(d.arn, pending, current.cluster);
  return pending;
}

/**
 * createSecret's work, also how `rotateNow` opens a rotation (PutSecretValue with AWSPENDING creates the version).
 * Never overwrites the pending value of this version (setSecret may already have minted its token). It never waits
 * for a grace period: due retired tokens are deleted first (when the current token proves to work), everything else
 * is carried over in the new value's ledger, with the current token added.
 */
export async function storePendingValue(deps: RotationDeps, d: SecretDescription, versionId: string, settings: RotationSettings, revoke?: RevokeScope): Promise<StoredPending> {
  const current = await readCurrentValue(deps.secrets, d, settings);
  const existing = await readPendingValue(deps, d, versionId);
  if (existing !== undefined) return { outcome: 'pending-exists', accessorId: existing.accessorId, previousAccessorId: current.accessorId };
  const now = deps.now();
  const { ledger, gone, cleanup } = await cleanUpDueTokens(deps, d, current, settings, now);
  const revokeAt = (e: LedgerEntry): LedgerEntry => (revoke === 'all' && e.deleteAfter > now ? { ...e, deleteAfter: now } : e);
  const replaced = { accessorId: current.accessorId, deleteAfter: revoke === undefined ? new Date(now.getTime() + settings.gracePeriodMs) : now };
  const retired = nextRetiredLedger(ledger.map(revokeAt), gone, replaced, now);
  if (retired === undefined) throw new RotationLedgerFullError(d.arn, ledger.length, MAX_RETIRED_ENTRIES);
  const next: RotationSecretValue = {
    accessorId: deps.newUuid(),
    secretId: deps.newUuid(),
    cluster: current.cluster,
    previousAccessorId: current.accessorId,
    previousRotatedAt: now.toISOString(),
    retired,
    createdAt: now.toISOString(),
    ...(current.description === undefined ? {} : { description: current.description }),
  };
  const base = { previousAccessorId: current.accessorId, retiredCleanup: cleanup };
  if ((await deps.secrets.putPendingValue(d.arn, versionId, serializeRotationSecret(next))) === 'conflict') {
    // A concurrent createSecret of the same version stored its value first: keep that one.
    const winner = await requirePendingValue(deps, d, versionId, current);
    return { ...base, outcome: 'pending-exists', accessorId: winner.accessorId };
  }
  return { ...base, outcome: 'pending-stored', accessorId: next.accessorId };
}

/**
 * Deletes the due entries of the current ledger, if the current token proves to work. A failure here never blocks the
 * rotation: the entries are carried over and a later sweep retries them.
 */
async function cleanUpDueTokens(deps: RotationDeps, d: SecretDescription, current: RotationSecretValue, settings: RotationSettings, now: Date) {
  const ledger = retiredLedgerOf(current, d.lastRotatedDate, settings.gracePeriodMs);
  const plan = planRetiredDeletion(ledger, now);
  const waiting = plan.waiting.map((e) => ({ accessorId: e.accessorId, until: e.deleteAfter }));
  const gone = new Set<string>();
  let cleanup: RetiredCleanup;
  try {
    const { deleted, alreadyDeleted } = await deleteRetiredTokens(deps, d.arn, current, plan.due.map((e) => e.accessorId));
    [...deleted, ...alreadyDeleted].forEach((id) => gone.add(id));
    const outcome = deleted.length > 0 ? 'deleted' : alreadyDeleted.length > 0 ? 'already-deleted' : waiting.length > 0 ? 'in-grace' : 'nothing-to-delete';
    cleanup = { secret: d.arn, outcome, deleted, alreadyDeleted, waiting };
  } catch (err) {
    const e = summarizeError(err);
    cleanup = { secret: d.arn, outcome: waiting.length > 0 ? 'in-grace' : 'nothing-to-delete', deleted: [], alreadyDeleted: [], waiting, kept: `${e.code}: ${e.message}` };
  }
  return { ledger, gone, cleanup };
}
