/**
 * Errors of the ACL token rotation (`rotation-steps.ts`, `rotation-sweep.ts`). Each names the secret (ARN or name),
 * the version and accessor IDs involved, never a secret value, and says what to do.
 */
import { ConsulOpsError } from '../shared/errors';

/** Stable codes of the rotation errors, for `isErrorCode(err, ROTATION_ERROR_CODES.inProgress)`. */
export const ROTATION_ERROR_CODES = {
  authMethodToken: 'ROTATION_AUTH_METHOD_TOKEN',
  clusterMismatch: 'ROTATION_CLUSTER_MISMATCH',
  currentMissing: 'ROTATION_CURRENT_MISSING',
  currentTokenBroken: 'ROTATION_CURRENT_TOKEN_BROKEN',
  currentTokenMissing: 'ROTATION_CURRENT_TOKEN_MISSING',
  graceNotElapsed: 'ROTATION_GRACE_NOT_ELAPSED',
  inProgress: 'ROTATION_IN_PROGRESS',
  notEnabled: 'ROTATION_NOT_ENABLED',
  pendingMissing: 'ROTATION_PENDING_MISSING',
  secretInvalid: 'ROTATION_SECRET_INVALID',
  tokenConflict: 'ROTATION_TOKEN_CONFLICT',
  versionNotPending: 'ROTATION_VERSION_NOT_PENDING',
  versionUnknown: 'ROTATION_VERSION_UNKNOWN',
  tokenTestFailed: 'TOKEN_TEST_FAILED',
  sweepFailed: 'ROTATION_SWEEP_FAILED',
} as const;

/** The AWS CLI command that removes a stuck `AWSPENDING` label, so that a new rotation can start. */
export function clearPendingCommand(secretId: string, versionId: string): string {
  return `aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${versionId}`;
}

/** Rotation is not turned on for the secret, but Secrets Manager invoked the rotation function. */
export class RotationNotEnabledError extends ConsulOpsError {
  constructor(secret: string) {
    super(ROTATION_ERROR_CODES.notEnabled, `Secret ${secret} does not have rotation enabled`,
      'Enable rotation with the consul-ops stack (clusters[].rotation.tokens), or rotate by hand with `consul-ops rotate-token`.',
      { context: { secret } });
  }
}

/** The `ClientRequestToken` is not a version of the secret. */
export class RotationVersionUnknownError extends ConsulOpsError {
  constructor(secret: string, versionId: string) {
    super(ROTATION_ERROR_CODES.versionUnknown, `Secret version ${versionId} is not a staged version of ${secret}`,
      'Start rotations with `aws secretsmanager rotate-secret` (or `consul-ops rotate-token`), which create the AWSPENDING version first.',
      { context: { secret, versionId } });
  }
}

/** The version exists but is neither `AWSCURRENT` nor `AWSPENDING`: another rotation holds `AWSPENDING`, or none does. */
export class RotationVersionNotPendingError extends ConsulOpsError {
  constructor(secret: string, versionId: string, pendingVersionId: string | undefined) {
    super(
      ROTATION_ERROR_CODES.versionNotPending,
      `Secret version ${versionId} of ${secret} is not AWSPENDING` +
        (pendingVersionId ? `; the unfinished rotation of version ${pendingVersionId} holds AWSPENDING` : ''),
      pendingVersionId
        ? `Let that rotation finish (Secrets Manager reattempts it), or clear it: ${clearPendingCommand(secret, pendingVersionId)}`
        : 'Start a new rotation with `aws secretsmanager rotate-secret` or `consul-ops rotate-token`.',
      { context: { secret, versionId, pendingVersionId } },
    );
  }
}

/** Another rotation is unfinished (`AWSPENDING` on a version other than `AWSCURRENT`): a second one is refused. */
export class RotationInProgressError extends ConsulOpsError {
  constructor(secret: string, pendingVersionId: string, pendingAccessorId: string | undefined) {
    const orphan = pendingAccessorId
      ? ` If you clear it, delete the token its setSecret may have created: \`consul acl token delete -accessor-id ${pendingAccessorId}\`.`
      : '';
    super(
      ROTATION_ERROR_CODES.inProgress,
      `Secret ${secret} has an unfinished rotation (AWSPENDING is on version ${pendingVersionId}, not on AWSCURRENT); a second rotation is refused`,
      `Finish it with \`consul-ops rotate-token --secret-id ${secret} --resume\` (Secrets Manager also reattempts it at its next rotation), ` +
        `or clear it: ${clearPendingCommand(secret, pendingVersionId)}.${orphan}`,
      { context: { secret, pendingVersionId, pendingAccessorId, clearCommand: clearPendingCommand(secret, pendingVersionId) } },
    );
  }
}

/** The secret has no `AWSCURRENT` value to rotate from. */
export class RotationCurrentMissingError extends ConsulOpsError {
  constructor(secret: string) {
    super(ROTATION_ERROR_CODES.currentMissing, `Secret ${secret} has no AWSCURRENT value`,
      'Store the current token first: `aws secretsmanager put-secret-value --secret-id <id> --secret-string file://token.json`.',
      { context: { secret } });
  }
}

/** setSecret, testSecret or finishSecret ran before createSecret stored the pending value. */
export class RotationPendingMissingError extends ConsulOpsError {
  constructor(secret: string, versionId: string) {
    super(ROTATION_ERROR_CODES.pendingMissing, `Secret ${secret} has no AWSPENDING value for version ${versionId} (createSecret has not run)`,
      'Let Secrets Manager run the steps in order (it reattempts from createSecret), or re-run `consul-ops rotate-token --resume`.',
      { context: { secret, versionId } });
  }
}

