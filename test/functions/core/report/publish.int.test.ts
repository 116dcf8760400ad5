/**
 * publishReport over the real wire protocols: state and full reports in radosgw (S3), notifications through fauxqs
 * (SNS), received by an SQS subscriber as the SNS Notification envelope.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { PassThrough } from 'node:stream';
import { startLocalSns, type LocalSns, type QueueSubscription } from '../../../../local/sns';
import { S3ReportState } from '../../../../functions/adapters/s3-report-state';
import { SnsReportPublisher } from '../../../../functions/adapters/sns-report-publisher';
import { buildBackupReport } from '../../../../functions/core/backup/backup-report';
import { ConsulOpsError } from '../../../../functions/core/shared/errors';
import { createReport, type Finding } from '../../../../functions/core/report/report';
import { publishReport, type ReportDeps } from '../../../../functions/core/report/publish';
import { publishCommandReport } from '../../../../functions/cli/report-option';
import type { CliContext } from '../../../../functions/cli/command';
import { createTestBucket } from '../../../helpers/s3';

const T0 = Date.parse('2026-03-05T10:00:00.000Z');
let sns: LocalSns;
let snsClient: SNSClient;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  sns = await startLocalSns();
  snsClient = new SNSClient({ endpoint: sns.endpoint, region: sns.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  ({ s3, bucket } = await createTestBucket({ versioning: true }));
});
afterAll(async () => {
  snsClient.destroy();
  await sns.stop();
});

/** A fresh topic with a subscribed queue, and deps whose clock the test moves. */
function setup(name: string): { deps: ReportDeps & { at(hours: number): void }; inbox: QueueSubscription; topicArn: string } {
  const topicArn = sns.createTopic(name);
  const inbox = sns.subscribeQueue(topicArn);
  let now = T0;
  const deps = {
    store: new S3ReportState({ client: s3, bucket }),
    publisher: new SnsReportPublisher({ client: snsClient, topicArn }),
    now: () => new Date(now),
    at: (hours: number) => (now = T0 + hours * 3_600_000),
  };
  return { deps, inbox, topicArn };
}

async function readJson(key: string): Promise<Record<string, unknown>> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await out.Body!.transformToString()) as Record<string, unknown>;
}

function drift(cluster: string, findings: Finding[], hours: number) {
  return createReport({ feature: 'intentions', cluster, title: `${findings.length} intention drifts`, summary: ['Compared with the baseline.'], findings, occurredAt: new Date(T0 + hours * 3_600_000).toISOString() });
}
const f = (id: string, severity: Finding['severity'] = 'high'): Finding => ({ id, check: 'intention-drift', severity, subject: id, message: `${id} drifted`, remedy: 'Re-apply the baseline.' });

