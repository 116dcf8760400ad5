import { buildBackupReport } from '../../../../functions/core/backup/backup-report';
import type { BackupResult } from '../../../../functions/core/backup/workflow';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import type { PruneResult } from '../../../../functions/core/retention/workflow';
import {
  createReport,
  dedupeKeyOf,
  fingerprintFindings,
  formatNotification,
  MAX_BODY_BYTES,
  MAX_SUBJECT_CHARS,
  type Finding,
  type NotificationReason,
  type Report,
} from '../../../../functions/core/report/report';
import { decideNotification, MAX_STATE_FINDINGS, type ReportState } from '../../../../functions/core/report/dedupe';
import type { Severity } from '../../../../functions/core/shared/severity';

const T0 = new Date('2026-03-05T10:00:00.000Z');
const at = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);

function finding(id: string, severity: Severity = 'high', extra: Partial<Finding> = {}): Finding {
  return { id, check: 'intention-drift', severity, subject: `web -> ${id}`, message: `intention ${id} differs from the baseline`, remedy: 'Re-apply the intended intentions.', ...extra };
}

function report(findings: readonly Finding[], extra: Partial<Report> = {}): Report {
  return createReport({ feature: 'intentions', cluster: 'prod-east', title: `${findings.length} intention drifts`, summary: ['Compared 40 intentions.'], findings, occurredAt: T0.toISOString(), ...extra });
}

const backup: BackupResult = {
  cluster: 'prod-east',
  key: 'snapshots/prod-east/2026/03/05/20260305T100000Z-42.snap',
  versionId: 'v1',
  sizeBytes: 5 * 1024 * 1024,
  sha256: 'ab'.repeat(32),
  consulIndex: 42,
  raftTerm: 3,
  datacenter: 'dc1',
  consulVersion: '1.17.0',
  takenAt: T0.toISOString(),
  kind: 'scheduled',
  durationMs: 4200,
  verified: true,
  contents: { warnings: [] },
};
const prune: PruneResult = { cluster: 'prod-east', dryRun: false, policy: '24h/7d/4w/6m', kept: [], deleted: [], leftovers: [] };

describe('createReport', () => {
  it('takes the worst finding as the severity, or info without findings', () => {
    expect(report([finding('a', 'low'), finding('b', 'critical'), finding('c', 'medium')]).severity).toBe('critical');
    expect(report([]).severity).toBe('info');
  });
});

describe('formatNotification', () => {
  it('writes a subject like "[CRITICAL] prod-east: 2 intention drifts" and the four attributes', () => {
    // Prepare
    const r = report([finding('a', 'critical'), finding('b', 'high')]);

    // Act
    const n = formatNotification(r, { reason: 'new' });

    // Assess
    expect(n.subject).toBe('[CRITICAL] prod-east: 2 intention drifts');
    expect(n.attributes).toEqual({ severity: 'critical', feature: 'intentions', cluster: 'prod-east', dedupeKey: `intentions/prod-east/${fingerprintFindings(r.findings)}`, reason: 'new' });
  });

  it('keeps the subject under 100 printable ASCII characters with no line breaks, whatever the title', () => {
    // Prepare
    const r = report([finding('a')], { title: `drift in\r\nservice\t${'é'.repeat(30)}\u0007${'x'.repeat(200)}` });

    // Act
    const subject = formatNotification(r, { reason: 'reminder' }).subject;

    // Assess
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toMatch(/^\[HIGH\] prod-east: drift in service e+/);
    expect(subject.endsWith('... (reminder)')).toBe(true);
  });

  it('tags resolutions and digests in the subject', () => {
    expect(formatNotification(report([]), { reason: 'resolved' }).subject).toBe('[RESOLVED] prod-east: 0 intention drifts');
    expect(formatNotification(report([]), { reason: 'digest' }).subject).toBe('[INFO] prod-east: 0 intention drifts (daily digest)');
  });

  it('lists the worst findings first, caps them, and says how many more the full report has', () => {
    // Prepare
    const findings = [finding('low-1', 'low'), ...Array.from({ length: 12 }, (_, i) => finding(`high-${String(i).padStart(2, '0')}`, 'high')), finding('crit', 'critical')];

    // Act
    const { body } = formatNotification({ ...report(findings), reportUrl: 's3://b/reports/prod-east/intentions/20260305T100000.000Z.json' });

    // Assess
    expect(body).toContain('Findings: 14 (1 critical, 12 high, 1 low), the 10 most severe below');
    expect(body).toMatch(/1\. \[CRITICAL\] intention-drift: web -> crit\n/);
    expect(body).toContain('… and 4 more in the full report');
    expect(body).not.toContain('low-1');
    expect(body).toContain('What to do\n- Re-apply the intended intentions.');
    expect(body).toContain('Full report: s3://b/reports/prod-east/intentions/20260305T100000.000Z.json');
  });

  it('stays under 256 KB with 10,000 findings of 10 kB each, and with huge summaries', () => {
    // Prepare
    const big = 'ü'.repeat(10_000);
    const findings = Array.from({ length: 10_000 }, (_, i) => finding(`f-${i}`, 'medium', { message: big, remedy: big, subject: big }));
    const r = report(findings, { summary: Array.from({ length: 10_000 }, () => big) });

    // Act
    const { body } = formatNotification(r, { maxFindings: 10_000 });

    // Assess
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThan(256 * 1024);
    expect(body).toMatch(/cut to fit the SNS size limit; see the full report\)$/);
    expect(body).not.toContain('\uFFFD');
  });

  it('passes every outgoing string through redactSecrets, keeping public ids readable', () => {
    // Prepare
    const token = '5f3c1a2b-1111-2222-3333-444455556666';
    const accessor = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
    const r = report([finding('token-age', 'high', { message: `token ${token} (accessor ${accessor}) via https://hooks.slack.com/services/T1/B2/xyz`, subject: `Bearer abc.def` })], {
      title: `leak ${token}`,
      publicIds: [accessor],
    });

    // Act
    const n = formatNotification(r);
    const everything = JSON.stringify(n);

    // Assess
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('hooks.slack.com/services');
    expect(everything).not.toContain('abc.def');
    expect(everything).toContain(accessor);
    expect(n.subject).toContain('<redacted-id>');
  });
});

