/**
 * A small, wire-level fake of AWS Secrets Manager (awsJson1.1 over `node:http`) for tests and local runs.
 *
 * No emulator exists for Secrets Manager, so the version-stage rules below are ours and follow the AWS docs
 * (ops-contracts §3): a staging label sits on one version only; moving `AWSCURRENT` puts `AWSPREVIOUS` on the old
 * current version; `ClientRequestToken` is the VersionId and the idempotency key; `RotateSecret` refuses to start
 * while `AWSPENDING` sits on a version other than `AWSCURRENT`. The contract test
 * `test/local/secrets-manager-fake.test.ts` pins them with the real `SecretsManagerClient`.
 *
 * SigV4 signatures are accepted without checking. `RotateSecret` cannot invoke a Lambda: pass `onRotate` to run
 * the rotation handler in process.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One version of a fake secret. A version created by `RotateSecret` has no value until `PutSecretValue` fills it. */
export interface FakeSecretVersion {
  readonly versionId: string;
  secretString?: string;
  secretBinary?: string;
  readonly stages: Set<string>;
  readonly createdDate: Date;
}

/** The stored state of one fake secret. */
export interface FakeSecret {
  readonly arn: string;
  readonly name: string;
  readonly description?: string;
  readonly createdDate: Date;
  lastChangedDate: Date;
  lastRotatedDate?: Date;
  deletedDate?: Date;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: Record<string, unknown>;
  /** The version the last `RotateSecret` started; finishing it (moving `AWSCURRENT` there) sets `lastRotatedDate`. */
  rotatingVersionId?: string;
  readonly versions: Map<string, FakeSecretVersion>;
}

/** Options of {@link startSecretsManagerFake}. */
export interface SecretsManagerFakeOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /**
   * Runs the rotation, as the rotation Lambda would, after `RotateSecret` has created the `AWSPENDING` version.
   * `RotateSecret` answers after the hook settles; a failing hook does not fail `RotateSecret` (as in AWS, where
   * the Lambda runs asynchronously) but is recorded in `rotationErrors`.
   * @default - no rotation runs; the `AWSPENDING` version stays empty
   */
  readonly onRotate?: (secretArn: string, clientRequestToken: string) => Promise<void>;
}

/** A running fake. */
export interface SecretsManagerFake {
  /** Base URL for `new SecretsManagerClient({ endpoint })`. */
  readonly endpoint: string;
  /** Live state by secret name, for assertions. Change it only through the API. */
  readonly secrets: ReadonlyMap<string, Readonly<FakeSecret>>;
  /** Errors thrown by `onRotate`, oldest first. */
  readonly rotationErrors: readonly unknown[];
  /** Closes the server. */
  stop(): Promise<void>;
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

type Json = Record<string, unknown>;

/** An awsJson1.1 error: `{"__type": type, "message": message}` with status 400. */
class ApiError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

const notFound = (what: string) => new ApiError('ResourceNotFoundException', `Secrets Manager can't find ${what}.`);
const invalidParameter = (message: string) => new ApiError('InvalidParameterException', message);
const epoch = (date: Date | undefined) => (date === undefined ? undefined : date.getTime() / 1000);

/**
 * Starts the fake on a free loopback port.
 *
 * @example
 * const fake = await startSecretsManagerFake();
 * const sm = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials });
 * await sm.send(new CreateSecretCommand({ Name: 'consul/prod', SecretString: '{}' }));
 * await fake.stop();
 */
export async function startSecretsManagerFake(options: SecretsManagerFakeOptions = {}): Promise<SecretsManagerFake> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const secrets = new Map<string, FakeSecret>();
  const rotationErrors: unknown[] = [];

  const find = (id: unknown, allowDeleted = false): FakeSecret => {
    const secret = [...secrets.values()].find((s) => s.name === id || s.arn === id);
    if (secret === undefined) throw notFound('the specified secret');
    if (secret.deletedDate !== undefined && !allowDeleted) {
      throw new ApiError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    }
    return secret;
  };
  const holder = (secret: FakeSecret, stage: string) => [...secret.versions.values()].find((v) => v.stages.has(stage));

  /** Puts `stage` on `target` only; moving AWSCURRENT leaves AWSPREVIOUS on the old current version. */
  const moveStage = (secret: FakeSecret, stage: string, target: FakeSecretVersion) => {
    const from = holder(secret, stage);
    if (from === target) return;
    from?.stages.delete(stage);
    target.stages.add(stage);
    if (stage !== CURRENT) return;
    if (from !== undefined) moveStage(secret, PREVIOUS, from);
    if (target.versionId === secret.rotatingVersionId) secret.lastRotatedDate = new Date();
  };

