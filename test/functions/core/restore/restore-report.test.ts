import { buildRestoreReport, describeRestoreRequest, RESTORE_FINDING_IDS, type RestoreRunOutcome } from '../../../../functions/core/restore/restore-report';
import { formatNotification } from '../../../../functions/core/report/report';
import { decideNotification } from '../../../../functions/core/report/dedupe';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import type { RestoreResult } from '../../../../functions/core/restore/workflow';

const FINISHED = new Date('2026-11-22T10:00:00.000Z');
const RESULT: RestoreResult = {
  cluster: 'demo',
  backup: { key: 'snapshots/demo/2026/11/21/demo-20261121T120000Z-200.snap', versionId: 'v1', sha256: 'ab'.repeat(32), takenAt: '2026-11-21T12:00:00.000Z', consulIndex: 200, sizeBytes: 4096, kind: 'scheduled' },
  target: { datacenter: 'dc1', consulVersion: '1.17.0', leader: '10.0.0.1:8300' },
  checks: [{ id: 'leader-after-restore', status: 'pass', detail: 'leader 10.0.0.1:8300' }],
  summary: 'restored snapshots/demo/… into cluster demo',
  safetySnapshot: { key: 'snapshots/demo/2026/11/22/demo-20261122T100000Z-900.snap', versionId: 'v9' },
  dryRun: false,
  restored: true,
  durations: { verifyMs: 1200, safetyMs: 3400, restoreMs: 5600 },
};
const RUN: RestoreRunOutcome = { cluster: 'demo', request: 'latest, dryRun false, confirm given', invokedBy: 'alice; request r-1', result: RESULT, finishedAt: FINISHED };
const failure = (code: string, context: Record<string, unknown> = {}) => ({ ...RUN, result: undefined, error: new ConsulOpsError(code, 'it went wrong', 'do this', { context }) });

describe('buildRestoreReport', () => {
  it('reports a completed restore as high, with the backup, the safety snapshot and the durations', () => {
    // Act
    const report = buildRestoreReport(RUN);

    // Assess
    expect(report).toMatchObject({ feature: 'restore', severity: 'high', title: 'restored raft index 200', alwaysNotify: true });
    expect(report.outcome ?? 'succeeded').toBe('succeeded');
    expect(report.findings.map((f) => f.id)).toEqual([RESTORE_FINDING_IDS.restored]);
    const body = formatNotification(report, { reason: 'event' }).body;
    expect(body).toContain(`Backup: ${RESULT.backup.key} (version v1`);
    expect(body).toContain(`Safety snapshot: ${RESULT.safetySnapshot!.key} (version v9)`);
    expect(body).toContain('Durations: verify 1.2 s, safety snapshot 3.4 s, restore 5.6 s');
    expect(body).toContain('Requested: latest, dryRun false, confirm given; invoked by alice; request r-1');
  });

  it.each([
    ['a dry run', { ...RUN, result: { ...RESULT, restored: false, dryRun: true, notApplied: 'dry run', safetySnapshot: undefined } }, 'info', 'restore not applied (dry run)'],
    ['a check failing after the restore', { ...RUN, result: { ...RESULT, checks: [{ id: 'leader-after-restore' as const, status: 'fail' as const, detail: 'no leader' }] } }, 'critical', 'restored raft index 200, check failed'],
    ['a refusal before anything was sent', failure('RESTORE_DC_MISMATCH'), 'medium', 'restore failed (RESTORE_DC_MISMATCH)'],
    ['a failed safety snapshot', failure('RESTORE_SAFETY_SNAPSHOT_FAILED'), 'high', 'restore failed (RESTORE_SAFETY_SNAPSHOT_FAILED)'],
    ['a failed PUT', failure('RESTORE_FAILED', { safetySnapshotKey: 'snapshots/demo/safety.snap' }), 'critical', 'restore failed (RESTORE_FAILED)'],
    ['an unexpected error', { ...RUN, result: undefined, error: new Error('socket hang up') }, 'critical', 'restore failed (UNEXPECTED)'],
  ])('rates %s as %s', (_name, run, severity, title) => {
    const report = buildRestoreReport(run as RestoreRunOutcome);
    expect(report).toMatchObject({ severity, title });
    if (run.result === undefined) expect(report.outcome).toBe('failed');
  });

  it('names the safety snapshot of a failed restore', () => {
    expect(buildRestoreReport(failure('RESTORE_FAILED', { safetySnapshotKey: 'snapshots/demo/safety.snap' })).summary).toContain('Safety snapshot of the state before: snapshots/demo/safety.snap.');
  });

  it('is announced every time, whatever the dedupe state', () => {
    // Prepare
    const report = buildRestoreReport({ ...RUN, result: { ...RESULT, restored: false, dryRun: true, notApplied: 'dry run' } });

    // Act
    const first = decideNotification(undefined, report, FINISHED);
    const second = decideNotification(first.nextState, report, new Date(FINISHED.getTime() + 1000));

    // Assess
    expect([first.reason, second.reason]).toEqual(['event', 'event']);
  });
});

