import { isErrorCode, type ConsulOpsError } from '../../../../functions/core/shared/errors';
import { STAGE, type RotationDeps, type RotationSettings } from '../../../../functions/core/rotation/ports';
import { parseRotationSecret } from '../../../../functions/core/rotation/secret-value';
import { findUnfinishedRotation, rotateNow, ROTATION_STEPS, runRotationStep, type RotationStep } from '../../../../functions/core/rotation/steps';
import { planPreviousTokenDeletion, sweepPreviousToken } from '../../../../functions/core/rotation/sweep';
import { InMemoryConsul, InMemorySecrets, links } from '../../../helpers/in-memory-rotation';

const HOUR = 3_600_000;
const NOW = new Date('2026-05-01T10:00:00.000Z');
const SETTINGS: RotationSettings = { cluster: 'demo', gracePeriodMs: 24 * HOUR };
const OLD = { accessorId: 'aaaaaaaa-0000-4000-8000-000000000001', secretId: 'bbbbbbbb-0000-4000-8000-000000000001' };
const OLD_LINKS = links(['p1'], { roles: [{ id: 'r1' }], serviceIdentities: [{ serviceName: 'web', datacenters: ['dc1'] }], nodeIdentities: [{ nodeName: 'n1', datacenter: 'dc1' }] });
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface Fixture {
  readonly secrets: InMemorySecrets;
  readonly consul: InMemoryConsul;
  readonly deps: RotationDeps;
  readonly arn: string;
  setClock(date: Date): void;
}

function fixture(value: Record<string, unknown> = { ...OLD, cluster: 'demo', description: 'web frontend' }, opts: { rotationEnabled?: boolean } = {}): Fixture {
  const secrets = new InMemorySecrets();
  const consul = new InMemoryConsul();
  consul.add(OLD.accessorId, OLD.secretId, OLD_LINKS);
  const arn = secrets.create('consul/demo/web', JSON.stringify(value), opts);
  let clock = NOW;
  let n = 0;
  const deps: RotationDeps = { secrets, consul, now: () => clock, newUuid: () => uuid(++n) };
  return { secrets, consul, deps, arn, setClock: (d) => (clock = d) };
}

async function rotate(f: Fixture, versionId: string, settings: RotationSettings = SETTINGS): Promise<void> {
  f.secrets.startRotation(f.arn, versionId);
  for (const step of ROTATION_STEPS) await runRotationStep(f.deps, step, f.arn, versionId, settings);
}

const current = (f: Fixture) => parseRotationSecret(f.secrets.valueAt(f.arn, STAGE.current), f.arn, 'test');

