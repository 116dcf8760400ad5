/**
 * The four Secrets Manager rotation steps for a Consul ACL token, ported by hand from the documented Python template
 * (`SecretsManagerRotationTemplate/lambda_function.py`), with the "alternating users" strategy Consul needs: a token's
 * SecretID is immutable, so every rotation mints a NEW token with the same links, and the old one joins the
 * retired-token ledger (`retired-ledger.ts`) to be deleted after its grace period, never in the same rotation (unless
 * an operator revokes it, `manual-rotation.ts`).
 *
 * - createSecret: stores `{accessorId, secretId}` (both pre-generated UUIDs), `previousAccessorId`,
 *   `previousRotatedAt` and the ledger as AWSPENDING (`pending-value.ts`); never overwrites an existing AWSPENDING
 *   value of the same version and never waits for a grace period.
 * - setSecret: creates that token in Consul with every link of the current token (Policies, Roles,
 *   ServiceIdentities, NodeIdentities, TemplatedPolicies, Local) and, for an expiring token, the same lifetime within
 *   Consul's limits (read with the management token). Safe to repeat: same AccessorID and SecretID → done; same
 *   AccessorID, other SecretID → loud error.
 * - testSecret: `GET /v1/acl/token/self` with the pending secret (retried with a bounded backoff while ACL replication
 *   may still be carrying a global token to this datacenter), then compares its links and lifetime with the current
 *   token's. Writes nothing.
 * - finishSecret: moves AWSCURRENT to the new version (RemoveFromVersionId = the current one), then removes
 *   AWSPENDING from it.
 *
 * Every step first checks (DescribeSecret): rotation enabled; the version is staged; already AWSCURRENT → done;
 * not AWSPENDING → error. Pure: all I/O goes through the ports.
 */
import { summarizeError } from '../shared/errors';
import { RotationAuthMethodTokenError, RotationCurrentTokenMissingError, RotationNotEnabledError, RotationTokenConflictError, RotationVersionNotPendingError, RotationVersionUnknownError, TokenTestFailedError } from './errors';
import { requirePendingValue, storePendingValue, type RetiredCleanup, type RevokeScope } from './pending-value';
import { HIDDEN_SECRET_ID, STAGE, type ConsulTokenInfo, type RotationDeps, type RotationSettings, type SecretDescription } from './ports';
import type { RotationSecretValue } from './secret-value';
import { readCurrentValue } from './sweep';
import { diffTokenLifetime, diffTokenLinks, planTokenLifetime, type TokenLifetimePlan } from './token-links';

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
  /** What createSecret did about due retired tokens. @default - not run */
  readonly retiredCleanup?: RetiredCleanup;
  /** The lifetime setSecret gave the new token (expiring tokens only). @default - never expires */
  readonly lifetime?: TokenLifetimePlan;
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

async function createSecret(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const { d, isCurrent } = await checkVersion(deps, secretId, versionId, settings);
  if (isCurrent) return already('createSecret', d, versionId);
  return openRotation(deps, d, versionId, settings);
}

/**
 * createSecret's work without the version check: also how `rotateNow` opens a rotation (PutSecretValue with
 * AWSPENDING creates the version).
 */
export async function openRotation(deps: RotationDeps, d: SecretDescription, versionId: string, settings: RotationSettings, revoke?: RevokeScope): Promise<StepResult> {
  const stored = await storePendingValue(deps, d, versionId, settings, revoke);
  return { step: 'createSecret', secret: d.arn, versionId, ...stored };
}

async function setSecret(deps: RotationDeps, secretId: string, versionId: string, settings: RotationSettings): Promise<StepResult> {
  const { d, isCurrent } = await checkVersion(deps, secretId, versionId, settings);
  if (isCurrent) return already('setSecret', d, versionId);
  const current = await readCurrentValue(deps.secrets, d, settings);
  const pending = await requirePendingValue(deps, d, versionId, current);
  const source = await deps.consul.readToken(current.accessorId);
  if (source === undefined) throw new RotationCurrentTokenMissingError(d.arn, current.accessorId);
  if (source.authMethod) throw new RotationAuthMethodTokenError(d.arn, current.accessorId, source.authMethod);
  // An expiring token's replacement expires too, after the same lifetime (within Consul's limits).
  const lifetime = planTokenLifetime(source);
  const result = (outcome: 'token-created' | 'token-exists'): StepResult => ({
    step: 'setSecret', secret: d.arn, versionId, outcome, accessorId: pending.accessorId, previousAccessorId: current.accessorId, ...(lifetime ? { lifetime } : {}),
  });
  const existing = await deps.consul.readToken(pending.accessorId);
  if (existing !== undefined) return result(sameTokenOrThrow(d, existing, pending));
  try {
    await deps.consul.createToken({ accessorId: pending.accessorId, secretId: pending.secretId, description: rotationDescription(versionId), links: source.links, ttlMs: lifetime?.ttlMs });
  } catch (err) {
    // A concurrent setSecret of the same version may have created it first.
    const raced = await deps.consul.readToken(pending.accessorId).catch(() => undefined);
    if (raced === undefined) throw err;
    return result(sameTokenOrThrow(d, raced, pending));
  }
  return result('token-created');
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
  const waitMs = settings.replicationWaitMs ?? DEFAULT_REPLICATION_WAIT_MS;
  const { self, attempts } = await readSelfWithin(deps, pending.secretId, waitMs);
  if (self === undefined) {
    throw fail(
      `Consul does not know the pending SecretID after ${attempts} attempt(s) over ${Math.round(waitMs / 1000)} s: ` +
        'ACL replication may be lagging (a global token is written in the primary datacenter and reaches a secondary only by replication), or setSecret has not run',
    );
  }
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
  const diffs = [...diffTokenLinks(source.links, self.links), ...diffTokenLifetime(source, self)];
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

/** testSecret's bound on waiting for a new global token to reach this datacenter (consul-api.md correction 7). */
export const DEFAULT_REPLICATION_WAIT_MS = 30_000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 8_000;

/**
 * `GET /v1/acl/token/self` until Consul knows the secret, with a doubling backoff (0.5 s … 8 s) and a last attempt at
 * `waitMs`. The clock and the sleep come from the deps, so tests need no real time.
 */
async function readSelfWithin(deps: RotationDeps, secretId: string, waitMs: number): Promise<{ self?: ConsulTokenInfo; attempts: number }> {
  const started = deps.now().getTime();
  let delay = FIRST_RETRY_MS;
  for (let attempts = 1; ; attempts += 1) {
    const self = await deps.consul.readSelf(secretId);
    if (self !== undefined) return { self, attempts };
    const left = waitMs - (deps.now().getTime() - started);
    if (left <= 0) return { attempts };
    await deps.sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}