  const addVersion = (secret: FakeSecret, versionId: string, value: Json, stages: string[]) => {
    const version: FakeSecretVersion = { versionId, stages: new Set(), createdDate: new Date() };
    setValue(version, value);
    secret.versions.set(versionId, version);
    for (const stage of stages) moveStage(secret, stage, version);
    secret.lastChangedDate = new Date();
    return version;
  };

  const ops: Record<string, (input: Json) => Json | Promise<Json>> = {
    CreateSecret(input) {
      const name = String(input.Name ?? '');
      if (name === '') throw invalidParameter('You must provide a value for Name.');
      const existing = secrets.get(name);
      if (existing?.deletedDate !== undefined) {
        throw new ApiError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
      }
      if (existing !== undefined) throw new ApiError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      const now = new Date();
      const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomBytes(3).toString('hex')}`;
      const secret: FakeSecret = {
        arn, name, description: input.Description as string | undefined, createdDate: now, lastChangedDate: now,
        rotationEnabled: false, versions: new Map(),
      };
      secrets.set(name, secret);
      if (input.SecretString === undefined && input.SecretBinary === undefined) return { ARN: arn, Name: name };
      const version = addVersion(secret, tokenOf(input), input, [CURRENT]);
      return { ARN: arn, Name: name, VersionId: version.versionId };
    },

    DescribeSecret(input) {
      const s = find(input.SecretId, true);
      const stages = [...s.versions.values()].filter((v) => v.stages.size > 0);
      return {
        ARN: s.arn, Name: s.name, Description: s.description, RotationEnabled: s.rotationEnabled,
        RotationLambdaARN: s.rotationLambdaArn, RotationRules: s.rotationRules, CreatedDate: epoch(s.createdDate),
        LastChangedDate: epoch(s.lastChangedDate), LastRotatedDate: epoch(s.lastRotatedDate), DeletedDate: epoch(s.deletedDate),
        VersionIdsToStages: Object.fromEntries(stages.map((v) => [v.versionId, [...v.stages]])),
      };
    },

    GetSecretValue(input) {
      const s = find(input.SecretId);
      const versionId = input.VersionId as string | undefined;
      const stage = (input.VersionStage as string | undefined) ?? (versionId === undefined ? CURRENT : undefined);
      const version = versionId === undefined ? holder(s, stage ?? CURRENT) : s.versions.get(versionId);
      const hasValue = version !== undefined && (version.secretString !== undefined || version.secretBinary !== undefined);
      if (!hasValue || (stage !== undefined && !version.stages.has(stage))) {
        throw notFound(`the specified secret value for ${versionId === undefined ? '' : `VersionId: ${versionId}, `}staging label: ${stage ?? '(none)'}`);
      }
      return {
        ARN: s.arn, Name: s.name, VersionId: version.versionId, SecretString: version.secretString,
        SecretBinary: version.secretBinary, VersionStages: [...version.stages], CreatedDate: epoch(version.createdDate),
      };
    },

    PutSecretValue(input) {
      const s = find(input.SecretId);
      if (input.SecretString === undefined && input.SecretBinary === undefined) {
        throw invalidParameter('You must provide either SecretString or SecretBinary.');
      }
      const token = tokenOf(input);
      const stages = (input.VersionStages as string[] | undefined) ?? [CURRENT];
      const existing = s.versions.get(token);
      if (existing !== undefined && (existing.secretString !== undefined || existing.secretBinary !== undefined)) {
        // Idempotent retry: same token and same value return the existing version unchanged.
        if (existing.secretString !== input.SecretString || existing.secretBinary !== input.SecretBinary) {
          throw new ApiError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
        }
        return { ARN: s.arn, Name: s.name, VersionId: token, VersionStages: [...existing.stages] };
      }
      // An empty version (the AWSPENDING placeholder RotateSecret made) gets its value here.
      const version = existing ?? addVersion(s, token, input, []);
      setValue(version, input);
      for (const stage of stages) moveStage(s, stage, version);
      s.lastChangedDate = new Date();
      return { ARN: s.arn, Name: s.name, VersionId: token, VersionStages: [...version.stages] };
    },

    UpdateSecretVersionStage(input) {
      const s = find(input.SecretId);
      const stage = String(input.VersionStage ?? '');
      const moveTo = input.MoveToVersionId as string | undefined;
      const removeFrom = input.RemoveFromVersionId as string | undefined;
      if (stage === '' || (moveTo === undefined && removeFrom === undefined)) {
        throw invalidParameter('You must specify VersionStage and at least one of MoveToVersionId and RemoveFromVersionId.');
      }
      const current = holder(s, stage);
      if (removeFrom !== undefined && current?.versionId !== removeFrom) {
        throw invalidParameter(`The staging label ${stage} is not currently attached to version ${removeFrom}.`);
      }
      if (moveTo === undefined) {
        if (stage === CURRENT) throw invalidParameter(`You can't remove the staging label ${CURRENT}; move it to another version instead.`);
        current?.stages.delete(stage);
        return { ARN: s.arn, Name: s.name };
      }
      const target = s.versions.get(moveTo);
      if (target === undefined) throw notFound(`a version with VersionId: ${moveTo}`);
      if (current !== undefined && current !== target && removeFrom === undefined) {
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${current.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      moveStage(s, stage, target);
      return { ARN: s.arn, Name: s.name };
    },

    ListSecretVersionIds(input) {
      const s = find(input.SecretId);
      const versions = [...s.versions.values()].filter((v) => v.stages.size > 0 || input.IncludeDeprecated === true);
      return {
        ARN: s.arn, Name: s.name,
        Versions: versions.map((v) => ({ VersionId: v.versionId, VersionStages: [...v.stages], CreatedDate: epoch(v.createdDate) })),
      };
    },

    GetRandomPassword(input) {
      return { RandomPassword: randomPassword(input) };
    },

    async RotateSecret(input) {
      const s = find(input.SecretId);
      const pending = holder(s, PENDING);
      if (pending !== undefined && !pending.stages.has(CURRENT)) {
        throw new ApiError('InvalidRequestException', 'A previous rotation isn\'t complete. That rotation will be reattempted.');
      }
      const lambdaArn = (input.RotationLambdaARN as string | undefined) ?? s.rotationLambdaArn;
      if (lambdaArn === undefined) throw new ApiError('InvalidRequestException', 'No Lambda rotation function ARN is associated with this secret.');
      Object.assign(s, { rotationEnabled: true, rotationLambdaArn: lambdaArn, rotationRules: input.RotationRules ?? s.rotationRules });
      if (input.RotateImmediately === false) return { ARN: s.arn, Name: s.name };
      const token = tokenOf(input);
      const version = s.versions.get(token) ?? addVersion(s, token, {}, []);
      moveStage(s, PENDING, version);
      s.rotatingVersionId = token;
      await options.onRotate?.(s.arn, token).catch((error: unknown) => rotationErrors.push(error));
      return { ARN: s.arn, Name: s.name, VersionId: token };
    },

    DeleteSecret(input) {
      const s = find(input.SecretId, true);
      const now = new Date();
      const recoveryDays = input.ForceDeleteWithoutRecovery === true ? 0 : Number(input.RecoveryWindowInDays ?? 30);
      if (recoveryDays === 0) secrets.delete(s.name);
      else s.deletedDate = now;
      return { ARN: s.arn, Name: s.name, DeletionDate: epoch(new Date(now.getTime() + recoveryDays * 86_400_000)) };
    },
  };

  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('secretsmanager.') ? ops[target.slice('secretsmanager.'.length)] : undefined;
    try {
      if (op === undefined) throw new ApiError('UnknownOperationException', `Unknown operation ${target}`);
      const input = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json);
      send(res, 200, await op(input));
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError('InternalServiceError', String(error));
      send(res, e.type === 'InternalServiceError' ? 500 : 400, { __type: e.type, message: e.message });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secrets,
    rotationErrors,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

function tokenOf(input: Json): string {
  return (input.ClientRequestToken as string | undefined) ?? randomUUID();
}

function setValue(version: FakeSecretVersion, input: Json): void {
  version.secretString = input.SecretString as string | undefined;
  version.secretBinary = input.SecretBinary as string | undefined;
}

/** GetRandomPassword: the AWS character classes, exclusions, and (by default) one of each included class. */
function randomPassword(input: Json): string {
  const length = Number(input.PasswordLength ?? 32);
  const excluded = new Set(String(input.ExcludeCharacters ?? ''));
  const classes = [
    input.ExcludeLowercase === true ? '' : 'abcdefghijklmnopqrstuvwxyz',
    input.ExcludeUppercase === true ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    input.ExcludeNumbers === true ? '' : '0123456789',
    input.ExcludePunctuation === true ? '' : PUNCTUATION,
    input.IncludeSpace === true ? ' ' : '',
  ].map((chars) => [...chars].filter((c) => !excluded.has(c)).join('')).filter((chars) => chars !== '');
  if (!Number.isInteger(length) || length < 1 || length > 4096 || classes.length === 0 || length < classes.length) {
    throw invalidParameter('PasswordLength must be between 1 and 4096 and leave room for every included character type.');
  }
  const all = classes.join('');
  for (;;) {
    const password = Array.from({ length }, () => all[randomInt(all.length)]).join('');
    if (input.RequireEachIncludedType === false || classes.every((chars) => [...password].some((c) => chars.includes(c)))) {
      return password;
    }
  }
}
