/**
 * The four Secrets Manager rotation steps for a Consul ACL token, ported by hand from the documented Python template
 * (`SecretsManagerRotationTemplate/lambda_function.py`), with the "alternating users" strategy Consul needs: a token's
 * SecretID is immutable, so every rotation mints a NEW token with the same links and the old one is deleted later
 * (`rotation-sweep.ts`), never in the same rotation.
 *
 * - createSecret: reads the current token with the management token (so a missing `acl:read` or a token that cannot be
 *   copied stops the rotation before anything is written), then stores `{accessorId, secretId}` (both pre-generated
 *   UUIDs) plus `previousAccessorId` and `previousRotatedAt` as AWSPENDING; never overwrites an existing AWSPENDING
 *   value of the same version.
 * - setSecret: creates that token in Consul with the current token's Policies, Roles, ServiceIdentities,
 *   NodeIdentities and Local (read with the management token). Safe to repeat: same AccessorID and SecretID → done;
 *   same AccessorID, other SecretID → loud error.
 * - testSecret: `GET /v1/acl/token/self` with the pending secret, then compares its links with the current token's.
 *   Writes nothing.
 * - finishSecret: moves AWSCURRENT to the new version (RemoveFromVersionId = the current one), then removes
 *   AWSPENDING from it.
 *
 * Every step first checks (DescribeSecret): rotation enabled; the version is staged; already AWSCURRENT → done;
 * not AWSPENDING → error. Pure: all I/O goes through the ports.
 */
import { TokenTestFailedError, RotationAuthMethodTokenError, RotationCurrentTokenMissingError, RotationGraceNotElapsedError, RotationInProgressError, RotationNotEnabledError, RotationPendingMissingError, RotationTokenConflictError, RotationVersionNotPendingError, RotationVersionUnknownError } from './errors';
import { diffTokenLinks, HIDDEN_SECRET_ID, STAGE, type ConsulTokenInfo, type RotationDeps, type RotationSettings, type SecretDescription } from './ports';
import { parseRotationSecret, serializeRotationSecret, type RotationSecretValue } from './secret-value';
import { checkCluster, readCurrentValue, sweepPreviousToken, type SweepResult } from './sweep';
import { summarizeError } from '../shared/errors';

/** The steps, in the order Secrets Manager runs them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
/** One rotation step. */
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What one step did. */
export interface StepResult {
  readonly step: RotationStep;
  /** The secret's ARN. */
  readonly secret: string;
  /** The version being rotated in (`ClientRequestToken`). */
  readonly versionId: string;
  readonly outcome: 'already-current' | 'pending-stored' | 'pending-exists' | 'token-created' | 'token-exists' | 'tested' | 'finished' | 'pending-label-removed';
  /** AccessorID of the new token. @default - unknown (already-current) */
  readonly accessorId?: string;
  /** AccessorID of the token it replaces. @default - unknown */
  readonly previousAccessorId?: string;
  /** What createSecret did about the token replaced by the rotation before. @default - not checked */
  readonly previousTokenCleanup?: SweepResult;
}

/** The Description of every token minted by a rotation. */
export function rotationDescription(versionId: string): string {
  return `rotated-by=consul-ops ver=${versionId}`;
}

/** The version holding AWSPENDING without being AWSCURRENT (an unfinished rotation), if any. */
export function findUnfinishedRotation(d: SecretDescription): string | undefined {
  return Object.entries(d.versionStages).find(([, stages]) => stages.includes(STAGE.pending) && !stages.includes(STAGE.current))?.[0];
}

/**
 * Runs one step. Every step is safe to repeat (Secrets Manager retries them).
 *
 * @example
 * await runRotationStep(deps, event.Step, event.SecretId, event.ClientRequestToken, { cluster: 'prod', gracePeriodMs });
 */
export function runRotationStep(deps: RotationDeps, step: RotationStep, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const run = { createSecret, setSecret, testSecret, finishSecret }[step];
  return run(deps, secretId, versionId, settings);
}

interface CheckedVersion {
  readonly d: SecretDescription;
  readonly stages: readonly string[];
  readonly isCurrent: boolean;
}

