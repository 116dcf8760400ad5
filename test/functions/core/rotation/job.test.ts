import { runManualRotationJob, runRotationStepJob } from '../../../../functions/core/rotation/job';
import { runRotationStep } from '../../../../functions/core/rotation/steps';
import { OLD, rotate, rotationFixture, SETTINGS, uuid } from '../../../helpers/rotation-fixture';

const CLUSTER_SETTINGS = { ...SETTINGS, cluster: 'demo' };

describe('runRotationStepJob', () => {
  it('reports a failed step with the exact command that clears the rotation it left unfinished, and no secret', async () => {
    // Prepare: setSecret ran, testSecret fails
    const f = rotationFixture();
    f.secrets.startRotation(f.arn, 'v1');
    for (const step of ['createSecret', 'setSecret'] as const) await runRotationStep(f.deps, step, f.arn, 'v1', CLUSTER_SETTINGS);
    f.consul.failNext('readSelf');

    // Act
    const outcome = await runRotationStepJob(f.deps, 'testSecret', f.arn, 'v1', CLUSTER_SETTINGS);

    // Assess
    expect(outcome.ok).toBe(false);
    const finding = outcome.report!.findings[0];
    expect(finding.severity).toBe('high');
    expect(outcome.report!.summary[0]).toContain('AWSCURRENT is unchanged');
    expect(finding.remedy).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${f.arn} --version-stage AWSPENDING --remove-from-version-id v1`);
    expect(finding.remedy).toContain(`consul acl token delete -accessor-id ${uuid(1)}`);
    expect(JSON.stringify(outcome.report)).not.toContain(uuid(2));
    expect(JSON.stringify(outcome.report)).not.toContain(OLD.secretId);
  });

  it('reports nothing for an intermediate step and once for the finished rotation', async () => {
    const f = rotationFixture();
    f.secrets.startRotation(f.arn, 'v1');
    const reports = [];
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) reports.push((await runRotationStepJob(f.deps, step, f.arn, 'v1', CLUSTER_SETTINGS)).report);
    expect(reports.map((r) => r?.title)).toEqual([undefined, undefined, undefined, 'token consul/demo/web rotated']);
  });
});

describe('runManualRotationJob', () => {
  it('reports the revoked accessors, never a secret', async () => {
    // Prepare
    const f = rotationFixture();
    await rotate(f, 'v1');

    // Act
    const outcome = await runManualRotationJob(f.deps, f.arn, CLUSTER_SETTINGS, { revoke: 'all' });

    // Assess
    expect(outcome.ok).toBe(true);
    const text = JSON.stringify(outcome.report);
    expect(outcome.report?.summary).toContain(`Revoked now (deleted after the new token proved to work): ${OLD.accessorId}, ${uuid(1)}.`);
    for (const secret of [OLD.secretId, uuid(2), uuid(5)]) expect(text).not.toContain(secret);
  });
});
