/**
 * A whole rotation run by an operator (`consul-ops rotate-token`), with the same four steps the Lambda runs, and the
 * emergency revocation of retired tokens (`--revoke-now`, `--revoke-all-retired`). Pure: all I/O goes through the ports.
 */
import { RotationInProgressError, RotationRevokeFailedError, RotationUnfinishedError } from './errors';
import { readPendingValue, type RevokeScope } from './pending-value';
import type { RotationDeps, RotationSettings } from './ports';
import { retiredLedgerOf } from './retired-ledger';
import { findUnfinishedRotation, openRotation, ROTATION_STEPS, runRotationStep, type StepResult } from './steps';
import { deleteRetiredTokens, readCurrentValue } from './sweep';

/** Options of {@link rotateNow}. */
export interface ManualRotationOptions {
  /** Finish an unfinished rotation instead of refusing. @default false */
  readonly resume?: boolean;
  /**
   * Delete the replaced token (`replaced`), or every token in the ledger (`all`), right after the new token has proven
   * to work, instead of after the grace period.
   * @default - none: retired tokens live through their grace period
   */
  readonly revoke?: RevokeScope;
}

/** What {@link rotateNow} did. */
export interface ManualRotationResult {
  readonly secret: string;
  /** The cluster the secret's token belongs to (its `cluster` field). */
  readonly cluster: string;
  readonly versionId: string;
  /** The new token, now AWSCURRENT. */
  readonly accessorId: string;
  /** The replaced token. @default - none */
  readonly previousAccessorId?: string;
  /** True when an unfinished rotation was finished instead of a new one started. */
  readonly resumed: boolean;
  readonly steps: readonly StepResult[];
  /** With `revoke`: the retired tokens deleted now, and those already gone. @default - nothing revoked */
  readonly revoked?: { readonly deleted: readonly string[]; readonly alreadyDeleted: readonly string[] };
}

/**
 * One whole rotation run by an operator. It opens the rotation itself the way RotateSecret would: a fresh version ID
 * and `PutSecretValue(VersionStages=[AWSPENDING])` (createSecret's own write). Rotation need not be enabled on the
 * secret. An unfinished rotation is refused, or finished with `resume`. A step that fails after the rotation was opened
 * throws {@link RotationUnfinishedError}, whose remedy has the commands that finish or clear it; AWSCURRENT is never
 * touched before the new token has passed testSecret.
 *
 * With `revoke`, the retired tokens are deleted once the new AWSCURRENT token has proven to work (`/v1/acl/token/self`);
 * for the management secret they are deleted with the new management token itself.
 *
 * @example
 * const result = await rotateNow(deps, 'consul/prod/web', { gracePeriodMs: 24 * 3_600_000 }, { revoke: 'replaced' });
 */
export async function rotateNow(deps: RotationDeps, secretId: string, settings: RotationSettings, opts: ManualRotationOptions = {}): Promise<ManualRotationResult> {
  const manual: RotationSettings = { ...settings, requireRotationEnabled: false };
  const d = await deps.secrets.describe(secretId);
  const unfinished = findUnfinishedRotation(d);
  const pendingAccessorOf = (versionId: string) => readPendingValue(deps, d, versionId).then((v) => v?.accessorId, () => undefined);
  if (unfinished !== undefined && opts.resume !== true) throw new RotationInProgressError(d.arn, unfinished, await pendingAccessorOf(unfinished));
  const versionId = unfinished ?? deps.newUuid();
  const steps: StepResult[] = [];
  try {
    steps.push(unfinished === undefined ? await openRotation(deps, d, versionId, manual, opts.revoke) : await runRotationStep(deps, 'createSecret', d.arn, versionId, manual));
    for (const step of ROTATION_STEPS.slice(1)) steps.push(await runRotationStep(deps, step, d.arn, versionId, manual));
  } catch (err) {
    // Once the AWSPENDING version exists the rotation is unfinished: say how to finish or clear it.
    const opened = await deps.secrets.describe(d.arn).then((after) => findUnfinishedRotation(after) === versionId, () => unfinished !== undefined);
    if (!opened) throw err;
    throw new RotationUnfinishedError(d.arn, versionId, await pendingAccessorOf(versionId), err);
  }
  const after = await deps.secrets.describe(d.arn);
  const current = await readCurrentValue(deps.secrets, after, manual);
  const result: ManualRotationResult = {
    secret: d.arn,
    cluster: current.cluster,
    versionId,
    accessorId: current.accessorId,
    ...(current.previousAccessorId ? { previousAccessorId: current.previousAccessorId } : {}),
    resumed: unfinished !== undefined,
    steps,
  };
  if (opts.revoke === undefined) return result;
  const targets =
    opts.revoke === 'all'
      ? retiredLedgerOf(current, after.lastRotatedDate, settings.gracePeriodMs).map((e) => e.accessorId)
      : current.previousAccessorId
        ? [current.previousAccessorId]
        : [];
  // The management token's retired tokens are deleted with the new management token: it must hold acl:write too.
  const asSecret = d.arn === settings.managementSecretArn ? current.secretId : undefined;
  try {
    return { ...result, revoked: await deleteRetiredTokens(deps, d.arn, current, targets, asSecret) };
  } catch (err) {
    throw new RotationRevokeFailedError(d.arn, current.accessorId, targets, err);
  }
}
