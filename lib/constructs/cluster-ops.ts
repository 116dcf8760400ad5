import { Annotations, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  CERT_CHECK_FUNCTION_ENV as CERT_ENV,
  CONSUL_FUNCTION_ENV,
  INTENTION_AUDIT_FUNCTION_ENV as AUDIT_ENV,
  INTENTION_BASELINE_LAYER_PATH,
  RESTORE_FUNCTION_ENV as RESTORE_ENV,
  ROTATION_FUNCTION_ENV as ROTATION_ENV,
  SNAPSHOT_FUNCTION_ENV as SNAPSHOT_ENV,
} from '../../functions/handlers/lambda-env';
import type { ClusterConfig } from '../config/deploy-config';
import { rateIntervalMs } from '../config/schedule-expression';
import { SNAPSHOT_ROOT, reportPrefix, reportStatePrefix, snapshotPrefix } from './backup-grants';
import { contentHoldKey } from '../../functions/adapters/s3-content-hold-store';
import { SCOPED_REPORT_FEATURES } from '../../functions/core/report/report';
import { ConsulFunction, type ConsulFunctionProps, type ConsulJob } from './consul-function';
import { IntentionBaselineLayer } from './intention-baseline-layer';
import { grantPublishReports } from './report-topic';
import { RestoreOperatorRole } from './restore-operator';
import type { SharedResources } from './shared-resources';
import { TokenRotation, type RotatedSecret } from './token-rotation';

/** 500 sidecars at 16 handshakes in flight and a 5 s probe timeout take under 3 minutes even if every one hangs. */
export const CERT_CHECK_TIMEOUT = Duration.minutes(5);
/** A snapshot (and a restore) may take Lambda's maximum. */
const FIFTEEN_MINUTES = Duration.minutes(15);

/** Properties of {@link ClusterOps}. */
export interface ClusterOpsProps {
  /** The validated cluster config. */
  readonly cluster: ClusterConfig;
  /** The shared bucket, key and topics. */
  readonly shared: SharedResources;
  /**
   * Principals that may restore this cluster (through the {@link RestoreOperatorRole} it then creates).
   * @default - no operator role: only account principals whose own IAM policies allow invoking the restore function
   */
  readonly restorePrincipalArns?: readonly string[];
}

/**
 * Everything one Consul cluster runs: the scheduled backup, the manual restore (and the role a human assumes for
 * it), the token rotation, the intention audit and the certificate check, each a {@link ConsulFunction}. A new job is
 * added here, in one place; {@link jobs} lists them for the monitoring.
 */
export class ClusterOps extends Construct {
  /** take-snapshot: scheduled, verified snapshot plus retention. */
  readonly backup: ConsulFunction;
  /** restore: manual, never scheduled, never retried. */
  readonly restore: ConsulFunction;
  /** The role humans assume to restore this cluster, when restore principals are configured. */
  readonly restoreOperator?: RestoreOperatorRole;
  /** rotate-token, when the cluster rotates tokens. */
  readonly rotation?: ConsulFunction;
  /** The secrets rotated (empty without rotation). */
  readonly rotatedSecretArns: readonly string[];
  /** audit-intentions, unless turned off. */
  readonly intentionAudit?: ConsulFunction;
  /** check-certs, unless turned off. */
  readonly certCheck?: ConsulFunction;
  /** Every job of the cluster, in this order: backup, restore, rotation, audit, certificates. */
  readonly jobs: readonly ConsulFunction[];

  private readonly cluster: ClusterConfig;
  private readonly shared: SharedResources;