describe('decideNotification', () => {
  /** Runs reports through dedupe one after another, like successive scheduled runs. */
  function run(steps: readonly { at: Date; report: Report }[]): { reason: NotificationReason; notify: boolean; severity: Severity }[] {
    let state: ReportState | undefined;
    return steps.map((step) => {
      const decision = decideNotification(state, step.report, step.at);
      state = decision.nextState;
      return { reason: decision.reason, notify: decision.notify, severity: decision.routingSeverity };
    });
  }

  const ok = () => buildBackupReport({ cluster: 'prod-east', backup, prune, finishedAt: T0 });
  const failed = (code = 'SNAPSHOT_STREAM_FAILED') => buildBackupReport({ cluster: 'prod-east', error: new ConsulOpsError(code, 'stream broke off', 'retry'), finishedAt: T0 });

  it.each<[string, { at: Date; report: Report }[], [NotificationReason, boolean][]]>([
    ['the same findings twice → one message', [{ at: at(0), report: report([finding('a'), finding('b')]) }, { at: at(1), report: report([finding('b'), finding('a')]) }], [['new', true], ['quiet', false]]],
    ['a new finding → a new message', [{ at: at(0), report: report([finding('a')]) }, { at: at(1), report: report([finding('a'), finding('b')]) }], [['new', true], ['new', true]]],
    ['a severity change → a new message', [{ at: at(0), report: report([finding('a', 'medium')]) }, { at: at(1), report: report([finding('a', 'high')]) }], [['new', true], ['changed', true]]],
    ['a resolved finding → a message', [{ at: at(0), report: report([finding('a'), finding('b')]) }, { at: at(1), report: report([finding('a')]) }], [['new', true], ['resolved', true]]],
    [
      'an open critical finding → a reminder once a day',
      [0, 1, 23, 23.9, 24.5, 47].map((h) => ({ at: at(h), report: report([finding('a', 'critical')]) })),
      [['new', true], ['quiet', false], ['quiet', false], ['reminder', true], ['quiet', false], ['quiet', false]],
    ],
    ['open non-critical findings → no reminder, but the daily digest', [0, 12, 24].map((h) => ({ at: at(h), report: report([finding('a', 'medium')]) })), [['new', true], ['quiet', false], ['digest', true]]],
    ['successful backups → quiet, with a daily digest', [0, 1, 2, 23.8, 24.8].map((h) => ({ at: at(h), report: ok() })), [['digest', true], ['quiet', false], ['quiet', false], ['digest', true], ['quiet', false]]],
    ['a one-off event (a restore) is announced every time', [0, 0.1, 0.2].map((h) => ({ at: at(h), report: report([], { feature: 'restore', alwaysNotify: true }) })), [['event', true], ['event', true], ['event', true]]],
    ['every failure is loud, recovery resolves', [{ at: at(0), report: ok() }, { at: at(1), report: failed() }, { at: at(2), report: failed() }, { at: at(3), report: ok() }, { at: at(4), report: ok() }], [['digest', true], ['failure', true], ['failure', true], ['resolved', true], ['quiet', false]]],
  ])('%s', (_name, steps, expected) => {
    expect(run(steps).map((d) => [d.reason, d.notify])).toEqual(expected);
  });

  it('routes a resolution at the severity of what resolved, so e-mail gets the all-clear', () => {
    const decisions = run([{ at: at(0), report: buildBackupReport({ cluster: 'prod-east', error: new Error('boom'), finishedAt: T0 }) }, { at: at(1), report: buildBackupReport({ cluster: 'prod-east', backup, prune, finishedAt: T0 }) }]);
    expect(decisions).toEqual([
      { reason: 'failure', notify: true, severity: 'critical' },
      { reason: 'resolved', notify: true, severity: 'critical' },
    ]);
  });

  it('keeps a small state: no finding list beyond MAX_STATE_FINDINGS, and still detects a change', () => {
    // Prepare
    const many = Array.from({ length: MAX_STATE_FINDINGS + 1 }, (_, i) => finding(`f-${i}`, 'low'));

    // Act
    const first = decideNotification(undefined, report(many), at(0));
    const same = decideNotification(first.nextState, report(many), at(1));
    const changed = decideNotification(first.nextState, report(many.slice(1)), at(2));

    // Assess
    expect(first.nextState).toMatchObject({ complete: false, findings: {} });
    expect(JSON.stringify(first.nextState).length).toBeLessThan(1000);
    expect([first.reason, same.reason, changed.reason]).toEqual(['new', 'quiet', 'changed']);
  });

  it('keeps scopes apart: one scope\'s success never resolves another scope\'s failure', () => {
    // Prepare: rotation reports of two secrets, deduplicated against their own states
    const states = new Map<string, ReportState>();
    const decide = (scope: string, r: Report, when: Date) => {
      const decision = decideNotification(states.get(scope), { ...r, scope }, when);
      states.set(scope, decision.nextState);
      return decision.reason;
    };
    const failure = report([finding('rotation-failed', 'high')], { feature: 'rotation', outcome: 'failed' });
    const success = report([], { feature: 'rotation' });

    // Act
    const reasons = [decide('db', failure, at(0)), decide('web', success, at(0.1)), decide('db', failure, at(1))];

    // Assess
    expect(reasons).toEqual(['failure', 'digest', 'failure']);
    expect(states.get('db')).toMatchObject({ scope: 'db', lastOutcome: 'failed' });
    expect(dedupeKeyOf({ ...success, scope: 'web' })).toBe('rotation/prod-east/web/clear');
  });

  it('reports which findings resolved, for the message', () => {
    const first = decideNotification(undefined, report([finding('a', 'critical'), finding('b', 'low')]), at(0));
    const second = decideNotification(first.nextState, report([finding('b', 'low')]), at(1));
    expect(second.changes.resolved).toEqual([{ id: 'a', severity: 'critical' }]);
    expect(second.routingSeverity).toBe('critical');
    expect(formatNotification(report([finding('b', 'low')]), { reason: 'resolved', resolved: second.changes.resolved }).body).toContain('Resolved since the last report\n- [CRITICAL] a');
  });
});