describe('describeRestoreRequest', () => {
  it.each([
    [{ cluster: 'demo', selector: { latest: true as const } }, 'latest, dryRun true, confirm missing'],
    [{ cluster: 'demo', selector: { key: 'k', versionId: 'v' }, dryRun: false, confirm: 'demo', skipSafetySnapshot: true }, 'key k version v, dryRun false, confirm given, skipSafetySnapshot'],
    [{ cluster: 'demo', selector: { before: new Date('2026-11-21T23:00:00Z') }, allowCrossCluster: true }, 'newest at or before 2026-11-21T23:00:00.000Z, dryRun true, confirm missing, allowCrossCluster'],
  ])('describes %j', (input, expected) => {
    expect(describeRestoreRequest(input)).toBe(expected);
  });

  it('lists the reconciled and re-deleted accessors, and makes each token that cannot be re-created a high finding with its fix command', () => {
    // Prepare
    const web = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/web-AbCdEf';
    const db = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:consul/prod/db-AbCdEf';
    const fix = `aws secretsmanager get-secret-value --secret-id '${db}' --query SecretString --output text | jq -c '{…}' | curl …`;
    const result: RestoreResult = {
      ...RESULT,
      checks: [...RESULT.checks, { id: 'tokens-after-restore', status: 'fail', detail: '1 re-created, 0 present, 1 failed' }],
      tokenReconciliation: [
        { secret: web, role: 'application', accessorId: '11111111-1111-4111-8111-111111111111', outcome: 'recreated', detail: 're-created with the same AccessorID and SecretID and the links of token 22222222-2222-4222-8222-222222222222 (the token it replaced)', redeleted: ['33333333-3333-4333-8333-333333333333'] },
        { secret: db, role: 'application', accessorId: '44444444-4444-4444-8444-444444444444', outcome: 'failed', detail: 'cannot be re-created: No such ACL policy with ID "55555555-5555-4555-8555-555555555555"', redeleted: [], fixCommand: fix },
      ],
    };

    // Act
    const report = buildRestoreReport({ ...RUN, result });

    // Assess: no generic critical finding for the token check; one high finding per failed secret
    expect(report.severity).toBe('high');
    expect(report.findings.map((f) => [f.id, f.severity])).toEqual([
      [RESTORE_FINDING_IDS.restored, 'high'],
      [`${RESTORE_FINDING_IDS.tokenFailed}:consul/prod/db`, 'high'],
    ]);
    expect(report.findings[1].remedy).toContain(fix);
    const body = formatNotification(report, { reason: 'event' }).body;
    expect(body).toContain('Token secret consul/prod/web (application, token 11111111-1111-4111-8111-111111111111): recreated');
    expect(body).toContain('retired token(s) deleted again: 33333333-3333-4333-8333-333333333333');
    expect(body).toContain('token 22222222-2222-4222-8222-222222222222 (the token it replaced)');
  });

  it('lists the preflight of a dry run', () => {
    const tokens = [{ secret: 'consul/prod/web', role: 'application' as const, accessorId: '11111111-1111-4111-8111-111111111111', status: 'reconcile' as const, detail: 'AWSCURRENT token created after the backup' }];
    const report = buildRestoreReport({ ...RUN, result: { ...RESULT, restored: false, dryRun: true, notApplied: 'dry run', tokens } });
    expect(report.summary).toContain('Token secret consul/prod/web (application, token 11111111-1111-4111-8111-111111111111): AWSCURRENT token created after the backup.');
  });
});
