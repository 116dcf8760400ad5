import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createS3Client, createSecretsManagerClient, createSnsClient } from '../adapters/aws-clients';
import { ConsulSnapshotSource } from '../adapters/consul/snapshot-source';
import { S3BackupStore } from '../adapters/s3-backup-store';
import { S3ReportState } from '../adapters/s3-report-state';
import { SnsReportPublisher } from '../adapters/sns-report-publisher';
import { buildBackupReport, type BackupRunOutcome } from '../core/backup/backup-report';
import { runBackup, type BackupResult } from '../core/backup/workflow';
import { summarizeError } from '../core/shared/errors';
import { runPrune, type PruneResult } from '../core/retention/workflow';
import { publishReport } from '../core/report/publish';
import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from '../core/retention/retention-plan';
import { consulWiring } from './consul-wiring';
import { LambdaEnv, SNAPSHOT_FUNCTION_ENV as E } from './lambda-env';

/** The schedule's input; a manual invoke may send `{}` or `{ "trigger": "manual" }`. */
export interface SnapshotEvent {
  readonly trigger?: 'schedule' | 'manual';
}

/** What one run did. */
export interface SnapshotRunResult {
  readonly backup: BackupResult;
  readonly prune: PruneResult;
}



/** Time kept back from the Lambda deadline to abort the upload cleanly and report. */
const DEADLINE_MARGIN_MS = 30_000;

const logger = new Logger({ serviceName: 'consul-ops-take-snapshot' });
const metrics = new Metrics({ namespace: 'ConsulOps', serviceName: 'consul-ops-take-snapshot' });
let wiring: ReturnType<typeof init> | undefined;

function init() {
  const env = new LambdaEnv(process.env);
  env.required(E.consulTokenSecretArn);
  env.required(E.consulAddresses);
  const settings = {
    cluster: env.required(E.clusterName),
    bucket: env.required(E.bucketName),
    prefix: env.optional(E.snapshotPrefix) ?? 'snapshots',
    stale: env.boolean(E.consulStale, false),
    maxStaleMs: env.positiveInteger(E.consulMaxStaleMs),
  };
  const policy: RetentionPolicy = { ...DEFAULT_RETENTION_POLICY, ...env.json<RetentionPolicy>(E.retentionPolicy) };
  const s3 = createS3Client();
  const topicArn = env.optional(E.reportTopicArn);
  return {
    settings,
    policy,
    consul: consulWiring(process.env, createSecretsManagerClient()),
    store: new S3BackupStore({ client: s3, bucket: settings.bucket }),
    reports: topicArn
      ? { store: new S3ReportState({ client: s3, bucket: settings.bucket }), publisher: new SnsReportPublisher({ client: createSnsClient(), topicArn }), now: () => new Date() }
      : undefined,
  };
}

/**
 * Scheduled entry point: one verified snapshot of the cluster into S3, then retention. Throws on failure so Lambda
 * counts an error, the schedule's retry policy applies, and the dead-letter queue receives the event at the end.
 */
export async function handler(event: SnapshotEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SnapshotRunResult> {
  wiring ??= init();
  const { settings, policy, store } = wiring;
  const cluster = settings.cluster;
  metrics.addDimension('Cluster', cluster);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error('the Lambda is about to time out')), Math.max(context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS, 1_000));
  let consul: Awaited<ReturnType<typeof wiring.consul.connect>> | undefined;
  let backup: BackupResult | undefined;
  try {
    consul = await wiring.consul.connect();
    backup = await runBackup(
      { consul: new ConsulSnapshotSource(consul.api, { signal: deadline.signal }), store, now: () => new Date(), signal: deadline.signal },
      {
        cluster,
        prefix: settings.prefix,
        kind: event?.trigger === 'manual' ? 'manual' : 'scheduled',
        stale: settings.stale,
        maxStaleMs: settings.maxStaleMs,
      },
    );
    logger.info('backup stored', { cluster, key: backup.key, versionId: backup.versionId, sizeBytes: backup.sizeBytes, consulIndex: backup.consulIndex });
    metrics.addMetric('SnapshotBytes', MetricUnit.Bytes, backup.sizeBytes);
    metrics.addMetric('SnapshotDuration', MetricUnit.Milliseconds, backup.durationMs);
    metrics.addMetric('BackupSuccess', MetricUnit.Count, 1);
    metrics.addMetric('LastSuccessTimestamp', MetricUnit.Seconds, Math.floor(Date.parse(backup.takenAt) / 1000));
    const prune = await runPrune({ store, now: () => new Date() }, { cluster, prefix: settings.prefix, policy });
    logger.info('retention applied', { cluster, kept: prune.kept.length, deleted: prune.deleted.length, leftovers: prune.leftovers.length, guard: prune.guard?.kind });
    metrics.addMetric('BackupsKept', MetricUnit.Count, prune.kept.length);
    metrics.addMetric('BackupsDeleted', MetricUnit.Count, prune.deleted.length);
    await reportRun({ cluster, backup, prune });
    return { backup, prune };
  } catch (err) {
    metrics.addMetric('BackupFailure', MetricUnit.Count, 1);
    logger.error('backup failed', { cluster, error: summarizeError(err) });
    await reportRun({ cluster, backup, error: err });
    throw err;
  } finally {
    clearTimeout(timer);
    await consul?.close();
    metrics.publishStoredMetrics();
  }
}

/**
 * Publishes the run's report (when `REPORT_TOPIC_ARN` is set). Never throws: a report that cannot be published is
 * logged and counted (`ReportFailure`), and the backup's own result or error stands.
 */
async function reportRun(run: Omit<BackupRunOutcome, 'bucket' | 'finishedAt'>): Promise<void> {
  if (!wiring?.reports) return;
  try {
    const report = buildBackupReport({ ...run, bucket: wiring.settings.bucket, finishedAt: new Date() });
    const outcome = await publishReport(wiring.reports, report);
    const { warnings, ...facts } = outcome;
    logger.info('report processed', { cluster: run.cluster, ...facts });
    for (const warning of warnings) logger.warn('report step failed', { cluster: run.cluster, step: warning.step, error: warning.error });
  } catch (err) {
    metrics.addMetric('ReportFailure', MetricUnit.Count, 1);
    logger.error('report not published', { cluster: run.cluster, error: summarizeError(err) });
  }
}
