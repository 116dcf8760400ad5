import * as path from 'node:path';
import { Annotations, Duration, Stack, TimeZone, Validations, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InvalidInputError } from '../../functions/core/shared/errors';
import type { BackupConfig, ClusterNetworkConfig, ConsulConnectionConfig } from '../config/deploy-config';
import { BackupBucket } from './backup-bucket';
import { InvokeFunctionTarget } from './invoke-function-target';
import type { ReportTopic } from './report-topic';
import { importClusterNetwork } from './cluster-network';
import { snapshotBundling, PROJECT_ROOT } from './function-bundling';
import { SNAPSHOT_FUNCTION_ENV } from '../../functions/handlers/lambda-env';
import { createVpcFunctionRole } from './vpc-function-role';
import { acknowledgeNodeRuntime, consulConnectionEnvironment, consulSecretArns, createSchedulerRole } from './consul-function';

/** The ENI and log actions every VPC function role has (see vpc-function-role.ts). */
export { LOG_WRITE_ACTIONS, VPC_ENI_ACTIONS } from './vpc-function-role';
/** Reading the Consul management token and CA bundle. */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue'] as const;
/** Lambda's async-invoke failure destination. */
export const DLQ_SEND_ACTIONS = ['sqs:SendMessage'] as const;

/** Environment variables the take-snapshot handler reads, defined beside the handler (no CDK in the bundle). */
export { SNAPSHOT_FUNCTION_ENV };

/** Properties of {@link ClusterBackup}. */
export interface ClusterBackupProps {
  /** The cluster's name: a lower-case DNS label; also the snapshot key prefix `snapshots/<name>/`. */
  readonly clusterName: string;
  /** How the function reaches the Consul servers. */
  readonly consul: ConsulConnectionConfig;
  /** The VPC, subnets and security group the function runs in (imported, no lookups). */
  readonly network: ClusterNetworkConfig;
  /** Schedule, staleness and retention. */
  readonly backup: BackupConfig;
  /** Where snapshots go. */
  readonly bucket: BackupBucket;
  /** Where the function reports. */
  readonly reportTopic: ReportTopic;
  /**
   * The handler file.
   * @default - functions/handlers/take-snapshot.ts
   */
  readonly entry?: string;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One Consul cluster's scheduled backup: a VPC-attached `take-snapshot` function (one run at a time, because parallel
 * snapshot requests race on the Consul server), its failure queue, log group and an EventBridge Scheduler schedule.
 */
