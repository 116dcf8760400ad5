/**
 * Contract test of the Secrets Manager fake, with the real SecretsManagerClient over HTTP.
 * The scenario tables mirror the documented version-stage semantics (ops-contracts §3, local-aws.md).
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../local/secrets-manager-fake';

const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const V3 = '33333333-3333-4333-8333-333333333333';
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-consul-token';

let fake: SecretsManagerFake;
let sm: SecretsManagerClient;
let secretId: string;
let counter = 0;

/** The fake-backed client; one attempt so that errors surface at once. */
function clientFor(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function stagesOf(id: string): Promise<Record<string, string[]>> {
  const { VersionIdsToStages } = await sm.send(new DescribeSecretCommand({ SecretId: id }));
  return Object.fromEntries(Object.entries(VersionIdsToStages ?? {}).map(([v, s]) => [v, [...s].sort()]));
}

beforeAll(async () => {
  fake = await startSecretsManagerFake();
  sm = clientFor(fake.endpoint);
});
afterAll(async () => {
  sm.destroy();
  await fake.stop();
});

/** Every scenario starts from: V1 = "one" (AWSCURRENT), V2 = "two" (AWSPENDING), as after createSecret. */
beforeEach(async () => {
  secretId = `consul/test-${++counter}`;
  await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: 'one', ClientRequestToken: V1 }));
  await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: 'two', ClientRequestToken: V2, VersionStages: ['AWSPENDING'] }));
});

type Act = (id: string) => Promise<unknown>;
const put = (token: string, value: string, stages?: string[]): Act => (id) =>
  sm.send(new PutSecretValueCommand({ SecretId: id, ClientRequestToken: token, SecretString: value, VersionStages: stages }));
const update = (stage: string, moveTo?: string, removeFrom?: string): Act => (id) =>
  sm.send(new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: stage, MoveToVersionId: moveTo, RemoveFromVersionId: removeFrom }));
const rotate = (token: string): Act => (id) =>
  sm.send(new RotateSecretCommand({ SecretId: id, ClientRequestToken: token, RotationLambdaARN: LAMBDA_ARN }));
const finish: Act = async (id) => {
  await update('AWSCURRENT', V2, V1)(id);
  await update('AWSPENDING', undefined, V2)(id);
};
const noop: Act = async () => undefined;

/** A scenario's expected outcome: either the VersionIdsToStages afterwards, or an error. */
type Expected = Record<string, string[]> | { readonly error: string; readonly message?: RegExp };
const isError = (e: Expected): e is { error: string; message?: RegExp } => typeof e.error === 'string';