async function codeOf(promise: Promise<unknown>): Promise<ConsulOpsError> {
  try {
    await promise;
  } catch (err) {
    return err as ConsulOpsError;
  }
  throw new Error('expected a rejection');
}

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
      previousRotatedAt: NOW.toISOString(), createdAt: NOW.toISOString(), description: 'web frontend',
    });
    expect(f.consul.tokens.get(uuid(1))).toEqual({ secretId: uuid(2), description: 'rotated-by=consul-ops ver=v1', links: OLD_LINKS });
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

  it('createSecret refuses a token created by an auth method before storing anything', async () => {
    // Prepare
    const f = fixture();
    f.consul.add(OLD.accessorId, OLD.secretId, OLD_LINKS, { authMethod: 'kubernetes' });
    f.secrets.startRotation(f.arn, 'v1');
    const writes = [...f.secrets.writes];

    // Act
    const created = await codeOf(runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(created.code).toBe('ROTATION_AUTH_METHOD_TOKEN');
    expect(f.secrets.writes).toEqual(writes);
  });

  it('createSecret stores nothing when the management token cannot read the current token', async () => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    f.consul.tokens.delete(OLD.accessorId);
    const writes = [...f.secrets.writes];

    // Act
    const err = await codeOf(runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS));

    // Assess
    expect(err.code).toBe('ROTATION_CURRENT_TOKEN_MISSING');
    expect(f.secrets.writes).toEqual(writes);
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

describe('planPreviousTokenDeletion', () => {
  const value = { ...OLD, cluster: 'demo', previousAccessorId: 'dddddddd-0000-4000-8000-000000000001', previousRotatedAt: NOW.toISOString() };
  it.each([
    { name: 'no previous token', current: { ...OLD, cluster: 'demo' }, last: undefined, now: NOW, plan: { action: 'none' } },
    { name: 'inside the grace period', current: value, last: undefined, now: new Date(NOW.getTime() + 23 * HOUR), plan: { action: 'wait', accessorId: value.previousAccessorId, until: new Date(NOW.getTime() + 24 * HOUR) } },
    { name: 'after the grace period', current: value, last: undefined, now: new Date(NOW.getTime() + 24 * HOUR), plan: { action: 'delete', accessorId: value.previousAccessorId, graceEndedAt: new Date(NOW.getTime() + 24 * HOUR) } },
    { name: 'a rotation that finished late', current: value, last: new Date(NOW.getTime() + 5 * HOUR), now: new Date(NOW.getTime() + 25 * HOUR), plan: { action: 'wait', accessorId: value.previousAccessorId, until: new Date(NOW.getTime() + 29 * HOUR) } },
  ])('plans $plan.action for $name', ({ current: c, last, now, plan }) => {
    expect(planPreviousTokenDeletion(c, last, 24 * HOUR, now)).toEqual(plan);
  });
});

describe('deleting the previous token', () => {
  it('refuses a new rotation inside the grace period and deletes the old token after it, never in the same rotation', async () => {
    // Prepare
    const f = fixture();
    await rotate(f, 'v1');
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
    f.setClock(new Date(NOW.getTime() + 23 * HOUR));
    f.secrets.startRotation(f.arn, 'v2');

    // Act + Assess: inside the grace period
    const refused = await codeOf(runRotationStep(f.deps, 'createSecret', f.arn, 'v2', SETTINGS));
    expect(refused.code).toBe('ROTATION_GRACE_NOT_ELAPSED');
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);

    // Act + Assess: Secrets Manager reattempts after the grace period
    f.setClock(new Date(NOW.getTime() + 24 * HOUR));
    const created = await runRotationStep(f.deps, 'createSecret', f.arn, 'v2', SETTINGS);
    expect(created.previousTokenCleanup).toEqual({ secret: f.arn, outcome: 'deleted', accessorId: OLD.accessorId });
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(false);
    expect(f.consul.tokens.has(uuid(1))).toBe(true);
  });

  it('lets a rotation start when the previous token was deleted by hand', async () => {
    const f = fixture();
    await rotate(f, 'v1');
    f.consul.tokens.delete(OLD.accessorId);
    f.secrets.startRotation(f.arn, 'v2');
    const created = await runRotationStep(f.deps, 'createSecret', f.arn, 'v2', SETTINGS);
    expect(created.previousTokenCleanup?.outcome).toBe('already-deleted');
  });

  it('keeps the previous token when the current one does not work', async () => {
    // Prepare
    const f = fixture();
    await rotate(f, 'v1');
    f.consul.tokens.delete(uuid(1));
    f.setClock(new Date(NOW.getTime() + 48 * HOUR));

    // Act
    const err = await codeOf(sweepPreviousToken(f.deps, f.arn, SETTINGS));

    // Assess
    expect(err.code).toBe('ROTATION_CURRENT_TOKEN_BROKEN');
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
  });
});

describe('rotateNow', () => {
  it('opens and completes a rotation itself, even with rotation off', async () => {
    // Prepare
    const f = fixture(undefined, { rotationEnabled: false });

    // Act
    const result = await rotateNow(f.deps, 'consul/demo/web', SETTINGS);

    // Assess
    expect(result).toMatchObject({ secret: f.arn, versionId: uuid(1), accessorId: uuid(2), previousAccessorId: OLD.accessorId, resumed: false });
    expect(result.steps.map((s) => s.outcome)).toEqual(['pending-stored', 'token-created', 'tested', 'finished']);
    expect(current(f).accessorId).toBe(uuid(2));
  });

  it('refuses a second rotation while one is unfinished, naming the command that clears it, and --resume finishes it', async () => {
    // Prepare
    const f = fixture();
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);

    // Act
    const err = await codeOf(rotateNow(f.deps, f.arn, SETTINGS));
    const resumed = await rotateNow(f.deps, f.arn, SETTINGS, { resume: true });

    // Assess
    expect(isErrorCode(err, 'ROTATION_IN_PROGRESS')).toBe(true);
    expect(err.remedy).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${f.arn} --version-stage AWSPENDING --remove-from-version-id v1`);
    expect(err.remedy).toContain(`consul acl token delete -accessor-id ${uuid(1)}`);
    expect(resumed).toMatchObject({ versionId: 'v1', accessorId: uuid(1), resumed: true });
    expect(current(f).accessorId).toBe(uuid(1));
  });
});