export class ClusterBackup extends Construct {
  /** The take-snapshot function. */
  readonly function: nodejs.NodejsFunction;
  /** Failed async invocations of the function (after Lambda's retry) and undeliverable schedule runs. */
  readonly deadLetterQueue: sqs.Queue;
  /** The schedule. */
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ClusterBackupProps) {
    super(scope, id);
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.clusterName)) {
      throw new InvalidInputError('ClusterBackupProps.clusterName', `expected a lower-case DNS label, got "${props.clusterName}"`, '"prod-east"');
    }
    const prefix = BackupBucket.snapshotPrefix(props.clusterName);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the take-snapshot function and its schedule; a DLQ of a DLQ adds nothing.',
    });
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    const role = this.createRole(logGroup);
    this.function = this.createFunction(props, role, logGroup);
    this.grantRuntimeAccess(props, prefix, role);
    this.schedule = this.createSchedule(props);
    this.warnAboutSettings(props);
  }

  private createFunction(props: ClusterBackupProps, role: iam.Role, logGroup: logs.LogGroup): nodejs.NodejsFunction {
    const network = importClusterNetwork(this, props.network);
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `consul-ops: scheduled, verified snapshot of Consul cluster ${props.clusterName}`,
      entry: props.entry ?? path.join(PROJECT_ROOT, 'functions/handlers/take-snapshot.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.backup.memoryMb,
      timeout: Duration.minutes(15),
      // Parallel snapshot requests race on the Consul server (consul#2496): one run at a time, later ones queue.
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      vpc: network.vpc,
      vpcSubnets: { subnets: network.subnets },
      securityGroups: [network.securityGroup],
      // Least privilege: the destination needs only sqs:SendMessage (granted below), not SqsDestination's extra reads.
      onFailure: { bind: () => ({ destination: this.deadLetterQueue.queueArn }) },
      retryAttempts: 1,
      // A queued run older than an hour is superseded by the next scheduled one.
      maxEventAge: Duration.hours(1),
      bundling: snapshotBundling(),
      environment: this.environment(props),
    });
    acknowledgeNodeRuntime(fn);
    return fn;
  }

  private grantRuntimeAccess(props: ClusterBackupProps, prefix: string, role: iam.Role): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...DLQ_SEND_ACTIONS], resources: [this.deadLetterQueue.queueArn] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...SECRET_READ_ACTIONS],
        resources: consulSecretArns(props.consul),
      }),
    );
    props.bucket.grantWriteBackups(role, prefix);
    props.bucket.grantReadBackups(role, prefix);
    props.bucket.grantPrune(role, prefix);
    props.reportTopic.grantPublish(role);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/${prefix}*]`,
      reason: `Scoped to this cluster's snapshot prefix ${prefix}: snapshot keys are timestamped, so the prefix is the narrowest possible resource.`,
    });
  }

  private createRole(logGroup: logs.LogGroup): iam.Role {
    return createVpcFunctionRole(this, { description: 'consul-ops take-snapshot function', logGroup });
  }

  private environment(props: ClusterBackupProps): Record<string, string> {
    const e = SNAPSHOT_FUNCTION_ENV;
    const env: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: 'consul-ops-take-snapshot',
      POWERTOOLS_METRICS_NAMESPACE: 'ConsulOps',
      [e.clusterName]: props.clusterName,
      [e.bucketName]: props.bucket.bucket.bucketName,
      // The root, not the cluster folder: the handler adds `<cluster>/` (functions/core/backup/backup-key.ts).
      [e.snapshotPrefix]: BackupBucket.SNAPSHOT_ROOT,
      ...consulConnectionEnvironment(props.consul),
      [e.consulStale]: String(props.backup.stale),
      [e.retentionPolicy]: JSON.stringify({ ...props.backup.retention, scheduleIntervalMs: rateIntervalMs(props.backup.schedule) }),
      [e.scheduleExpression]: props.backup.schedule,
      [e.scheduleTimeZone]: props.backup.timeZone,
      [e.reportTopicArn]: props.reportTopic.topic.topicArn,
    };
    if (props.backup.maxStaleMs !== undefined) env[e.consulMaxStaleMs] = String(props.backup.maxStaleMs);
    return env;
  }

  private createSchedule(props: ClusterBackupProps): scheduler.Schedule {
    const role = createSchedulerRole(this, 'take-snapshot');
    return new scheduler.Schedule(this, 'Schedule', {
      description: `consul-ops: snapshot of Consul cluster ${props.clusterName}`,
      schedule: scheduler.ScheduleExpression.expression(props.backup.schedule, TimeZone.of(props.backup.timeZone)),
      timeWindow: scheduler.TimeWindow.off(),
      target: new InvokeFunctionTarget(this.function, {
        role,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule', cluster: props.clusterName }),
      }),
    });
  }

  private warnAboutSettings(props: ClusterBackupProps): void {
    const interval = rateIntervalMs(props.backup.schedule);
    if (interval !== undefined && interval < 15 * 60_000) {
      Annotations.of(this).addWarningV2(
        'consul-ops:scheduleFasterThanTimeout',
        `Cluster ${props.clusterName}: schedule ${props.backup.schedule} is faster than the 15-minute function timeout; with one run at a time, slow snapshots will queue up and old runs are dropped after an hour.`,
      );
    }
    if (props.backup.maxStaleMs !== undefined && !props.backup.stale) {
      Annotations.of(this).addWarningV2(
        'consul-ops:maxStaleWithoutStale',
        `Cluster ${props.clusterName}: backup.maxStaleMs is ignored because backup.stale is false (snapshots always come from the leader).`,
      );
    }
  }
}

/** The logical id of the bucket resource, as cdk-nag names it in IAM5 findings. */
function logicalIdOf(bucket: BackupBucket): string {
  return Stack.of(bucket).getLogicalId(bucket.bucket.node.defaultChild as CfnElement);
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The interval of a `rate(n unit)` expression in milliseconds; `undefined` for cron expressions. */
export function rateIntervalMs(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(expression);
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}
