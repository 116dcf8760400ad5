import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { inspect } from 'node:util';
import {
  consulTokenSecretSourceFactory,
  parseConsulTokenSecret,
  readConsulTokenSecret,
} from '../../../../functions/adapters/consul/token-secret';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/backup-token-AbCdEf';
const SECRET = '45a3bd52-07c7-47a4-52fd-0745e0cfe967';
const ACCESSOR = '6a1253d2-1785-24fd-91c2-f8e78c745511';
const sm = mockClient(SecretsManagerClient);

beforeEach(() => sm.reset());

describe('parseConsulTokenSecret', () => {
  it.each([
    ['JSON', JSON.stringify({ accessorId: ACCESSOR, secretId: SECRET, description: 'x' }), { accessorId: ACCESSOR, secretId: SECRET }],
    ["Consul's casing", JSON.stringify({ AccessorID: ACCESSOR, SecretID: SECRET }), { accessorId: ACCESSOR, secretId: SECRET }],
    ['bare UUID (management token)', `${SECRET}\n`, { secretId: SECRET }],
  ])('accepts %s', (_name, value, expected) => {
    expect(parseConsulTokenSecret(value, ARN)).toEqual(expect.objectContaining(expected));
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['empty', '  ', /the value is empty/],
    ['neither JSON nor UUID', `not-json-${SECRET}-x`, /neither JSON nor a bare token UUID/],
    ['truncated JSON', `{"secretId": "${SECRET}"`, /neither JSON/],
    ['JSON array', `["${SECRET}"]`, /not an object/],
    ['missing secretId', `{"accessorId": "${ACCESSOR}", "token": "${SECRET}"}`, /no "secretId"/],
    ['secretId not a UUID', `{"secretId": "${SECRET}x"}`, /"secretId" is not a UUID/],
    ['accessorId not a UUID', `{"secretId": "${SECRET}", "accessorId": 42}`, /"accessorId" is not a UUID/],
  ];

  it.each(invalid)('rejects %s without quoting the value', (_name, value, problem) => {
    // Act
    let error: unknown;
    try {
      parseConsulTokenSecret(value, ARN);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConsulOpsError);
    const e = error as ConsulOpsError;
    expect(e.code).toBe('TOKEN_SECRET_INVALID');
    expect(e.message).toContain(ARN);
    expect(e.message).toMatch(problem);
    expect(e.context).toMatchObject({ secret: ARN });
    expect(inspect(e, { depth: 10 })).not.toContain(SECRET);
  });
});

describe('readConsulTokenSecret', () => {
  it('reads the secret by ARN and version stage', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ ARN, SecretString: JSON.stringify({ accessorId: ACCESSOR, secretId: SECRET }) });

    // Act
    const secret = await readConsulTokenSecret(sm as unknown as SecretsManagerClient, ARN, { versionStage: 'AWSPENDING' });

    // Assess
    expect(secret).toEqual({ accessorId: ACCESSOR, secretId: SECRET });
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSPENDING' });
  });

  it.each([
    ['ResourceNotFoundException', /secret exists/],
    ['AccessDeniedException', /secretsmanager:GetSecretValue/],
    ['DecryptionFailure', /kms:Decrypt/],
    ['ThrottlingException', /Check the secret ARN/],
  ])('maps %s to TOKEN_SECRET_UNREADABLE', async (name, remedy) => {
    // Prepare
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error(`${name} for ${ARN}`), { name }));

    // Act
    const act = readConsulTokenSecret(new SecretsManagerClient({}), ARN);

    // Assess
    await expect(act).rejects.toMatchObject({
      code: 'TOKEN_SECRET_UNREADABLE',
      message: `Consul token secret ${ARN} cannot be read (${name})`,
      context: { secret: ARN, awsError: name },
      remedy: expect.stringMatching(remedy),
    });
  });

  it('rejects a binary secret', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ ARN, SecretBinary: Buffer.from(SECRET) });

    // Act / Assess
    await expect(readConsulTokenSecret(new SecretsManagerClient({}), ARN)).rejects.toMatchObject({
      code: 'TOKEN_SECRET_INVALID',
      message: expect.stringMatching(/SecretBinary/),
    });
  });
});

describe('consulTokenSecretSourceFactory', () => {
  it('reads once per invocation and again in the next one', async () => {
    // Prepare
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ accessorId: ACCESSOR, secretId: SECRET }) })
      .resolvesOnce({ SecretString: '11111111-2222-3333-4444-555555555555' });
    const perInvocation = consulTokenSecretSourceFactory(new SecretsManagerClient({}), ARN);

    // Act
    const first = perInvocation();
    const a = await Promise.all([first(), first(), first.secret()]);
    const second = perInvocation();
    const b = await second();

    // Assess
    expect(a).toEqual([SECRET, SECRET, { accessorId: ACCESSOR, secretId: SECRET }]);
    expect(b).toBe('11111111-2222-3333-4444-555555555555');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('does not cache a failed read', async () => {
    // Prepare
    sm.on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: SECRET });
    const source = consulTokenSecretSourceFactory(new SecretsManagerClient({}), ARN)();

    // Act
    const failed = await source().catch((err: unknown) => err);
    const ok = await source();

    // Assess
    expect(failed).toMatchObject({ code: 'TOKEN_SECRET_UNREADABLE' });
    expect(ok).toBe(SECRET);
  });
});
