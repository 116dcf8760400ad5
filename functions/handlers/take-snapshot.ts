import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createS3Client } from '../adapters/aws-clients';
import { ConsulSnapshotSource } from '../adapters/consul/snapshot-source';
import { S3BackupStore } from '../adapters/s3-backup-store';
import { S3ContentHoldStore } from '../adapters/s3-content-hold-store';
import { verifyingPassFactoryFromEnv } from '../adapters/verify-thread';
import { runSnapshotJob, type SnapshotJobResult } from '../core/backup/job';
import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from '../core/retention/retention-plan';
import { resolveContentDropThresholds } from '../core/snapshot-contents';
import { createJobHandler, type JobInit, type JobSpec } from './job';
import { SNAPSHOT_FUNCTION_ENV as E } from './lambda-env';

/** The schedule's input; a manual invoke may send `{}` or `{ "trigger": "manual" }`. */
export interface SnapshotEvent {
  readonly trigger?: 'schedule' | 'manual';
}

/** What one run did. */
export type SnapshotRunResult = Required<SnapshotJobResult>;

/**
 * The take-snapshot job: one verified snapshot of the cluster into S3, then retention, reported through the one
 * report path. A failure throws (after reporting) so Lambda counts an error, the schedule's retry policy applies,
 * and the dead-letter queue receives the event at the end.
 */
export const takeSnapshotJob: JobSpec<ReturnType<typeof init>, SnapshotJobResult, SnapshotRunResult> = {
  name: 'take-snapshot',
  init,
  failureMetric: 'BackupFailure',
  async run(event, run) {
    const { wiring } = run;
    const trigger = (event as SnapshotEvent | undefined)?.trigger;
    return runSnapshotJob(
      { consul: new ConsulSnapshotSource(await run.consul(), { signal: run.signal }), store: wiring.store, holds: wiring.holds, now: run.now, signal: run.signal, createVerifyingPass: wiring.verifyingPass },
      { ...wiring.input, kind: trigger === 'manual' ? 'manual' : 'scheduled' },
    );
  },
  recordMetrics(outcome, { metrics, logger, wiring }) {
    if (!outcome.ok) return;
    const { backup, contents, prune } = outcome.result;
    logger.info('backup stored', { cluster: wiring.input.cluster, key: backup.key, versionId: backup.versionId, sizeBytes: backup.sizeBytes, consulIndex: backup.consulIndex });
    metrics.addMetric('SnapshotBytes', MetricUnit.Bytes, backup.sizeBytes);
    metrics.addMetric('SnapshotDuration', MetricUnit.Milliseconds, backup.durationMs);
    metrics.addMetric('BackupSuccess', MetricUnit.Count, 1);
    metrics.addMetric('LastSuccessTimestamp', MetricUnit.Seconds, Math.floor(Date.parse(backup.takenAt) / 1000));
    if (contents) {
      // One metric per counted type (KvEntries, AclTokens, Services…) for the dashboard, and the open drop findings.
      for (const m of contents.metrics) metrics.addMetric(m.name, MetricUnit.Count, m.value);
      metrics.addMetric('ContentDropFindings', MetricUnit.Count, contents.findings.length);
      if (contents.findings.length > 0) logger.warn('content drop', { cluster: wiring.input.cluster, findings: contents.findings.map((f) => f.message), hold: contents.hold });
    }
    if (!prune) return;
    logger.info('retention applied', { cluster: wiring.input.cluster, kept: prune.kept.length, deleted: prune.deleted.length, leftovers: prune.leftovers.length, guard: prune.guard?.kind });
    metrics.addMetric('BackupsKept', MetricUnit.Count, prune.kept.length);
    metrics.addMetric('BackupsDeleted', MetricUnit.Count, prune.deleted.length);
  },
  output: (result) => result as SnapshotRunResult,
};

function init({ env }: JobInit) {
  env.required(E.consulTokenSecretArn);
  env.required(E.consulAddresses);
  const cluster = env.required(E.clusterName);
  const bucket = env.required(E.bucketName);
  const retention: RetentionPolicy = { ...DEFAULT_RETENTION_POLICY, ...env.json<RetentionPolicy>(E.retentionPolicy) };
  const client = createS3Client();
  return {
    cluster,
    store: new S3BackupStore({ client, bucket }),
    holds: new S3ContentHoldStore({ client, bucket }),
    // A worker thread from 3538 MB (two vCPUs' worth), inline below: see functions/adapters/verify-thread.ts.
    verifyingPass: verifyingPassFactoryFromEnv(),
    input: {
      cluster,
      bucket,
      prefix: env.optional(E.snapshotPrefix) ?? 'snapshots',
      stale: env.boolean(E.consulStale, false),
      maxStaleMs: env.positiveInteger(E.consulMaxStaleMs),
      retention,
      contentDrop: resolveContentDropThresholds(env.json<Record<string, unknown>>(E.contentDropThresholds), `environment variable ${E.contentDropThresholds}`),
    },
  };
}

/** The scheduled entry point. */
export const handler = createJobHandler(takeSnapshotJob);