/** The secret belongs to another cluster than the function or command serves. */
export class RotationClusterMismatchError extends ConsulOpsError {
  constructor(secret: string, expected: string, actual: string) {
    super(ROTATION_ERROR_CODES.clusterMismatch, `Secret ${secret} holds a token of cluster "${actual}", but this rotation serves cluster "${expected}"`,
      `Rotate it with the rotation function of cluster "${actual}", or fix "cluster" in the secret value.`,
      { context: { secret, expected, actual } });
  }
}

/** The token named by `AWSCURRENT` does not exist in Consul, so its links cannot be copied. */
export class RotationCurrentTokenMissingError extends ConsulOpsError {
  constructor(secret: string, accessorId: string) {
    super(ROTATION_ERROR_CODES.currentTokenMissing, `The current token ${accessorId} of ${secret} does not exist in Consul`,
      'Check that the secret belongs to this cluster; if the token was deleted, create a new one and store it in the secret.',
      { context: { secret, accessorId } });
  }
}

/** Tokens minted by an auth method (login) cannot be re-created with the same links. */
export class RotationAuthMethodTokenError extends ConsulOpsError {
  constructor(secret: string, accessorId: string, authMethod: string) {
    super(ROTATION_ERROR_CODES.authMethodToken, `Token ${accessorId} of ${secret} was created by auth method "${authMethod}"; consul-ops cannot mint such tokens`,
      'Rotate login tokens by logging in again; turn off consul-ops rotation for this secret.',
      { context: { secret, accessorId, authMethod } });
  }
}

/** The pending AccessorID exists in Consul with another SecretID (or one consul-ops may not see). */
export class RotationTokenConflictError extends ConsulOpsError {
  constructor(secret: string, accessorId: string, hidden: boolean) {
    super(
      ROTATION_ERROR_CODES.tokenConflict,
      hidden
        ? `Token ${accessorId} of ${secret} exists, but its SecretID is hidden: the management token lacks permission 'acl:write'`
        : `Token ${accessorId} of ${secret} exists in Consul with a different SecretID than the pending secret value`,
      hidden
        ? 'Give the management token `acl = "write"` (or global-management).'
        : `Something else created this accessor: inspect it (\`consul acl token read -accessor-id ${accessorId}\`), then clear the rotation and start a new one.`,
      { context: { secret, accessorId, ...(hidden ? { permission: 'acl:write' } : {}) } },
    );
  }
}

/** testSecret could not prove the pending token, or it grants something else than the current one. */
export class TokenTestFailedError extends ConsulOpsError {
  constructor(secret: string, accessorId: string, problems: readonly string[], cause?: unknown) {
    super(ROTATION_ERROR_CODES.tokenTestFailed, `The pending token ${accessorId} of ${secret} failed its test: ${problems.join('; ')}`,
      'Nothing was switched: AWSCURRENT still holds the working token. Fix the cause, then let Secrets Manager reattempt the rotation.',
      { context: { secret, accessorId, problems }, cause });
  }
}

/** A new rotation would replace `previousAccessorId` before its grace period ended, losing track of a live token. */
export class RotationGraceNotElapsedError extends ConsulOpsError {
  constructor(secret: string, previousAccessorId: string, until: Date) {
    super(
      ROTATION_ERROR_CODES.graceNotElapsed,
      `Secret ${secret}: the previous token ${previousAccessorId} is in its grace period until ${until.toISOString()}; rotating again now would lose track of it`,
      `Rotate after ${until.toISOString()} (Secrets Manager reattempts by itself), or, if no client uses it any more, delete it ` +
        `(\`consul acl token delete -accessor-id ${previousAccessorId}\`) and rotate again.`,
      { context: { secret, previousAccessorId, until: until.toISOString() } },
    );
  }
}

/** The sweep refuses to delete the previous token because the current one does not work. */
export class RotationCurrentTokenBrokenError extends ConsulOpsError {
  constructor(secret: string, accessorId: string, problem: string) {
    super(ROTATION_ERROR_CODES.currentTokenBroken, `Secret ${secret}: the current token ${accessorId} ${problem}; the previous token is kept as the fallback`,
      'Repair AWSCURRENT (e.g. move it back to AWSPREVIOUS with `aws secretsmanager update-secret-version-stage`) before any token is deleted.',
      { context: { secret, accessorId, problem } });
  }
}

/** The secret value does not match the rotation schema. `context.field` names the offending field. */
export class RotationSecretInvalidError extends ConsulOpsError {
  constructor(secretName: string, versionLabel: string, field: string, problem: string) {
    super(
      ROTATION_ERROR_CODES.secretInvalid,
      `Consul token secret ${secretName} (${versionLabel}): ${field === '' ? '' : `"${field}" `}${problem}`,
      'Store the token as JSON {"accessorId": "<uuid>", "secretId": "<uuid>", "cluster": "<cluster name>"} ' +
        '(optional: description, previousAccessorId with previousRotatedAt, createdAt), e.g. with ' +
        '`aws secretsmanager put-secret-value --secret-id <id> --secret-string file://token.json`. Nothing was changed.',
      { context: { secret: secretName, version: versionLabel, field, problem } },
    );
  }
}

/** The hourly sweep could not check or delete the previous token of some secrets (the function's Errors alarm fires). */
export class RotationSweepFailedError extends ConsulOpsError {
  constructor(failedSecrets: readonly string[], total: number) {
    super(
      ROTATION_ERROR_CODES.sweepFailed,
      `The previous-token sweep failed for ${failedSecrets.length} of ${total} secret(s): ${failedSecrets.join(', ')}`,
      'Read "previous token sweep failed" in the function log: each entry has the error and its remedy.',
      { context: { failures: failedSecrets } },
    );
  }
}