describe('startSecretsManagerFake: version stages', () => {
  it.each<[string, Act[], Expected]>([
    ['CreateSecret puts AWSCURRENT on the ClientRequestToken version', [noop], { [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] }],
    ['PutSecretValue without VersionStages moves AWSCURRENT, and AWSPREVIOUS follows', [put(V3, 'three')],
      { [V1]: ['AWSPREVIOUS'], [V2]: ['AWSPENDING'], [V3]: ['AWSCURRENT'] }],
    ['PutSecretValue retried with the same token and value changes nothing', [put(V2, 'two', ['AWSPENDING'])],
      { [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] }],
    ['PutSecretValue with the same token and another value', [put(V2, 'other', ['AWSPENDING'])], { error: 'ResourceExistsException' }],
    ['moving AWSCURRENT without RemoveFromVersionId', [update('AWSCURRENT', V2)],
      { error: 'InvalidParameterException', message: /currently attached to version 11111111/ }],
    ['moving AWSCURRENT with RemoveFromVersionId leaves AWSPREVIOUS on the old version', [update('AWSCURRENT', V2, V1)],
      { [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT', 'AWSPENDING'] }],
    ['finishSecret (move AWSCURRENT, then remove AWSPENDING)', [finish], { [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'] }],
    ['a second rotation moves AWSPREVIOUS along', [finish, put(V3, 'three', ['AWSPENDING']), update('AWSCURRENT', V3, V2)],
      { [V2]: ['AWSPREVIOUS'], [V3]: ['AWSCURRENT', 'AWSPENDING'] }],
    ['a label sits on one version only; a version left without labels is not listed', [update('AWSPENDING', V1, V2)],
      { [V1]: ['AWSCURRENT', 'AWSPENDING'] }],
    ['RemoveFromVersionId naming a version without the label', [update('AWSPENDING', undefined, V1)], { error: 'InvalidParameterException' }],
    ['removing AWSCURRENT without moving it', [update('AWSCURRENT', undefined, V1)], { error: 'InvalidParameterException' }],
    ['moving a label to an unknown version', [update('AWSPENDING', V3, V2)], { error: 'ResourceNotFoundException' }],
    ['RotateSecret while AWSPENDING sits on a version other than AWSCURRENT', [rotate(V3)],
      { error: 'InvalidRequestException', message: /A previous rotation isn't complete/ }],
    ['RotateSecret puts AWSPENDING on a new, empty ClientRequestToken version', [finish, rotate(V3)],
      { [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'], [V3]: ['AWSPENDING'] }],
    ['RotateSecret when AWSPENDING was left on AWSCURRENT (issue #168) starts anyway', [update('AWSCURRENT', V2, V1), rotate(V3)],
      { [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'], [V3]: ['AWSPENDING'] }],
  ])('%s', async (_name, steps, expected) => {
    // Act
    const run = async () => {
      for (const step of steps) await step(secretId);
    };

    // Assess
    const error: unknown = await run().then(() => undefined, (e: unknown) => e);
    if (isError(expected)) {
      expect(error).toMatchObject({ name: expected.error, $metadata: { httpStatusCode: 400 } });
      expect((error as Error).message).toMatch(expected.message ?? /./);
      return;
    }
    expect(error).toBeUndefined();
    expect(await stagesOf(secretId)).toEqual(expected);
  });
});

describe('startSecretsManagerFake: GetSecretValue', () => {
  const get = (input: { VersionId?: string; VersionStage?: string }): Act => (id) =>
    sm.send(new GetSecretValueCommand({ SecretId: id, ...input }));

  it.each<[string, Act[], { VersionId?: string; VersionStage?: string }, string | { error: string }]>([
    ['defaults to AWSCURRENT', [], {}, 'one'],
    ['by VersionStage', [], { VersionStage: 'AWSPENDING' }, 'two'],
    ['by VersionId', [], { VersionId: V2 }, 'two'],
    ['by a matching VersionId + VersionStage pair', [], { VersionId: V2, VersionStage: 'AWSPENDING' }, 'two'],
    ['by a mismatching pair', [], { VersionId: V1, VersionStage: 'AWSPENDING' }, { error: 'ResourceNotFoundException' }],
    ['by an unknown VersionId', [], { VersionId: V3 }, { error: 'ResourceNotFoundException' }],
    ['by a stage nobody holds', [], { VersionStage: 'AWSPREVIOUS' }, { error: 'ResourceNotFoundException' }],
    ['AWSPREVIOUS after finishSecret', [finish], { VersionStage: 'AWSPREVIOUS' }, 'one'],
    ['the empty AWSPENDING version RotateSecret made (createSecret must then put a value)', [finish, rotate(V3)],
      { VersionId: V3, VersionStage: 'AWSPENDING' }, { error: 'ResourceNotFoundException' }],
    ['the AWSPENDING version once PutSecretValue filled it', [finish, rotate(V3), put(V3, 'three', ['AWSPENDING'])],
      { VersionId: V3, VersionStage: 'AWSPENDING' }, 'three'],
  ])('%s', async (_name, steps, input, expected) => {
    // Prepare
    for (const step of steps) await step(secretId);

    // Act
    const result = get(input)(secretId);

    // Assess
    if (typeof expected === 'string') await expect(result).resolves.toMatchObject({ SecretString: expected });
    else await expect(result).rejects.toMatchObject({ name: expected.error });
  });
});

describe('startSecretsManagerFake: rotation', () => {
  it('runs the onRotate hook like the rotation Lambda and records the rotation in DescribeSecret', async () => {
    // Prepare: a second fake whose hook performs the four template steps over the wire.
    const steps: string[] = [];
    const rotating = await startSecretsManagerFake({
      onRotate: async (arn, token) => {
        const client = clientFor(rotating.endpoint);
        const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
        steps.push(`pending=${described.VersionIdsToStages?.[token]?.join(',')}`);
        const { RandomPassword } = await client.send(new GetRandomPasswordCommand({ ExcludePunctuation: true }));
        await client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: RandomPassword, VersionStages: ['AWSPENDING'] }));
        const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
        await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
        await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: token }));
        steps.push('finished');
      },
    });
    const client = clientFor(rotating.endpoint);
    const { ARN } = await client.send(new CreateSecretCommand({ Name: 'consul/rotated', SecretString: 'old', ClientRequestToken: V1 }));

    // Act
    const rotated = await client.send(new RotateSecretCommand({
      SecretId: ARN, ClientRequestToken: V2, RotationLambdaARN: LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 30 },
    }));

    // Assess
    expect(rotated.VersionId).toBe(V2);
    expect(steps).toEqual(['pending=AWSPENDING', 'finished']);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'consul/rotated' }));
    expect(described).toMatchObject({
      ARN, Name: 'consul/rotated', RotationEnabled: true, RotationLambdaARN: LAMBDA_ARN,
      RotationRules: { AutomaticallyAfterDays: 30 }, VersionIdsToStages: { [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'] },
    });
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    const value = await client.send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(value.SecretString).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(rotating.rotationErrors).toEqual([]);
    client.destroy();
    await rotating.stop();
  });

  it('records a failing hook without failing RotateSecret, and the next RotateSecret then refuses', async () => {
    // Prepare
    const failing = await startSecretsManagerFake({ onRotate: async () => Promise.reject(new Error('consul unreachable')) });
    const client = clientFor(failing.endpoint);
    await client.send(new CreateSecretCommand({ Name: 'consul/stuck', SecretString: 'old' }));

    // Act
    await client.send(new RotateSecretCommand({ SecretId: 'consul/stuck', RotationLambdaARN: LAMBDA_ARN }));
    const again = client.send(new RotateSecretCommand({ SecretId: 'consul/stuck' }));

    // Assess
    await expect(again).rejects.toMatchObject({ name: 'InvalidRequestException' });
    expect(failing.rotationErrors).toEqual([new Error('consul unreachable')]);
    expect(failing.secrets.get('consul/stuck')?.lastRotatedDate).toBeUndefined();
    client.destroy();
    await failing.stop();
  });

  it('RotateSecret without a rotation Lambda is refused', async () => {
    await expect(sm.send(new RotateSecretCommand({ SecretId: secretId }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });

  it('RotateImmediately=false only stores the rotation configuration', async () => {
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSPENDING', RemoveFromVersionId: V2 }));
    await sm.send(new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: LAMBDA_ARN, RotateImmediately: false }));
    expect(await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).toMatchObject({ RotationEnabled: true, RotationLambdaARN: LAMBDA_ARN });
    expect(await stagesOf(secretId)).toEqual({ [V1]: ['AWSCURRENT'] });
  });
});

describe('startSecretsManagerFake: secrets', () => {
  it('finds a secret by name and by ARN', async () => {
    const { ARN } = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    expect(ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}-[0-9a-f]{6}$`));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: ARN }))).resolves.toMatchObject({ ARN, Name: secretId, VersionId: V1 });
  });

  it('refuses a duplicate name and reports unknown secrets', async () => {
    await expect(sm.send(new CreateSecretCommand({ Name: secretId, SecretString: 'x' }))).rejects.toMatchObject({ name: 'ResourceExistsException' });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('lists version ids with their stages, and deprecated ones only on request', async () => {
    await update('AWSPENDING', undefined, V2)(secretId);
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secretId }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual([[V1, ['AWSCURRENT']]]);
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }));
    expect(all.Versions?.map((v) => v.VersionId)).toEqual([V1, V2]);
  });

  it('GetRandomPassword honours length, exclusions and one character of each included type', async () => {
    const { RandomPassword } = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 40, ExcludePunctuation: true, ExcludeCharacters: 'abc' }));
    expect(RandomPassword).toHaveLength(40);
    expect(RandomPassword).toMatch(/^[d-zA-Z0-9]+$/);
    expect(RandomPassword).toMatch(/[0-9]/);
    expect(RandomPassword).toMatch(/[A-Z]/);
  });

  it('DeleteSecret with a recovery window blocks reads; ForceDeleteWithoutRecovery removes it', async () => {
    await sm.send(new DeleteSecretCommand({ SecretId: secretId, RecoveryWindowInDays: 7 }));
    await expect(sm.send(new GetSecretValueCommand({ SecretId: secretId }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    expect(described.DeletedDate).toBeInstanceOf(Date);

    await sm.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    expect(fake.secrets.has(secretId)).toBe(false);
    await expect(sm.send(new DescribeSecretCommand({ SecretId: secretId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const response = await fetch(fake.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.TagResource', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'UnknownOperationException', message: 'Unknown operation secretsmanager.TagResource' });
  });
});
