import { isErrorCode } from '../../../../functions/core/shared/errors';
import { rotateNow } from '../../../../functions/core/rotation/manual-rotation';
import { runRotationStep } from '../../../../functions/core/rotation/steps';
import { currentValue, NOW, OLD, rejectionOf, rotate, rotationFixture, SETTINGS, uuid } from '../../../helpers/rotation-fixture';

describe('rotateNow', () => {
  it('opens and completes a rotation itself, even with rotation off', async () => {
    // Prepare
    const f = rotationFixture(undefined, { rotationEnabled: false });

    // Act
    const result = await rotateNow(f.deps, 'consul/demo/web', SETTINGS);

    // Assess
    expect(result).toMatchObject({ secret: f.arn, versionId: uuid(1), accessorId: uuid(2), previousAccessorId: OLD.accessorId, resumed: false });
    expect(result.revoked).toBeUndefined();
    expect(result.steps.map((s) => s.outcome)).toEqual(['pending-stored', 'token-created', 'tested', 'finished']);
    expect(currentValue(f).accessorId).toBe(uuid(2));
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
  });

  it('refuses a second rotation while one is unfinished, naming the command that clears it, and resume finishes it', async () => {
    // Prepare
    const f = rotationFixture();
    f.secrets.startRotation(f.arn, 'v1');
    await runRotationStep(f.deps, 'createSecret', f.arn, 'v1', SETTINGS);

    // Act
    const err = await rejectionOf(rotateNow(f.deps, f.arn, SETTINGS));
    const resumed = await rotateNow(f.deps, f.arn, SETTINGS, { resume: true });

    // Assess
    expect(isErrorCode(err, 'ROTATION_IN_PROGRESS')).toBe(true);
    expect(err.remedy).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${f.arn} --version-stage AWSPENDING --remove-from-version-id v1`);
    expect(err.remedy).toContain(`consul acl token delete -accessor-id ${uuid(1)}`);
    expect(resumed).toMatchObject({ versionId: 'v1', accessorId: uuid(1), resumed: true });
    expect(currentValue(f).accessorId).toBe(uuid(1));
  });

  it('reports a step that failed after the rotation was opened with the exact commands that finish or clear it', async () => {
    // Prepare
    const f = rotationFixture();
    f.consul.failNext('createToken');

    // Act
    const err = await rejectionOf(rotateNow(f.deps, f.arn, SETTINGS));

    // Assess: AWSCURRENT untouched, the remedy clears exactly this version and names the pending token
    expect(err.code).toBe('ROTATION_UNFINISHED');
    expect(err.context.causeCode).toBe('UNEXPECTED');
    expect(err.remedy).toContain(`consul-ops rotate-token --secret-id ${f.arn} --resume`);
    expect(err.remedy).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${f.arn} --version-stage AWSPENDING --remove-from-version-id ${uuid(1)}`);
    expect(err.remedy).toContain(`consul acl token delete -accessor-id ${uuid(2)}`);
    expect(currentValue(f).accessorId).toBe(OLD.accessorId);
    expect(f.consul.tokens.get(OLD.accessorId)?.secretId).toBe(OLD.secretId);
  });

  it('with revoke "replaced" deletes the replaced token as soon as the new one works, and only that one', async () => {
    // Prepare: an earlier rotation left OLD in its grace period
    const f = rotationFixture();
    await rotate(f, 'v1');
    const first = currentValue(f);

    // Act
    const result = await rotateNow(f.deps, f.arn, SETTINGS, { revoke: 'replaced' });

    // Assess
    expect(result.revoked).toEqual({ deleted: [first.accessorId], alreadyDeleted: [] });
    expect(f.consul.tokens.has(first.accessorId)).toBe(false);
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
    const calls = f.consul.calls;
    expect(calls.lastIndexOf('readSelf')).toBeLessThan(calls.indexOf(`deleteToken ${first.accessorId}`));
    expect(currentValue(f).retired).toEqual([
      { accessorId: OLD.accessorId, deleteAfter: new Date(NOW.getTime() + SETTINGS.gracePeriodMs).toISOString() },
      { accessorId: first.accessorId, deleteAfter: NOW.toISOString() },
    ]);
  });

  it('with revoke "all" deletes every retired token, with the new management token when it rotates the management secret', async () => {
    // Prepare
    const f = rotationFixture();
    await rotate(f, 'v1');
    const first = currentValue(f);

    // Act
    const result = await rotateNow(f.deps, f.arn, { ...SETTINGS, managementSecretArn: f.arn }, { revoke: 'all' });

    // Assess
    expect(result.revoked?.deleted).toEqual([OLD.accessorId, first.accessorId]);
    expect([...f.consul.tokens.keys()]).toEqual([result.accessorId]);
    expect(f.consul.calls).toContain(`deleteToken ${OLD.accessorId} as-given`);
  });

  it('deletes nothing when the new token does not work', async () => {
    // Prepare: testSecret passes, then the new token disappears before the revocation
    const f = rotationFixture();
    const readSelf = f.consul.readSelf.bind(f.consul);
    let calls = 0;
    f.consul.readSelf = async (secret) => ((calls += 1) === 2 ? undefined : readSelf(secret));

    // Act
    const err = await rejectionOf(rotateNow(f.deps, f.arn, SETTINGS, { revoke: 'replaced' }));

    // Assess
    expect(err.code).toBe('ROTATION_REVOKE_FAILED');
    expect(err.remedy).toContain(`consul acl token delete -accessor-id ${OLD.accessorId}`);
    expect(f.consul.tokens.has(OLD.accessorId)).toBe(true);
    expect(f.consul.calls.filter((c) => c.startsWith('deleteToken'))).toEqual([]);
  });
});
