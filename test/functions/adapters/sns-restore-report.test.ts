import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { formatRestoreReport, SnsRestoreReporter, type RestoreOutcome } from '../../../functions/adapters/sns-restore-report';
import type { RestoreResult } from '../../../functions/core/restore/workflow';

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
const OUTCOME: RestoreOutcome = { cluster: 'demo', request: 'latest, dryRun false, confirm given', invokedBy: 'alice; request r-1', result: RESULT };

describe('formatRestoreReport', () => {
  it('reports a completed restore as high, with backup, safety snapshot and durations', () => {
    // Act
    const report = formatRestoreReport(OUTCOME);

    // Assess
    expect(report.severity).toBe('high');
    expect(report.subject).toBe('[HIGH] consul-ops restore demo: restored raft index 200');
    expect(report.body).toContain(`Backup: ${RESULT.backup.key} (version v1`);
    expect(report.body).toContain(`Safety snapshot: ${RESULT.safetySnapshot!.key} (version v9)`);
    expect(report.body).toContain('Durations: verify 1.2 s, safety snapshot 3.4 s, restore 5.6 s');
  });

  it.each([
    { name: 'a dry run', outcome: { ...OUTCOME, result: { ...RESULT, restored: false, dryRun: true, notApplied: 'dry run' } }, severity: 'info' },
    { name: 'a refusal', outcome: { ...OUTCOME, result: undefined, error: { code: 'RESTORE_DC_MISMATCH', message: 'dc', remedy: 'flag', context: {} } }, severity: 'medium' },
    { name: 'a failed PUT', outcome: { ...OUTCOME, result: undefined, error: { code: 'RESTORE_FAILED', message: 'x', remedy: 'y', context: { safetySnapshotKey: 'k' } } }, severity: 'critical' },
  ])('rates $name as $severity', ({ outcome, severity }) => {
    expect(formatRestoreReport(outcome as RestoreOutcome).severity).toBe(severity);
  });

  it('keeps the subject under 100 characters without line breaks', () => {
    // Act
    const report = formatRestoreReport({ ...OUTCOME, cluster: 'c'.repeat(63), result: undefined, error: { code: 'RESTORE_SAFETY_SNAPSHOT_FAILED', message: 'a\nb', remedy: 'r', context: {} } });

    // Assess
    expect(report.subject.length).toBeLessThan(100);
    expect(report.subject).not.toMatch(/[\r\n]/);
  });
});

describe('SnsRestoreReporter', () => {
  it('publishes the plain-text report with severity, feature and cluster attributes', async () => {
    // Prepare
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    const id = await new SnsRestoreReporter(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:reports').publish(OUTCOME);

    // Assess
    expect(id).toBe('m-1');
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:reports',
      Subject: '[HIGH] consul-ops restore demo: restored raft index 200',
      Message: expect.stringContaining('consul-ops restore of cluster demo: RESTORED'),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'high' },
        feature: { DataType: 'String', StringValue: 'restore' },
        cluster: { DataType: 'String', StringValue: 'demo' },
      },
    });
    sns.restore();
  });
});
