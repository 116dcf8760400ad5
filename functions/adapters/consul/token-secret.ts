/**
 * The Consul token of a Lambda, read from AWS Secrets Manager at run time and cached for one invocation only, so a
 * rotation is picked up by the next invocation without a redeploy.
 *
 * Invariant: the secret value never reaches an error, log or context. Errors name the secret (ARN or name) and what
 * is wrong with it; JSON parser messages are dropped because they quote their input.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConsulOpsError } from '../../core/shared/errors';
import type { TokenSource } from './settings';

/** The parsed secret: `{"accessorId": "...", "secretId": "..."}` (a bare UUID gives only `secretId`). */
export interface ConsulTokenSecret {
  /** Not secret; lets rotation find the token. @default - unknown (bare UUID secret) */
  readonly accessorId?: string;
  /** The token itself. */
  readonly secretId: string;
}

/** The secret exists but its value is not a usable Consul token. */
export class ConsulTokenSecretInvalidError extends ConsulOpsError {
  constructor(secretName: string, problem: string) {
    super(
      'TOKEN_SECRET_INVALID',
      `Consul token secret ${secretName}: ${problem}`,
      'Store the token as JSON {"accessorId": "<uuid>", "secretId": "<uuid>"} (or the bare SecretID UUID) in the ' +
        'secret\'s SecretString, e.g. with `aws secretsmanager put-secret-value`.',
      { context: { secret: secretName, problem } },
    );
  }
}

const READ_REMEDY: Record<string, string> = {
  ResourceNotFoundException: 'Check the secret ARN in the stack config and that the secret exists in this account and Region.',
  AccessDeniedException: 'Grant the Lambda role secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its key).',
  DecryptionFailure: 'Grant the Lambda role kms:Decrypt on the secret\'s KMS key.',
  InvalidRequestException: 'The secret may be scheduled for deletion: restore it or point the stack at another secret.',
};

/** Secrets Manager refused or failed to return the secret. `context.awsError` names the AWS error. */
export class ConsulTokenSecretUnreadableError extends ConsulOpsError {
  constructor(secretName: string, awsError: string, cause: unknown) {
    super(
      'TOKEN_SECRET_UNREADABLE',
      `Consul token secret ${secretName} cannot be read (${awsError})`,
      READ_REMEDY[awsError] ?? 'Check the secret ARN, the Lambda role permissions and the Secrets Manager endpoint.',
      { context: { secret: secretName, awsError }, cause },
    );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function pick(obj: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (obj[k] !== undefined) return obj[k];
  return undefined;
}

/**
 * Parses a secret value. Accepts `{"accessorId", "secretId", ...}` (also Consul's `AccessorID`/`SecretID` casing)
 * or a bare UUID (e.g. the bootstrap management token).
 */
export function parseConsulTokenSecret(value: string, secretName: string): ConsulTokenSecret {
  const text = value.trim();
  if (text === '') throw new ConsulTokenSecretInvalidError(secretName, 'the value is empty');
  if (UUID.test(text)) return { secretId: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConsulTokenSecretInvalidError(secretName, 'the value is neither JSON nor a bare token UUID');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConsulTokenSecretInvalidError(secretName, 'the JSON value is not an object');
  }
  const obj = parsed as Record<string, unknown>;
  const secretId = pick(obj, 'secretId', 'SecretID');
  if (secretId === undefined || secretId === '') throw new ConsulTokenSecretInvalidError(secretName, 'the JSON has no "secretId"');
  if (typeof secretId !== 'string' || !UUID.test(secretId.trim())) {
    throw new ConsulTokenSecretInvalidError(secretName, '"secretId" is not a UUID');
  }
  const accessorId = pick(obj, 'accessorId', 'AccessorID');
  if (accessorId !== undefined && (typeof accessorId !== 'string' || !UUID.test(accessorId.trim()))) {
    throw new ConsulTokenSecretInvalidError(secretName, '"accessorId" is not a UUID');
  }
  return { secretId: secretId.trim(), accessorId: typeof accessorId === 'string' ? accessorId.trim() : undefined };
}

/** Options of {@link readConsulTokenSecret}. */
export interface ReadConsulTokenSecretOptions {
  /** e.g. `AWSPENDING` while testing a rotated token. @default 'AWSCURRENT' */
  readonly versionStage?: string;
}

/** Reads and parses the token secret once. */
export async function readConsulTokenSecret(
  client: SecretsManagerClient,
  secretArn: string,
  opts: ReadConsulTokenSecretOptions = {},
): Promise<ConsulTokenSecret> {
  let out;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: opts.versionStage }));
  } catch (cause) {
    const name = (cause as { name?: string }).name ?? 'Error';
    throw new ConsulTokenSecretUnreadableError(secretArn, name, cause);
  }
  if (out.SecretString === undefined) {
    const problem = out.SecretBinary ? 'the value is stored as SecretBinary, not SecretString' : 'the secret has no value';
    throw new ConsulTokenSecretInvalidError(secretArn, problem);
  }
  return parseConsulTokenSecret(out.SecretString, secretArn);
}

/** A {@link TokenSource} that also exposes the whole parsed secret (e.g. its accessor ID). */
export interface ConsulTokenSecretSource extends TokenSource {
  /** The parsed secret, read at most once per source. */
  readonly secret: () => Promise<ConsulTokenSecret>;
}

/**
 * Returns a factory to call once per Lambda invocation: each call gives a fresh source that reads the secret on
 * first use and caches it for the rest of that invocation only (a failed read is not cached).
 *
 * @example
 * const tokenSources = consulTokenSecretSourceFactory(new SecretsManagerClient({}), process.env.CONSUL_TOKEN_SECRET_ARN!);
 * export const handler = async () => {
 *   const consul = new ConsulHttpClient({ settings, token: tokenSources() });
 * };
 */
export function consulTokenSecretSourceFactory(
  client: SecretsManagerClient,
  secretArn: string,
  opts: ReadConsulTokenSecretOptions = {},
): () => ConsulTokenSecretSource {
  return () => {
    let cached: Promise<ConsulTokenSecret> | undefined;
    const secret = (): Promise<ConsulTokenSecret> => {
      cached ??= readConsulTokenSecret(client, secretArn, opts).catch((err: unknown) => {
        cached = undefined;
        throw err;
      });
      return cached;
    };
    const source = async (): Promise<string | undefined> => (await secret()).secretId;
    return Object.assign(source, { secret });
  };
}