/** The template's pre-check, run by every step. */
async function checkVersion(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<CheckedVersion> {
  const d = await deps.secrets.describe(secretId);
  if ((settings.requireRotationEnabled ?? true) && !d.rotationEnabled) throw new RotationNotEnabledError(d.arn);
  const stages = d.versionStages[versionId];
  if (stages === undefined) throw new RotationVersionUnknownError(d.arn, versionId);
  if (stages.includes(STAGE.current)) return { d, stages, isCurrent: true };
  if (!stages.includes(STAGE.pending)) throw new RotationVersionNotPendingError(d.arn, versionId, findUnfinishedRotation(d));
  return { d, stages, isCurrent: false };
}

const already = (step: RotationStep, d: SecretDescription, versionId: string): StepResult => ({ step, secret: d.arn, versionId, outcome: 'already-current' });

/** The pending value, read with VersionId AND VersionStage (aws-sdk-js-v3#7701); `undefined` when not stored yet. */
async function readPendingValue(deps: RotationDeps, d: SecretDescription, versionId: string): Promise<RotationSecretValue | undefined> {
  const read = await deps.secrets.getValue(d.arn, { versionId, stage: STAGE.pending });
  return read === undefined ? undefined : parseRotationSecret(read.value, d.arn, `${STAGE.pending} ${versionId}`);
}

async function requirePendingValue(deps: RotationDeps, d: SecretDescription, versionId: string, current: RotationSecretValue): Promise<RotationSecretValue> {
  const pending = await readPendingValue(deps, d, versionId);
  if (pending === undefined) throw new RotationPendingMissingError(d.arn, versionId);
  checkCluster(d.arn, pending, current.cluster);
  return pending;
}

async function createSecret(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const { d, isCurrent } = await checkVersion(deps, secretId, versionId, settings);
  if (isCurrent) return already('createSecret', d, versionId);
  return storePendingValue(deps, d, versionId, settings);
}

/** createSecret's work, also how `rotateNow` opens a rotation (PutSecretValue with AWSPENDING creates the version). */
async function storePendingValue(deps: RotationDeps, d: SecretDescription, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const current = await readCurrentValue(deps.secrets, d, settings);
  const base = { step: 'createSecret' as const, secret: d.arn, versionId, previousAccessorId: current.accessorId };
  // Never overwrite the pending value of this version: setSecret may already have minted its token.
  const existing = await readPendingValue(deps, d, versionId);
  if (existing !== undefined) return { ...base, outcome: 'pending-exists', accessorId: existing.accessorId };
  // Nothing is written before the management token has shown it can read the token to copy (acl:read), and that
  // the token can be copied: a token or permission problem stops here, not after AWSPENDING exists.
  await readCopyableToken(deps, d, current);
  // The new value replaces previousAccessorId: the token it names must be deleted (grace over) or the rotation waits.
  const cleanup = await sweepPreviousToken(deps, d.arn, settings, { description: d, current });
  if (cleanup.outcome === 'in-grace') throw new RotationGraceNotElapsedError(d.arn, cleanup.accessorId!, cleanup.until!);
  const now = deps.now().toISOString();
  const next: RotationSecretValue = {
    accessorId: deps.newUuid(),
    secretId: deps.newUuid(),
    cluster: current.cluster,
    previousAccessorId: current.accessorId,
    previousRotatedAt: now,
    createdAt: now,
    ...(current.description === undefined ? {} : { description: current.description }),
  };
  if ((await deps.secrets.putPendingValue(d.arn, versionId, serializeRotationSecret(next))) === 'conflict') {
    // A concurrent createSecret of the same version stored its value first: keep that one.
    const winner = await requirePendingValue(deps, d, versionId, current);
    return { ...base, outcome: 'pending-exists', accessorId: winner.accessorId, previousTokenCleanup: cleanup };
  }
  return { ...base, outcome: 'pending-stored', accessorId: next.accessorId, previousTokenCleanup: cleanup };
}

async function setSecret(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const { d, isCurrent } = await checkVersion(deps, secretId, versionId, settings);
  if (isCurrent) return already('setSecret', d, versionId);
  const current = await readCurrentValue(deps.secrets, d, settings);
  const pending = await requirePendingValue(deps, d, versionId, current);
  const result = (outcome: 'token-created' | 'token-exists'): StepResult => ({
    step: 'setSecret', secret: d.arn, versionId, outcome, accessorId: pending.accessorId, previousAccessorId: current.accessorId,
  });
  const source = await readCopyableToken(deps, d, current);
  const existing = await deps.consul.readToken(pending.accessorId);
  if (existing !== undefined) return result(sameTokenOrThrow(d, existing, pending));
  try {
    await deps.consul.createToken({ accessorId: pending.accessorId, secretId: pending.secretId, description: rotationDescription(versionId), links: source.links });
  } catch (err) {
    // A concurrent setSecret of the same version may have created it first.
    const raced = await deps.consul.readToken(pending.accessorId).catch(() => undefined);
    if (raced === undefined) throw err;
    return result(sameTokenOrThrow(d, raced, pending));
  }
  return result('token-created');
}

/** The current token as the management token reads it, refused when it is gone or belongs to an auth method. */
async function readCopyableToken(deps: RotationDeps, d: SecretDescription, current: RotationSecretValue): Promise<ConsulTokenInfo> {
  const source = await deps.consul.readToken(current.accessorId);
  if (source === undefined) throw new RotationCurrentTokenMissingError(d.arn, current.accessorId);
  if (source.authMethod) throw new RotationAuthMethodTokenError(d.arn, current.accessorId, source.authMethod);
  return source;
}

function sameTokenOrThrow(d: SecretDescription, token: ConsulTokenInfo, pending: RotationSecretValue): 'token-exists' {
  if (token.secretId === pending.secretId) return 'token-exists';
  throw new RotationTokenConflictError(d.arn, pending.accessorId, token.secretId === HIDDEN_SECRET_ID);
}

async function testSecret(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const { d, isCurrent } = await checkVersion(deps, secretId, versionId, settings);
  if (isCurrent) return already('testSecret', d, versionId);
  const current = await readCurrentValue(deps.secrets, d, settings);
  const pending = await requirePendingValue(deps, d, versionId, current);
  const fail = (problem: string, cause?: unknown) => new TokenTestFailedError(d.arn, pending.accessorId, [problem], cause);
  const self = await deps.consul.readSelf(pending.secretId);
  if (self === undefined) throw fail('Consul does not know the pending SecretID (has setSecret run?)');
  if (self.accessorId !== pending.accessorId) throw fail(`the pending SecretID belongs to token ${self.accessorId}`);
  // A pending management token reads the links itself: it must at least read ACLs before consul-ops depends on it.
  const isManagement = d.arn === settings.managementSecretArn;
  let source: ConsulTokenInfo | undefined;
  try {
    source = await deps.consul.readToken(current.accessorId, isManagement ? pending.secretId : undefined);
  } catch (err) {
    if (!isManagement) throw err;
    throw fail(`the pending management token cannot read ACL tokens (${summarizeError(err).message})`, err);
  }
  if (source === undefined) throw new RotationCurrentTokenMissingError(d.arn, current.accessorId);
  const diffs = diffTokenLinks(source.links, self.links);
  if (diffs.length > 0) throw new TokenTestFailedError(d.arn, pending.accessorId, diffs);
  return { step: 'testSecret', secret: d.arn, versionId, outcome: 'tested', accessorId: pending.accessorId, previousAccessorId: current.accessorId };
}

async function finishSecret(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const { d, stages, isCurrent } = await checkVersion(deps, secretId, versionId, settings);
  if (isCurrent) {
    // A retry after AWSCURRENT moved but before AWSPENDING was removed: finish the cleanup (aws-samples#168).
    if (!stages.includes(STAGE.pending)) return already('finishSecret', d, versionId);
    await deps.secrets.updateStage(d.arn, STAGE.pending, { removeFromVersionId: versionId });
    return { step: 'finishSecret', secret: d.arn, versionId, outcome: 'pending-label-removed' };
  }
  const current = await readCurrentValue(deps.secrets, d, settings);
  // Never make a value current that could not be read back.
  const pending = await requirePendingValue(deps, d, versionId, current);
  const currentVersionId = Object.entries(d.versionStages).find(([, s]) => s.includes(STAGE.current))?.[0];
  await deps.secrets.updateStage(d.arn, STAGE.current, { moveToVersionId: versionId, removeFromVersionId: currentVersionId });
  await deps.secrets.updateStage(d.arn, STAGE.pending, { removeFromVersionId: versionId });
  return { step: 'finishSecret', secret: d.arn, versionId, outcome: 'finished', accessorId: pending.accessorId, previousAccessorId: pending.previousAccessorId };
}

/** What {@link rotateNow} did. */
export interface ManualRotationResult {
  readonly secret: string;
  /** The cluster the secret's token belongs to (its `cluster` field). */
  readonly cluster: string;
  readonly versionId: string;
  /** The new token, now AWSCURRENT. */
  readonly accessorId: string;
  /** The replaced token, valid until the grace period ends. @default - none */
  readonly previousAccessorId?: string;
  /** True when an unfinished rotation was finished instead of a new one started. */
  readonly resumed: boolean;
  readonly steps: readonly StepResult[];
}

/**
 * One whole rotation run by an operator (the CLI), with the same steps the Lambda runs. It opens the rotation itself
 * the way RotateSecret would: a fresh version ID and `PutSecretValue(VersionStages=[AWSPENDING])` (createSecret's own
 * write). Rotation need not be enabled on the secret. An unfinished rotation is refused, or finished with `resume`.
 *
 * @example
 * const result = await rotateNow(deps, 'consul/prod/web', { gracePeriodMs: 24 * 3_600_000 });
 */
export async function rotateNow(deps: RotationDeps, secretId: string, settings: RotationSettings, opts: { readonly resume?: boolean } = {}): Promise<ManualRotationResult> {
  const manual: RotationSettings = { ...settings, requireRotationEnabled: false };
  const d = await deps.secrets.describe(secretId);
  const unfinished = findUnfinishedRotation(d);
  if (unfinished !== undefined && opts.resume !== true) {
    const pendingAccessorId = await readPendingValue(deps, d, unfinished).then((v) => v?.accessorId, () => undefined);
    throw new RotationInProgressError(d.arn, unfinished, pendingAccessorId);
  }
  const versionId = unfinished ?? deps.newUuid();
  const steps: StepResult[] = [unfinished === undefined ? await storePendingValue(deps, d, versionId, manual) : await createSecret(deps, d.arn, versionId, manual)];
  for (const step of ROTATION_STEPS.slice(1)) steps.push(await runRotationStep(deps, step, d.arn, versionId, manual));
  const created = steps[0];
  const current = await readCurrentValue(deps.secrets, await deps.secrets.describe(d.arn), manual);
  return {
    secret: d.arn,
    cluster: current.cluster,
    versionId,
    accessorId: steps.find((s) => s.accessorId !== undefined)?.accessorId ?? '',
    previousAccessorId: created.previousAccessorId,
    resumed: unfinished !== undefined,
    steps,
  };
}
