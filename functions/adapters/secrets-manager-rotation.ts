/**
 * {@link RotationSecrets} over the AWS SDK v3 Secrets Manager client. It only translates calls and errors.
 *
 * Invariant: secret values are passed through, never put into an error, and AWS error messages are redacted.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConsulOpsError, redactSecrets } from '../core/shared/errors';
import type { RotationSecrets, SecretDescription, SecretVersionValue } from '../core/rotation/ports';

const REMEDY: Record<string, string> = {
  AccessDeniedException: 'Grant the rotation role secretsmanager:DescribeSecret, GetSecretValue, PutSecretValue and UpdateSecretVersionStage on the secret (and kms:Decrypt/GenerateDataKey on its key).',
  ResourceNotFoundException: 'Check the secret ARN or name and the Region.',
  DecryptionFailure: "Grant the rotation role kms:Decrypt on the secret's KMS key.",
  InvalidRequestException: 'The secret may be scheduled for deletion, or another rotation holds AWSPENDING: see DescribeSecret.',
  InvalidParameterException: 'The staging labels changed underneath this step (a concurrent rotation?): check DescribeSecret, then let Secrets Manager reattempt.',
};

/** A Secrets Manager call failed. `context.awsError` names the AWS error. */
export class SecretsManagerCallError extends ConsulOpsError {
  constructor(operation: string, secret: string, cause: unknown) {
    const awsError = (cause as { name?: string }).name ?? 'Error';
    const detail = redactSecrets(String((cause as { message?: string }).message ?? '').split('\n')[0]).slice(0, 300);
    super('SECRETS_MANAGER_FAILED', `Secrets Manager ${operation} on ${secret} failed (${awsError}${detail ? `: ${detail}` : ''})`,
      REMEDY[awsError] ?? 'Check network access to Secrets Manager (VPC endpoint or NAT) and retry.',
      { context: { operation, secret, awsError }, cause });
  }
}

/** Options of {@link SecretsManagerRotationStore}. */
export interface SecretsManagerRotationStoreProps {
  readonly client: SecretsManagerClient;
  /**
   * The event's `RotationToken`, passed on to PutSecretValue (needed for assumed-role and cross-account rotation).
   * @default - none
   */
  readonly rotationToken?: string;
}

/**
 * Secrets Manager for the rotation workflows.
 *
 * @example
 * const secrets = new SecretsManagerRotationStore({ client: createSecretsManagerClient(), rotationToken: event.RotationToken });
 */
export class SecretsManagerRotationStore implements RotationSecrets {
  constructor(private readonly props: SecretsManagerRotationStoreProps) {}

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await this.call('DescribeSecret', secretId, () => this.props.client.send(new DescribeSecretCommand({ SecretId: secretId })));
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      versionStages: out.VersionIdsToStages ?? {},
      ...(out.LastRotatedDate ? { lastRotatedDate: out.LastRotatedDate } : {}),
    };
  }

  async getValue(secretId: string, version: { readonly versionId?: string; readonly stage: string }): Promise<SecretVersionValue | undefined> {
    try {
      const out = await this.props.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: version.versionId, VersionStage: version.stage }));
      return { versionId: out.VersionId ?? version.versionId ?? '', value: out.SecretString };
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw new SecretsManagerCallError('GetSecretValue', secretId, err);
    }
  }

  async putPendingValue(secretId: string, versionId: string, value: string): Promise<'created' | 'conflict'> {
    try {
      await this.props.client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
          ...(this.props.rotationToken ? { RotationToken: this.props.rotationToken } : {}),
        }),
      );
      return 'created';
    } catch (err) {
      // "You can't modify an existing version": the same version already holds another value.
      if ((err as { name?: string }).name === 'ResourceExistsException') return 'conflict';
      throw new SecretsManagerCallError('PutSecretValue', secretId, err);
    }
  }

  async updateStage(secretId: string, stage: string, move: { readonly moveToVersionId?: string; readonly removeFromVersionId?: string }): Promise<void> {
    await this.call('UpdateSecretVersionStage', secretId, () =>
      this.props.client.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: stage, MoveToVersionId: move.moveToVersionId, RemoveFromVersionId: move.removeFromVersionId })),
    );
  }

  private async call<T>(operation: string, secretId: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw new SecretsManagerCallError(operation, secretId, err);
    }
  }
}
