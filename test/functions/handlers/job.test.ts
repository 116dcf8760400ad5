/**
 * The one handler skeleton (functions/handlers/job.ts) with a job of its own: report publishing through the report
 * path (S3 state + SNS, mocked at the SDK), ReportFailure, the failure metric, error mapping, the deadline and the
 * Consul wiring.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createReport, type Report } from '../../../functions/core/report/report';
import type { JobOutcome } from '../../../functions/core/report/job';
import { createJobHandler, jobService, REPORT_FAILURE_METRIC, type JobRun, type JobSpec } from '../../../functions/handlers/job';
import { CONSUL_FUNCTION_ENV } from '../../../functions/handlers/lambda-env';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:reports';
const ENV = { [CONSUL_FUNCTION_ENV.clusterName]: 'c1', [CONSUL_FUNCTION_ENV.reportTopicArn]: TOPIC, [CONSUL_FUNCTION_ENV.bucketName]: 'backups' };

const report = (title: string, outcome: Report['outcome'] = 'succeeded'): Report =>
  createReport({ feature: 'certificates', cluster: 'c1', title, summary: [], findings: [], occurredAt: NOW.toISOString(), outcome });

/** A metrics double that records what the skeleton adds. */
function recordingMetrics() {
  const metrics: { name: string; value: number }[] = [];
  const dimensions: Record<string, string> = {};
  let published = 0;
  const double = {
    addDimension: (name: string, value: string) => void (dimensions[name] = value),
    addMetric: (name: string, _unit: string, value: number) => void metrics.push({ name, value }),
    hasStoredMetrics: () => metrics.length > 0,
    publishStoredMetrics: () => void (published += 1),
    clearDimensions: () => Object.keys(dimensions).forEach((k) => delete dimensions[k]),
  };
  return { double: double as unknown as Metrics, metrics, dimensions, published: () => published };
}

function silentLogger() {
  const errors: string[] = [];
  const logger = { info: () => undefined, warn: () => undefined, error: (msg: string) => void errors.push(msg) } as unknown as Logger;
  return { logger, errors };
}

function spec(run: (event: unknown, r: JobRun<{ cluster: string }>) => Promise<JobOutcome<string>>, extra: Partial<JobSpec<{ cluster: string }, string>> = {}): JobSpec<{ cluster: string }, string> {
  return { name: 'check-certs', init: ({ env }) => ({ cluster: env.required(CONSUL_FUNCTION_ENV.clusterName) }), run, ...extra };
}

describe('createJobHandler', () => {
  const s3 = mockClient(S3Client);
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    s3.reset();
    sns.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });
  afterAll(() => {
    s3.restore();
    sns.restore();
  });

  function handlerOf(s: JobSpec<{ cluster: string }, string>, env: Record<string, string> = ENV) {
    const metrics = recordingMetrics();
    const log = silentLogger();
    const handler = createJobHandler(s, { env, now: () => NOW, metrics: metrics.double, logger: log.logger, secretsClient: new SecretsManagerClient({ region: 'us-east-1' }) });
    return { handler, metrics, log };
  }

  it('returns the result, publishes the report once and flushes the metrics with the Cluster dimension', async () => {
    // Prepare
    const { handler, metrics } = handlerOf(spec(async () => ({ ok: true, result: 'done', report: report('certificates OK') }), { recordMetrics: (_o, r) => r.metrics.addMetric('CertCheckSuccess', 'Count' as never, 1) }));

    // Act
    const result = await handler({});

    // Assess
    expect(result).toBe('done');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC, Subject: '[INFO] c1: certificates OK (daily digest)' });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'backups', Key: 'state/c1/certificates.json' });
    expect(metrics.dimensions).toEqual({ Cluster: 'c1' });
    expect(metrics.metrics).toEqual([{ name: 'CertCheckSuccess', value: 1 }]);
    expect(metrics.published()).toBe(1);
  });

  it('publishes the failure report, counts the failure and throws the job\'s own error', async () => {
    // Prepare
    const error = new Error('CA roots unreadable');
    const { handler, metrics, log } = handlerOf(spec(async () => ({ ok: false, error, report: report('certificate check failed', 'failed') }), { failureMetric: 'CertCheckFailure' }));

    // Act
    const run = handler({});

    // Assess
    await expect(run).rejects.toBe(error);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { Subject: '[INFO] c1: certificate check failed' });
    expect(metrics.metrics).toEqual([{ name: 'CertCheckFailure', value: 1 }]);
    expect(log.errors).toEqual(['check-certs failed']);
  });

  it('never lets a lost report hide the result: ReportFailure is counted and the result returned', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(Object.assign(new Error('topic gone'), { name: 'NotFoundException' }));
    const { handler, metrics, log } = handlerOf(spec(async () => ({ ok: true, result: 'done', report: report('certificates OK') })));

    // Act
    const result = await handler({});

    // Assess
    expect(result).toBe('done');
    expect(metrics.metrics).toEqual([{ name: REPORT_FAILURE_METRIC, value: 1 }]);
    expect(log.errors).toEqual(['report not published']);
  });

  it('publishes nothing without a report or without a topic', async () => {
    const silent = handlerOf(spec(async () => ({ ok: true, result: 'step' })));
    const noTopic = handlerOf(spec(async () => ({ ok: true, result: 'done', report: report('x') })), { [CONSUL_FUNCTION_ENV.clusterName]: 'c1' });
    await expect(silent.handler({})).resolves.toBe('step');
    await expect(noTopic.handler({})).resolves.toBe('done');
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(silent.metrics.published()).toBe(0); // nothing stored, nothing flushed (no Powertools warning)
  });

  it('leaves no dimension behind after a run without metrics, so a warm run adds Cluster afresh', async () => {
    // Prepare
    const silent = handlerOf(spec(async () => ({ ok: true, result: 'step' })));

    // Act
    await silent.handler({});

    // Assess: Powertools warns when addDimension finds the name already there
    expect(silent.metrics.dimensions).toEqual({});
  });

  it('maps the error for Lambda when the job asks for it', async () => {
    const { handler } = handlerOf(spec(async () => ({ ok: false, error: new Error('raw') }), { lambdaError: (e) => Object.assign(new Error(`mapped: ${(e as Error).message}`), { name: 'CODE' }) }));
    await expect(handler({})).rejects.toMatchObject({ name: 'CODE', message: 'mapped: raw' });
  });

  it('aborts the run\'s signal before the Lambda deadline, keeping the margin', async () => {
    // Prepare
    let aborted: unknown;
    const { handler } = handlerOf(
      spec(async (_e, r) => {
        await new Promise((resolve) => r.signal.addEventListener('abort', resolve));
        aborted = r.signal.reason;
        return { ok: true, result: 'stopped' };
      }, { deadlineMarginMs: 30_000 }),
    );

    // Act: 1 s of the Lambda's time is left beyond the margin
    const started = Date.now();
    const result = await handler({}, { getRemainingTimeInMillis: () => 31_000 });

    // Assess
    expect(result).toBe('stopped');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(String(aborted)).toContain('about to time out');
  });

  it('refuses Consul with a clear error when the function has no Consul wiring', async () => {
    const { handler } = handlerOf(spec(async (_e, r) => ({ ok: true, result: String(await r.consul()) })));
    await expect(handler({})).rejects.toThrow(`${jobService('check-certs')} has no Consul wiring (CONSUL_ADDRESSES is not set)`);
  });
});
