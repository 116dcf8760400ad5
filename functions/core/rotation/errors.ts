/**
 * Errors of the ACL token rotation (`steps.ts`, `sweep.ts`, `manual-rotation.ts`). Each names the secret (ARN or
 * name), the version and accessor IDs involved, never a secret value, and says what to do.
 */
import { ConsulOpsError, summarizeError } from '../shared/errors';

/** Stable codes of the rotation errors, for `isErrorCode(err, ROTATION_ERROR_CODES.inProgress)`. */
export const ROTATION_ERROR_CODES = {
  authMethodToken: 'ROTATION_AUTH_METHOD_TOKEN',
  clusterMismatch: 'ROTATION_CLUSTER_MISMATCH',
  currentMissing: 'ROTATION_CURRENT_MISSING',
  currentTokenBroken: 'ROTATION_CURRENT_TOKEN_BROKEN',
  currentTokenMissing: 'ROTATION_CURRENT_TOKEN_MISSING',
  inProgress: 'ROTATION_IN_PROGRESS',
  ledgerFull: 'ROTATION_LEDGER_FULL',
  notEnabled: 'ROTATION_NOT_ENABLED',
  pendingMissing: 'ROTATION_PENDING_MISSING',
  secretInvalid: 'ROTATION_SECRET_INVALID',
  tokenConflict: 'ROTATION_TOKEN_CONFLICT',
  versionNotPending: 'ROTATION_VERSION_NOT_PENDING',
  versionUnknown: 'ROTATION_VERSION_UNKNOWN',
  tokenTestFailed: 'TOKEN_TEST_FAILED',
  sweepFailed: 'ROTATION_SWEEP_FAILED',
  unfinished: 'ROTATION_UNFINISHED',
  revokeFailed: 'ROTATION_REVOKE_FAILED',
} as const;

/** The AWS CLI command that removes a stuck `AWSPENDING` label, so that a new rotation can start. */
export function clearPendingCommand(secretId: string, versionId: string): string {
  return `aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${versionId}`;
}

/** The Consul CLI command that deletes a token by AccessorID. */
export function deleteTokenCommand(accessorId: string): string {
  return `consul acl token delete -accessor-id ${accessorId}`;
}

/**
 * What to do about an unfinished rotation (AWSPENDING on a version that is not AWSCURRENT): the commands that finish
 * it and the exact command that clears it, plus the deletion of the token its setSecret may have created.
 */
export function unfinishedRotationRemedy(secret: string, versionId: string, pendingAccessorId: string | undefined): string {
  const orphan = pendingAccessorId ? ` If you clear it, also delete the token its setSecret may have created: \`${deleteTokenCommand(pendingAccessorId)}\`.` : '';
  return (
    `The rotation stays unfinished (AWSPENDING on version ${versionId}) until it is finished, after fixing the cause, with ` +
    `\`consul-ops rotate-token --secret-id ${secret} --resume\` (or \`aws secretsmanager rotate-secret --secret-id ${secret}\`), ` +
    `or cleared with \`${clearPendingCommand(secret, versionId)}\`.${orphan}`
  );
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
    super(
      ROTATION_ERROR_CODES.inProgress,
      `Secret ${secret} has an unfinished rotation (AWSPENDING is on version ${pendingVersionId}, not on AWSCURRENT); a second rotation is refused`,
      unfinishedRotationRemedy(secret, pendingVersionId, pendingAccessorId),
      { context: { secret, pendingVersionId, pendingAccessorId, clearCommand: clearPendingCommand(secret, pendingVersionId) } },
    );
  }
}

/**
 * A rotation run by an operator stopped after it opened its AWSPENDING version. The cause's code, message and remedy
 * are kept; the remedy adds how to finish or clear the rotation.
 */
export class RotationUnfinishedError extends ConsulOpsError {
  constructor(secret: string, versionId: string, pendingAccessorId: string | undefined, cause: unknown) {
    const e = summarizeError(cause);
    super(
      ROTATION_ERROR_CODES.unfinished,
      `The rotation of ${secret} (version ${versionId}) stopped: ${e.code}: ${e.message}`,
      `${e.remedy} AWSCURRENT is unchanged and keeps working. ${unfinishedRotationRemedy(secret, versionId, pendingAccessorId)}`,
      { context: { ...e.context, secret, versionId, pendingAccessorId, causeCode: e.code, clearCommand: clearPendingCommand(secret, versionId) }, cause },
    );
  }
}

/** The rotation completed, but deleting the retired tokens at once (`--revoke-now`) did not. */
export class RotationRevokeFailedError extends ConsulOpsError {
  constructor(secret: string, newAccessorId: string, accessorIds: readonly string[], cause: unknown) {
    const e = summarizeError(cause);
    super(
      ROTATION_ERROR_CODES.revokeFailed,
      `Secret ${secret} was rotated (new token ${newAccessorId} is AWSCURRENT), but the retired token(s) ${accessorIds.join(', ')} could not be deleted: ${e.code}: ${e.message}`,
      `${e.remedy} Then delete them: ${accessorIds.map((id) => `\`${deleteTokenCommand(id)}\``).join(', ')} (the hourly sweep also deletes them, as they are due).`,
      { context: { secret, accessorId: newAccessorId, retired: [...accessorIds], causeCode: e.code }, cause },
    );
  }
}

/** The retired-token ledger would hold more live tokens than a secret value can carry. */
export class RotationLedgerFullError extends ConsulOpsError {
  constructor(secret: string, entries: number, limit: number) {
    super(
      ROTATION_ERROR_CODES.ledgerFull,
      `Secret ${secret}: its retired-token ledger holds ${entries} tokens that may still exist; a rotation would exceed the limit of ${limit}`,
      'Delete the retired tokens no client uses any more (their AccessorIDs are in the secret\'s "retired" list) with `consul acl token delete -accessor-id <id>`, then rotate again.',
      { context: { secret, entries, limit } },
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

/** Retired tokens are not deleted because the current token does not work. */
export class RotationCurrentTokenBrokenError extends ConsulOpsError {
  constructor(secret: string, accessorId: string, problem: string) {
    super(ROTATION_ERROR_CODES.currentTokenBroken, `Secret ${secret}: the current token ${accessorId} ${problem}; the retired tokens are kept as the fallback`,
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
        '(optional: description, previousAccessorId with previousRotatedAt, retired, createdAt), e.g. with ' +
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
      `The retired-token sweep failed for ${failedSecrets.length} of ${total} secret(s): ${failedSecrets.join(', ')}`,
      'Read the sweep report (or "retired token sweep failed" in the function log): each entry has the error and its remedy.',
      { context: { failures: failedSecrets } },
    );
  }
}