describe('publishReport (radosgw + fauxqs)', () => {
  it('announces a failed backup with subject, body and attributes, and stores the full report and the state', async () => {
    // Prepare
    const { deps, inbox } = setup('failed-backup');
    const report = buildBackupReport({
      cluster: 'int-fail',
      error: new ConsulOpsError('BACKUP_UPLOAD_FAILED', 'storing snapshots/int-fail/x.snap failed: AccessDenied', 'Check the bucket, its KMS key and the function\'s S3 permissions.'),
      finishedAt: new Date(T0),
    });

    // Act
    const outcome = await publishReport(deps, report);
    const [message] = await inbox.receive();

    // Assess
    expect(outcome).toMatchObject({ notified: true, reason: 'failure', severity: 'critical', reportUrl: `s3://${bucket}/reports/int-fail/backup/20260305T100000.000Z.json`, warnings: [] });
    expect(message.Subject).toBe('[CRITICAL] int-fail: backup failed');
    expect(message.MessageId).toBe(outcome.messageId);
    expect(message.Message).toContain('1. [CRITICAL] backup: cluster int-fail\n   BACKUP_UPLOAD_FAILED: storing snapshots/int-fail/x.snap failed: AccessDenied');
    expect(message.Message).toContain("What to do\n- Check the bucket, its KMS key and the function's S3 permissions.");
    expect(message.Message).toContain(`Full report: ${outcome.reportUrl}`);
    expect(message.MessageAttributes).toEqual({
      severity: { Type: 'String', Value: 'critical' },
      feature: { Type: 'String', Value: 'backup' },
      cluster: { Type: 'String', Value: 'int-fail' },
      dedupeKey: { Type: 'String', Value: outcome.dedupeKey },
      reason: { Type: 'String', Value: 'failure' },
    });
    expect(await readJson('reports/int-fail/backup/20260305T100000.000Z.json')).toMatchObject({ severity: 'critical', outcome: 'failed', reportUrl: outcome.reportUrl });
    expect(await readJson('state/int-fail/backup.json')).toMatchObject({ version: 1, lastOutcome: 'failed', findings: { 'backup-failed': 'critical' }, lastReason: 'failure' });
  });

  it('sends one message for the same findings twice, a new one on change, and one when they resolve', async () => {
    // Prepare
    const { deps, inbox } = setup('dedupe');
    const subjects: (string | undefined)[][] = [];
    const step = async (hours: number, findings: Finding[]) => {
      deps.at(hours);
      await publishReport(deps, drift('int-dedupe', findings, hours));
      subjects.push((await inbox.receive(1)).map((m) => m.Subject));
    };

    // Act
    await step(0, [f('web->db'), f('api->cache', 'medium')]);
    await step(1, [f('api->cache', 'medium'), f('web->db')]);
    await step(2, [f('web->db', 'critical'), f('api->cache', 'medium')]);
    await step(3, [f('api->cache', 'medium')]);
    await step(4, [f('api->cache', 'medium')]);

    // Assess
    expect(subjects).toEqual([
      ['[HIGH] int-dedupe: 2 intention drifts'],
      [],
      ['[CRITICAL] int-dedupe: 2 intention drifts'],
      ['[RESOLVED] int-dedupe: 1 intention drifts'],
      [],
    ]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reports/int-dedupe/intentions/' }));
    expect(listed.Contents).toHaveLength(5); // every run keeps its full report, notified or not
  });

  it('routes the all-clear after a failure at the failure severity', async () => {
    const { deps, inbox } = setup('recovery');
    await publishReport(deps, buildBackupReport({ cluster: 'int-recover', error: new Error('boom'), finishedAt: new Date(T0) }));
    await inbox.receive();
    deps.at(1);
    await publishReport(deps, buildBackupReport({ cluster: 'int-recover', finishedAt: new Date(T0 + 3_600_000) }));
    const [message] = await inbox.receive();
    expect(message.Subject).toBe('[RESOLVED] int-recover: backup ok');
    expect(message.MessageAttributes?.severity).toEqual({ Type: 'String', Value: 'critical' });
    expect(message.Message).toContain('Resolved since the last report\n- [CRITICAL] backup-failed');
  });

  it('throws a typed error when the topic is missing, and keeps the state so the next run announces again', async () => {
    // Prepare
    const { deps, topicArn } = setup('exists');
    const broken = { ...deps, publisher: new SnsReportPublisher({ client: snsClient, topicArn: topicArn.replace(/exists$/, 'missing') }) };

    // Act + Assess
    await expect(publishReport(broken, drift('int-missing', [f('a')], 0))).rejects.toMatchObject({ code: 'REPORT_PUBLISH_FAILED', remedy: expect.stringContaining('topic does not exist') });
    await expect(s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'state/int-missing/' }))).resolves.toMatchObject({ KeyCount: 0 });
    await expect(publishReport(deps, drift('int-missing', [f('a')], 1))).resolves.toMatchObject({ notified: true, reason: 'new' });
  });
});

describe('publishCommandReport (CLI, CONSUL_OPS_SNS_TOPIC_ARN + AWS_ENDPOINT_URL_SNS)', () => {
  function cliContext(env: NodeJS.ProcessEnv): CliContext & { err: () => string } {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString()));
    return { json: true, failOn: 'high', env, stdout: new PassThrough(), stderr, interactive: false, err: () => text };
  }

  it('publishes the report the same way as the Lambda and says so on stderr', async () => {
    // Prepare
    const topicArn = sns.createTopic('cli');
    const inbox = sns.subscribeQueue(topicArn);
    const context = cliContext({ ...process.env, CONSUL_OPS_SNS_TOPIC_ARN: topicArn, AWS_ENDPOINT_URL_SNS: sns.endpoint, AWS_REGION: sns.region });

    // Act
    const outcome = await publishCommandReport(drift('int-cli', [f('web->db', 'critical')], 0), context, { bucket });
    const [message] = await inbox.receive();

    // Assess
    expect(outcome).toMatchObject({ notified: true, reason: 'new' });
    expect(message.Subject).toBe('[CRITICAL] int-cli: 1 intention drifts');
    expect(message.MessageAttributes?.feature).toEqual({ Type: 'String', Value: 'intentions' });
    expect(context.err()).toBe(`report published to ${topicArn} (new, critical)\n`);
  });

  it('does nothing without CONSUL_OPS_SNS_TOPIC_ARN', async () => {
    const context = cliContext({ AWS_ENDPOINT_URL_SNS: sns.endpoint });
    await expect(publishCommandReport(drift('int-cli', [], 0), context)).resolves.toBeUndefined();
    expect(context.err()).toBe('');
  });
});
