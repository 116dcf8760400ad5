import { STAGE } from '../../../../functions/core/rotation/ports';
import { findUnfinishedRotation, ROTATION_STEPS, runRotationStep, type RotationStep } from '../../../../functions/core/rotation/steps';
import { links } from '../../../helpers/in-memory-rotation';
import { currentValue as current, HOUR, NOW, OLD, OLD_LINKS, rejectionOf as codeOf, rotate, rotationFixture as fixture, SETTINGS, uuid, type RotationFixture as Fixture } from '../../../helpers/rotation-fixture';

describe('runRotationStep', () => {
  it('mints a new token with the same links, makes it AWSCURRENT and keeps the old one valid as AWSPREVIOUS', async () => {
    // Prepare
    const f = fixture();

    // Act
    await rotate(f, 'v1');

    // Assess
    const next = current(f);
    expect(next).toEqual({
      accessorId: uuid(1), secretId: uuid(2), cluster: 'demo', previousAccessorId: OLD.accessorId,
      previousRotatedAt: NOW.toISOString(), retired: [{ accessorId: OLD.accessorId, deleteAfter: new Date(NOW.getTime() + 24 * HOUR).toISOString() }],
      createdAt: NOW.toISOString(), description: 'web frontend',
    });
    expect(f.consul.tokens.get(uuid(1))).toEqual({ secretId: uuid(2), description: 'rotated-by=consul-ops ver=v1', links: OLD_LINKS, createTime: NOW.toISOString() });
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
    expect(JSON.parse(f.secrets.valueAt(f.arn, STAGE.previous)!).accessorId).toBe(OLD.accessorId);
    expect(findUnfinishedRotation(await f.secrets.describe(f.arn))).toBeUndefined();
    expect((await f.secrets.describe(f.arn)).versionStages).toEqual({ v0: [STAGE.previous], v1: [STAGE.current] });
  });

  it('gives the same result when every step runs twice', async () => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');

    // Act
    const outcomes: string[] = [];
    for (const step of ROTATION_STEPS) {
      for (let i = 0; i < 2; i += 1) outcomes.push((await runRotationStep(f.deps, step, f.arn, 'v1', SETTINGS)).outcome);
    }

    // Assess
    expect(outcomes).toEqual(['pending-stored', 'pending-exists', 'token-created', 'token-exists', 'tested', 'tested', 'finished', 'already-current']);
    expect(f.consul.tokens.size).toBe(2);
    expect(current(f).accessorId).toBe(uuid(1));
  });

  it.each([
    { name: 'rotation is disabled', setup: (f: Fixture) => f.secrets.secrets.get(f.arn)!.rotationEnabled = false, version: 'v1', code: 'ROTATION_NOT_ENABLED' },
    { name: 'the version is not staged', setup: () => undefined, version: 'v9', code: 'ROTATION_VERSION_UNKNOWN' },
    { name: 'the version is AWSPREVIOUS', setup: () => undefined, version: 'v0-old', code: 'ROTATION_VERSION_NOT_PENDING' },
  ])('refuses every step when $name', async ({ setup, version, code }) => {
    // Prepare
    const f = fixture();
    if (version === 'v0-old') {
      await rotate(f, 'v1');
      f.secrets.startRotation(f.arn, 'v2');
    } else {
      f.secrets.startRotation(f.arn, 'v1');
    }
    setup(f);
    const target = version === 'v0-old' ? 'v0' : version;

    // Act
    const errors = await Promise.all(ROTATION_STEPS.map((step) => codeOf(runRotationStep(f.deps, step, f.arn, target, SETTINGS))));

    // Assess
    expect(errors.map((e) => e.code)).toEqual(ROTATION_STEPS.map(() => code));
    if (code === 'ROTATION_VERSION_NOT_PENDING') {
      expect(errors[0].remedy).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${f.arn} --version-stage AWSPENDING --remove-from-version-id v2`);
    }
  });

  it('returns at once for a version that is already AWSCURRENT', async () => {
    const f = fixture();
    await rotate(f, 'v1');
    const outcomes = await Promise.all(ROTATION_STEPS.map(async (step) => (await runRotationStep(f.deps, step, f.arn, 'v1', SETTINGS)).outcome));
    expect(outcomes).toEqual(['already-current', 'already-current', 'already-current', 'already-current']);
  });

  it('never overwrites an existing AWSPENDING value of the same version', async () => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    const first = f.secrets.valueAt(f.arn, STAGE.pending);

    // Act
    const again = await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);

    // Assess
    expect(again.outcome).toBe('pending-exists');
    expect(f.secrets.valueAt(f.arn, STAGE.pending)).toBe(first);
    expect(f.secrets.writes.filter((w) => w.startsWith('put'))).toHaveLength(1);
  });

  it.each<{ step: RotationStep; inject: (f: Fixture) => void }>([
    { step: 'createSecret', inject: (f) => f.secrets.failNext('putPendingValue') },
    { step: 'setSecret', inject: (f) => f.consul.failNext('createToken') },
    { step: 'testSecret', inject: (f) => f.consul.failNext('readSelf') },
    { step: 'finishSecret', inject: (f) => f.secrets.failNext('updateStage') },
  ])('keeps the current token after a failure in $step, and the retried rotation completes', async ({ step, inject }) => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    inject(f);

    // Act
    let failedAt: RotationStep | undefined;
    for (const s of ROTATION_STEPS) {
      try {
        await runRotationStep(f.deps, s, f.arn, 'v1', SETTINGS);
      } catch {
        failedAt = s;
        break;
      }
    }

    // Assess: nothing switched, the old token still works
    expect(failedAt).toBe(step);
    expect(current(f).accessorId).toBe(OLD.accessorId);
    expect(f.consul.tokens.get(OLD.accessorId)?.secretId).toBe(OLD.secretId);
    expect(findUnfinishedRotation(await f.secrets.describe(f.arn))).toBe('v1');

    // Act: Secrets Manager reattempts the same version
    for (const s of ROTATION_STEPS) await runRotationStep(f.deps, s, f.arn, 'v1', SETTINGS);

    // Assess
    const next = current(f);
    expect(next.accessorId).not.toBe(OLD.accessorId);
    expect(f.consul.tokens.get(next.accessorId)?.secretId).toBe(next.secretId);
    expect(f.consul.tokens.size).toBe(2);
  });

  it('refuses a value that does not match the schema before anything changes, without echoing it', async () => {
    // Prepare
    const f = fixture({ accessorId: OLD.accessorId, secretId: OLD.secretId, cluster: 'demo', token: OLD.secretId });
    f.secrets.startRotation(f.arn, 'v1');

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(err.code).toBe('ROTATION_SECRET_INVALID');
    expect(err.message).toContain('"token" is not a known field');
    expect(JSON.stringify({ m: err.message, r: err.remedy, c: err.context })).not.toContain(OLD.secretId);
    expect(f.secrets.writes).toEqual([]);
  });

  it('refuses a secret of another cluster', async () => {
    const f = fixture({ ...OLD, cluster: 'prod' });
    f.secrets.startRotation(f.arn, 'v1');
    expect((await codeOf(runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS))).code).toBe('ROTATION_CLUSTER_MISMATCH');
  });

  it.each([
    { name: 'another SecretID', aclWrite: true, message: /with a different SecretID/, permission: undefined },
    { name: 'a hidden SecretID', aclWrite: false, message: /lacks permission 'acl:write'/, permission: 'acl:write' },
  ])('setSecret fails loudly when the pending accessor exists with $name', async ({ aclWrite, message, permission }) => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    f.consul.add(uuid(1), 'cccccccc-0000-4000-8000-000000000009');
    f.consul.aclWrite = aclWrite;

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'setSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(err.code).toBe('ROTATION_TOKEN_CONFLICT');
    expect(err.message).toMatch(message);
    expect(err.context.permission).toBe(permission);
  });

  it('setSecret refuses a token created by an auth method', async () => {
    const f = fixture();
    f.consul.add(OLD.accessorId, OLD.secretId, OLD_LINKS, { authMethod: 'kubernetes' });
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    expect((await codeOf(runRotationStep(f.deps, 'setSecret', f.arn, 'v1', SETTINGS))).code).toBe('ROTATION_AUTH_METHOD_TOKEN');
  });

  it.each([
    { name: 'Consul does not know the pending secret', tamper: (f: Fixture) => f.consul.tokens.delete(uuid(1)), problem: /Consul does not know the pending SecretID/ },
    { name: 'its links differ', tamper: (f: Fixture) => (f.consul.tokens.get(uuid(1))!.links = links(['p1', 'p2'])), problem: /policies: unexpected p2; roles: missing r1/ },
  ])('testSecret fails, writing nothing, when $name', async ({ tamper, problem }) => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    await runRotationStep(f.deps, 'setSecret', f.arn, 'v1', SETTINGS);
    tamper(f);
    const writes = [...f.secrets.writes];
    const calls = f.consul.calls.length;

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'testSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(err.code).toBe('TOKEN_TEST_FAILED');
    expect(err.message).toMatch(problem);
    expect(f.secrets.writes).toEqual(writes);
    expect(f.consul.calls.slice(calls).every((c) => c.startsWith('read'))).toBe(true);
  });

  it('finishSecret removes an AWSPENDING label left on the new AWSCURRENT version by an interrupted finish', async () => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    for (const step of ROTATION_STEPS.slice(0, 3)) await runRotationStep(f.deps, step, f.arn, 'v1', SETTINGS);
    await f.secrets.updateStage(f.arn, STAGE.current, { moveToVersionId: 'v1', removeFromVersionId: 'v0' });

    // Act
    const result = await runRotationStep(f.deps, 'finishSecret', f.arn, 'v1', SETTINGS);

    // Assess
    expect(result.outcome).toBe('pending-label-removed');
    expect((await f.secrets.describe(f.arn)).versionStages.v1).toEqual([STAGE.current]);
  });

  it('tests a pending management token by reading ACLs with it', async () => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    const settings = { ...SETTINGS, managementSecretArn: f.arn };

    // Act
    for (const step of ROTATION_STEPS) await runRotationStep(f.deps, step, f.arn, 'v1', settings);

    // Assess
    expect(f.consul.calls).toContain(`readToken ${OLD.accessorId} as-pending`);
  });
});


describe('what the new token keeps', () => {
  const TEMPLATED = links(['p1'], { templatedPolicies: [{ templateName: 'builtin/service', name: 'web', datacenters: ['dc1'] }, { templateName: 'builtin/dns' }] });

  it('copies templated policies to the new token and testSecret compares them', async () => {
    // Prepare
    const f = fixture();
    f.consul.add(OLD.accessorId, OLD.secretId, TEMPLATED);

    // Act
    await rotate(f, 'v1');

    // Assess
    expect(f.consul.tokens.get(current(f).accessorId)?.links).toEqual(TEMPLATED);
  });

  it.each([
    { name: 'a templated policy is missing', links: links(['p1'], { templatedPolicies: [{ templateName: 'builtin/dns' }] }), problem: /templated policies: missing builtin\/service\(web\)@dc1/ },
    { name: 'its variable differs', links: links(['p1'], { templatedPolicies: [{ templateName: 'builtin/service', name: 'api', datacenters: ['dc1'] }, { templateName: 'builtin/dns' }] }), problem: /missing builtin\/service\(web\)@dc1; templated policies: unexpected builtin\/service\(api\)@dc1/ },
  ])('testSecret fails when $name', async ({ links: tampered, problem }) => {
    // Prepare
    const f = fixture();
    f.consul.add(OLD.accessorId, OLD.secretId, TEMPLATED);
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    await runRotationStep(f.deps, 'setSecret', f.arn, 'v1', SETTINGS);
    f.consul.tokens.get(uuid(1))!.links = tampered;

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'testSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(err.code).toBe('TOKEN_TEST_FAILED');
    expect(err.message).toMatch(problem);
    expect(current(f).accessorId).toBe(OLD.accessorId);
  });

  it.each([
    { name: 'the same lifetime', lifetimeMs: 8 * HOUR, expected: 8 * HOUR },
    { name: 'Consul\'s minimum for a shorter one', lifetimeMs: 30_000, expected: 60_000 },
    { name: 'Consul\'s maximum for a longer one', lifetimeMs: 48 * HOUR, expected: 24 * HOUR },
  ])('gives the replacement of an expiring token $name', async ({ lifetimeMs, expected }) => {
    // Prepare: the current token was created an hour ago
    const f = fixture();
    const created = new Date(NOW.getTime() - HOUR);
    f.consul.add(OLD.accessorId, OLD.secretId, OLD_LINKS, { createTime: created.toISOString(), expirationTime: new Date(created.getTime() + lifetimeMs).toISOString() });

    // Act
    await rotate(f, 'v1');

    // Assess
    const next = f.consul.tokens.get(current(f).accessorId)!;
    expect(Date.parse(next.expirationTime!) - Date.parse(next.createTime!)).toBe(expected);
  });

  it('testSecret fails when the new token does not expire like the old one', async () => {
    // Prepare
    const f = fixture();
    f.consul.add(OLD.accessorId, OLD.secretId, OLD_LINKS, { createTime: NOW.toISOString(), expirationTime: new Date(NOW.getTime() + 8 * HOUR).toISOString() });
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    await runRotationStep(f.deps, 'setSecret', f.arn, 'v1', SETTINGS);
    delete f.consul.tokens.get(uuid(1))!.expirationTime;

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'testSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(err.message).toContain('expiration: expected a lifetime of 28800 s, got none');
  });
});

describe('testSecret while ACL replication lags', () => {
  async function untilTest(f: Fixture) {
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);
    await runRotationStep(f.deps, 'setSecret', f.arn, 'v1', SETTINGS);
  }

  it('retries GET /v1/acl/token/self with a doubling backoff until the token has replicated', async () => {
    // Prepare
    const f = fixture();
    await untilTest(f);
    f.consul.selfMisses = 3;

    // Act
    const result = await runRotationStep(f.deps, 'testSecret', f.arn, 'v1', SETTINGS);

    // Assess
    expect(result.outcome).toBe('tested');
    expect(f.sleeps).toEqual([500, 1000, 2000]);
  });

  it('gives up after 30 seconds, saying replication may be lagging, and switches nothing', async () => {
    // Prepare
    const f = fixture();
    await untilTest(f);
    f.consul.selfMisses = Number.POSITIVE_INFINITY;

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'testSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(f.sleeps).toEqual([500, 1000, 2000, 4000, 8000, 8000, 6500]);
    expect(f.sleeps.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(err.code).toBe('TOKEN_TEST_FAILED');
    expect(err.message).toContain('Consul does not know the pending SecretID after 8 attempt(s) over 30 s: ACL replication may be lagging');
    expect(current(f).accessorId).toBe(OLD.accessorId);
  });

  it('waits as long as the settings say', async () => {
    const f = fixture();
    await untilTest(f);
    f.consul.selfMisses = Number.POSITIVE_INFINITY;
    await codeOf(runRotationStep(f.deps, 'testSecret', f.arn, 'v1', { ...SETTINGS, replicationWaitMs: 2_000 }));
    expect(f.sleeps).toEqual([500, 1000, 500]);
  });
});