  constructor(scope: Construct, id: string, props: ClusterOpsProps) {
    super(scope, id);
    this.cluster = props.cluster;
    this.shared = props.shared;
    this.backup = this.createBackup();
    this.restore = this.createRestore();
    if ((props.restorePrincipalArns ?? []).length > 0) {
      this.restoreOperator = new RestoreOperatorRole(this, 'RestoreOperator', { clusterName: this.cluster.name, principalArns: props.restorePrincipalArns!, restoreFunction: this.restore.function, backups: this.shared.backups });
    }
    const rotated = rotatedSecrets(this.cluster);
    this.rotatedSecretArns = rotated.map((s) => s.secretArn);
    if (rotated.length > 0) this.rotation = this.createRotation(rotated);
    if (this.cluster.intentions.enabled) this.intentionAudit = this.createIntentionAudit();
    if (this.cluster.certificates.enabled) this.certCheck = this.createCertCheck();
    this.jobs = [this.backup, this.restore, this.rotation, this.intentionAudit, this.certCheck].filter((j): j is ConsulFunction => j !== undefined);
  }

  private createBackup(): ConsulFunction {
    const { backup, name } = this.cluster;
    const interval = rateIntervalMs(backup.schedule);
    const job = this.job('TakeSnapshot', 'take-snapshot', {
      purpose: 'scheduled, verified snapshot',
      memorySize: backup.memoryMb,
      timeout: FIFTEEN_MINUTES,
      // Parallel snapshot requests race on the Consul server (consul#2496): one run at a time, later ones queue.
      reservedConcurrentExecutions: 1,
      environment: {
        [SNAPSHOT_ENV.bucketName]: this.shared.backups.bucket.bucketName,
        // The root, not the cluster folder: the handler adds `<cluster>/` (functions/core/backup-key.ts).
        [SNAPSHOT_ENV.snapshotPrefix]: SNAPSHOT_ROOT,
        [SNAPSHOT_ENV.consulStale]: String(backup.stale),
        [SNAPSHOT_ENV.retentionPolicy]: JSON.stringify({ ...backup.retention, scheduleIntervalMs: interval }),
        [SNAPSHOT_ENV.scheduleExpression]: backup.schedule,
        [SNAPSHOT_ENV.scheduleTimeZone]: backup.timeZone,
        ...(backup.maxStaleMs !== undefined ? { [SNAPSHOT_ENV.consulMaxStaleMs]: String(backup.maxStaleMs) } : {}),
        [SNAPSHOT_ENV.contentDropThresholds]: JSON.stringify(backup.contentDrop),
      },
    });
    const prefix = snapshotPrefix(name);
    // The content-drop hold: which backup retention keeps while a drop finding is open (read and written by this
    // function, read by prune and written by `consul-ops ack-drop`).
    this.shared.backups.grantStateObject(job.role, contentHoldKey(name));
    this.shared.backups.grantWriteBackups(job.role, prefix);
    this.shared.backups.grantReadBackups(job.role, prefix);
    this.shared.backups.grantPrune(job.role, prefix);
    this.shared.backups.acknowledgePrefix(job.role, prefix, `Scoped to cluster ${name}'s snapshot prefix ${prefix}: snapshot keys are timestamped, so the prefix is the narrowest possible resource.`);
    job.addSchedule(backup.schedule, backup.timeZone);
    if (interval !== undefined && interval < FIFTEEN_MINUTES.toMilliseconds()) {
      Annotations.of(job).addWarningV2('consul-ops:scheduleFasterThanTimeout', `Cluster ${name}: schedule ${backup.schedule} is faster than the 15-minute function timeout; with one run at a time, slow snapshots will queue up and old runs are dropped after an hour.`);
    }
    if (backup.maxStaleMs !== undefined && !backup.stale) {
      Annotations.of(job).addWarningV2('consul-ops:maxStaleWithoutStale', `Cluster ${name}: backup.maxStaleMs is ignored because backup.stale is false (snapshots always come from the leader).`);
    }
    return job;
  }