describe('buildBackupReport', () => {
  it.each<[string, Parameters<typeof buildBackupReport>[0], { severity: Severity; title: string; outcome: string; ids: string[] }]>([
    ['success', { cluster: 'prod-east', backup, prune, bucket: 'b', finishedAt: T0 }, { severity: 'info', title: 'backup ok', outcome: 'succeeded', ids: [] }],
    [
      'retention guard active',
      { cluster: 'prod-east', backup, prune: { ...prune, guard: { kind: 'stale-newest', message: 'newest backup is 3 days old' } }, finishedAt: T0 },
      { severity: 'medium', title: 'backup ok, retention paused', outcome: 'succeeded', ids: ['retention-guard'] },
    ],
    ['backup failed', { cluster: 'prod-east', error: new ConsulOpsError('BACKUP_UPLOAD_FAILED', 'storing k failed: AccessDenied', 'Check the bucket.'), finishedAt: T0 }, { severity: 'critical', title: 'backup failed', outcome: 'failed', ids: ['backup-failed'] }],
    ['retention failed after a stored backup', { cluster: 'prod-east', backup, error: new Error('S3 down'), finishedAt: T0 }, { severity: 'high', title: 'backup stored, retention failed', outcome: 'failed', ids: ['retention-failed'] }],
  ])('%s', (_name, run, expected) => {
    const r = buildBackupReport(run);
    expect({ severity: r.severity, title: r.title, outcome: r.outcome, ids: r.findings.map((f) => f.id) }).toEqual(expected);
  });

  it("carries the error's message and remedy into the finding", () => {
    const r = buildBackupReport({ cluster: 'prod-east', error: new ConsulOpsError('BACKUP_UPLOAD_FAILED', 'storing k failed: AccessDenied', 'Check the bucket.'), finishedAt: T0 });
    expect(r.findings[0]).toMatchObject({ message: 'BACKUP_UPLOAD_FAILED: storing k failed: AccessDenied', remedy: 'Check the bucket.' });
    expect(formatNotification(r, { reason: 'failure' }).body).toContain('Fix: Check the bucket.');
  });
});
