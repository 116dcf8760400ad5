import { buildRotationReport, buildSweepReport, ROTATION_FINDING_IDS, SWEEP_SCOPE } from '../../../../functions/core/rotation/rotation-report';
import { RotationInProgressError } from '../../../../functions/core/rotation/errors';
import { formatNotification } from '../../../../functions/core/report/report';
import type { StepResult } from '../../../../functions/core/rotation/steps';

const AT = new Date('2026-11-21T12:00:00.000Z');
const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/web-AbCdEf';
const NEW = '11111111-2222-3333-4444-555555555555';
const OLD = '66666666-7777-8888-9999-000000000000';
const step = (s: StepResult['step'], outcome: StepResult['outcome']): StepResult => ({ step: s, secret: ARN, versionId: 'ver-1', outcome, accessorId: NEW, previousAccessorId: OLD });

describe('buildRotationReport', () => {
  it('reports a completed rotation as info, scoped to the secret, naming both accessors', () => {
    // Act
    const report = buildRotationReport({ cluster: 'prod', secret: ARN, step: 'finishSecret', result: step('finishSecret', 'finished'), finishedAt: AT })!;

    // Assess
    expect(report).toMatchObject({ feature: 'rotation', scope: 'consul/prod/web', severity: 'info', title: 'token consul/prod/web rotated', findings: [] });
    const body = formatNotification(report).body;
    expect(body).toContain(`New token ${NEW} is AWSCURRENT (version ver-1)`);
    expect(body).toContain(`Previous token ${OLD} stays valid`);
  });

  it.each([
    ['createSecret', 'pending-stored'],
    ['setSecret', 'token-created'],
    ['testSecret', 'tested'],
    ['finishSecret', 'already-current'],
  ] as const)('says nothing for %s (%s): a rotation reports once', (s, outcome) => {
    expect(buildRotationReport({ cluster: 'prod', secret: ARN, step: s, result: step(s, outcome), finishedAt: AT })).toBeUndefined();
  });

  it('reports a failed step as high, with the command that clears an unfinished rotation', () => {
    // Act
    const report = buildRotationReport({ cluster: 'prod', secret: ARN, step: 'createSecret', error: new RotationInProgressError(ARN, 'ver-9', NEW), finishedAt: AT })!;

    // Assess
    expect(report).toMatchObject({ severity: 'high', outcome: 'failed', scope: 'consul/prod/web', findings: [expect.objectContaining({ id: ROTATION_FINDING_IDS.failed })] });
    const text = formatNotification(report).body;
    expect(text).toContain('aws secretsmanager update-secret-version-stage');
    expect(text).toContain('AWSCURRENT is unchanged');
    expect(report.publicIds).toContain(NEW); // accessor IDs named by the error are printed on purpose, not masked
  });
});

describe('buildSweepReport', () => {
  it('lists deleted tokens, and one high finding per secret whose sweep failed', () => {
    // Act
    const report = buildSweepReport(
      'prod',
      {
        results: [{ secret: ARN, outcome: 'deleted', deleted: [OLD], alreadyDeleted: [], waiting: [] }],
        failures: [{ secret: 'consul/prod/db', error: { code: 'CONSUL_PERMISSION_DENIED', message: 'lacks acl:write', remedy: 'grant it', context: {} } }],
      },
      new Error('sweep failed'),
      AT,
    );

    // Assess
    expect(report).toMatchObject({ scope: SWEEP_SCOPE, severity: 'high', outcome: 'failed', findings: [expect.objectContaining({ id: `${ROTATION_FINDING_IDS.sweepFailed}:consul/prod/db` })] });
    expect(formatNotification(report).body).toContain(`1 retired token(s) deleted (${OLD})`);
  });
});