  private createRestore(): ConsulFunction {
    const prefix = snapshotPrefix(this.cluster.name);
    const tokenSecretArns = (this.cluster.rotation?.tokens ?? []).map((t) => t.secretArn);
    const job = this.job('Restore', 'restore', {
      purpose: 'manual, verified restore (dry run unless confirmed)',
      // Both reads stream; 512 MB is for the CPU share that gunzip + sha256 of two passes need, not for buffering.
      memorySize: 512,
      // A restore takes a whole backup (the safety snapshot), reads the archive twice and waits for raft's replay.
      timeout: FIFTEEN_MINUTES,
      // Two restores at once would race on the cluster state.
      reservedConcurrentExecutions: 1,
      // Never retry a restore: an asynchronous invoke that failed must be looked at, not repeated.
      retryAttempts: 0,
      deadLetterQueue: false,
      // The token secrets a restore reconciles (tokens rotated after the backup are re-created), the management one first.
      describedSecretArns: [this.cluster.consul.managementTokenSecretArn, ...tokenSecretArns],
      environment: {
        [RESTORE_ENV.bucketName]: this.shared.backups.bucket.bucketName,
        [RESTORE_ENV.snapshotPrefix]: SNAPSHOT_ROOT,
        ...(tokenSecretArns.length > 0 ? { [RESTORE_ENV.tokenSecretArns]: tokenSecretArns.join(',') } : {}),
        ...(this.cluster.rotation ? { [RESTORE_ENV.gracePeriodHours]: String(this.cluster.rotation.gracePeriodHours) } : {}),
      },
    });
    // Read any version of this cluster's backups (with tags); write only new objects (the pre-restore snapshot).
    this.shared.backups.grantReadBackups(job.role, prefix);
    this.shared.backups.grantWriteBackups(job.role, prefix);
    this.shared.backups.acknowledgePrefix(job.role, prefix, `Scoped to cluster ${this.cluster.name}'s snapshot prefix ${prefix}: snapshot keys are timestamped and chosen at restore time, so the prefix is the narrowest possible resource.`);
    return job;
  }

  private createRotation(secrets: readonly RotatedSecret[]): ConsulFunction {
    const { rotation } = this.cluster;
    const job = this.job('RotateToken', 'rotate-token', {
      purpose: 'rotates Consul ACL tokens (Secrets Manager rotation function)',
      memorySize: 256,
      // A step is a few Consul and Secrets Manager calls (Consul retries end after 20 s); the sweep visits each secret.
      timeout: Duration.minutes(5),
      // No reserved concurrency: Secrets Manager may run rotations of several secrets at once, and a rotation
      // function throttled below 10 concurrent runs fails its steps (Secrets Manager guidance).
      rotatedSecretArns: secrets.map((s) => s.secretArn),
      environment: {
        [ROTATION_ENV.bucketName]: this.shared.backups.bucket.bucketName,
        [ROTATION_ENV.gracePeriodHours]: String(rotation!.gracePeriodHours),
        [ROTATION_ENV.rotatedSecretArns]: secrets.map((s) => s.secretArn).join(','),
      },
    });
    new TokenRotation(this, 'TokenRotation', { job, secrets });
    return job;
  }

  private createIntentionAudit(): ConsulFunction {
    const { intentions } = this.cluster;
    const layer = intentions.baseline ? new IntentionBaselineLayer(this, 'IntentionBaseline', { baseline: intentions.baseline, clusterName: this.cluster.name }) : undefined;
    const job = this.job('AuditIntentions', 'audit-intentions', {
      purpose: 'scheduled intention audit',
      memorySize: 256,
      // Six small reads and pure CPU work (10,000 intentions audit in well under a second).
      timeout: Duration.minutes(2),
      layers: layer ? [layer.layer] : [],
      environment: {
        [AUDIT_ENV.bucketName]: this.shared.backups.bucket.bucketName,
        ...(layer ? { [AUDIT_ENV.baselineFile]: INTENTION_BASELINE_LAYER_PATH, [AUDIT_ENV.baselineSha256]: layer.sha256 } : {}),
      },
    });
    job.addSchedule(intentions.schedule, intentions.timeZone);
    return job;
  }

  private createCertCheck(): ConsulFunction {
    const { certificates, name } = this.cluster;
    const endpoints = certificates.endpoints.map((e) => (e.caBundleSecretArn ? { address: e.address, caBundleSecretArn: e.caBundleSecretArn } : { address: e.address }));
    const thresholds: Record<string, string> = Object.keys(certificates.thresholds).length > 0 ? { [CERT_ENV.certThresholds]: JSON.stringify(certificates.thresholds) } : {};
    const job = this.job('CheckCerts', 'check-certs', {
      purpose: 'scheduled certificate check',
      // ECDSA handshakes and certificate parsing are light; memory buys CPU share for 16 handshakes in flight.
      memorySize: 512,
      timeout: CERT_CHECK_TIMEOUT,
      readSecretArns: endpoints.flatMap((e) => (e.caBundleSecretArn ? [e.caBundleSecretArn] : [])),
      environment: {
        [CERT_ENV.bucketName]: this.shared.backups.bucket.bucketName,
        [CERT_ENV.certAuditorService]: certificates.auditorService,
        ...(endpoints.length > 0 ? { [CERT_ENV.certEndpoints]: JSON.stringify(endpoints) } : {}),
        ...thresholds,
      },
    });
    job.addSchedule(certificates.schedule, 'UTC');
    const interval = rateIntervalMs(certificates.schedule);
    if (interval !== undefined && interval < CERT_CHECK_TIMEOUT.toMilliseconds()) {
      Annotations.of(job).addWarningV2('consul-ops:certCheckFasterThanTimeout', `Cluster ${name}: certificate check schedule ${certificates.schedule} is faster than its ${CERT_CHECK_TIMEOUT.toMinutes()}-minute timeout; slow runs will overlap.`);
    }
    return job;
  }

  /**
   * One job with what every job gets: the Consul connection, the report topic, and its own report and state keys
   * (`reports/<cluster>/<feature>/`, `state/<cluster>/<feature>.json`).
   */
  private job(id: string, job: ConsulJob, props: Omit<ConsulFunctionProps, 'job' | 'clusterName' | 'consul' | 'network'>): ConsulFunction {
    const fn = new ConsulFunction(this, id, {
      ...props,
      job,
      clusterName: this.cluster.name,
      consul: this.cluster.consul,
      network: this.cluster.network,
      environment: { [CONSUL_FUNCTION_ENV.reportTopicArn]: this.shared.reportTopic.topicArn, ...props.environment },
    });
    grantPublishReports(fn.role, this.shared.reportTopic, this.shared.encryptionKey);
    this.shared.backups.grantReportAccess(fn.role, this.cluster.name, fn.feature);
    const reports = reportPrefix(this.cluster.name, fn.feature);
    this.shared.backups.acknowledgePrefix(fn.role, reports, `Scoped to cluster ${this.cluster.name}'s ${reports} prefix, write-only: report keys are timestamped, so the prefix is the narrowest possible resource.`);
    if (SCOPED_REPORT_FEATURES.includes(fn.feature)) {
      const states = reportStatePrefix(this.cluster.name, fn.feature);
      this.shared.backups.acknowledgePrefix(fn.role, states, `Scoped to cluster ${this.cluster.name}'s ${states} prefix: ${fn.feature} keeps one dedupe state per secret it rotates, named after the secret, so the prefix is the narrowest possible resource.`);
    }
    return fn;
  }
}

/** The secrets a cluster rotates, each with its interval (the management token last, when rotated). */
export function rotatedSecrets(cluster: ClusterConfig): RotatedSecret[] {
  const rotation = cluster.rotation;
  if (rotation === undefined) return [];
  return [
    ...rotation.tokens.map((t) => ({ secretArn: t.secretArn, intervalDays: t.intervalDays })),
    ...(rotation.rotateManagementToken ? [{ secretArn: cluster.consul.managementTokenSecretArn, intervalDays: rotation.managementTokenIntervalDays }] : []),
  ];
}
