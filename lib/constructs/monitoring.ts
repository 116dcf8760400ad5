import { Annotations, Aws, Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REPORT_KEY_PREFIXES } from '../../functions/adapters/s3-report-state';
import type { ConsulOpsStack } from '../consul-ops-stack';
import type { BackupBucket } from './backup-bucket';
import type { ClusterBackup } from './cluster-backup';
import { buildBackupDashboard, snapshotMetric } from './backup-dashboard';
import type { OpsDashboardWidgetsProps } from './ops-dashboard-widgets';
import type { ReportTopic } from './report-topic';
import { longestScheduleGap } from './schedule-interval';
import { SlackForwarder } from './slack-forwarder';

/** Reading the dedupe state and writing it and the full reports. */
export const REPORT_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject'] as const;
/** Telling a missing state (first run) from a refused read: S3 answers 404 instead of 403 only with `s3:ListBucket`. */
export const REPORT_LIST_ACTIONS = ['s3:ListBucket'] as const;
/** SSE-KMS with a bucket key, through S3 only. */
export const REPORT_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** One monitored cluster backup. */
export interface MonitoredCluster {
  readonly clusterName: string;
  readonly backup: ClusterBackup;
  /** Its schedule expression: the dead-man's switch allows twice its longest gap. */
  readonly schedule: string;
}

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  /** The report topic (its key also encrypts the alarm topic). */
  readonly reportTopic: ReportTopic;
  /** The backup bucket, where `state/` and `reports/` live. */
  readonly bucket: BackupBucket;
  readonly clusters: readonly MonitoredCluster[];
  /**
   * Addresses that get every alarm (the alarm topic has no severity filter).
   * @default - no e-mail subscriptions
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Secret holding the Slack webhook URL; with it, a forwarder posts every report and alarm to Slack.
   * @default - no Slack forwarder
   */
  readonly slackWebhookSecretArn?: string;
}

/**
 * Alarms, dashboard and notification routing of a consul-ops deployment:
 * - an alarm topic (same key as the report topic): CloudWatch alarm notifications carry no `severity` attribute, so
 *   the severity-filtered e-mail subscriptions of the report topic would drop them; the alarm topic is subscribed
 *   without a filter instead;
 * - per cluster a dead-man's switch (no `BackupSuccess` within twice the schedule's longest gap; missing data
 *   breaches) and a report-publishing alarm;
 * - errors and throttles of every Lambda function of the stack, and the depth of every dead-letter queue (a queue
 *   whose construct id contains `DeadLetter`): construct it last in the stack, so that it finds them all;
 * - the Slack forwarder (optional) on both topics;
 * - one dashboard: backups, plus certificates, intention drift and token rotation where the stack has them;
 * - least-privilege access of each backup function to its own `state/<cluster>/` and `reports/<cluster>/` prefixes.
 */
export class Monitoring extends Construct {
  /** Where alarms go (alarm and OK actions). */
  readonly alarmTopic: sns.Topic;
  /** Every alarm created, also shown in the dashboard's status widget. */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  readonly slackForwarder?: SlackForwarder;
  private readonly monitored = new Set<Construct>();

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = this.createAlarmTopic(props.reportTopic);
    for (const email of props.alarmEmails ?? []) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    if (props.slackWebhookSecretArn !== undefined) {
      this.slackForwarder = new SlackForwarder(this, 'SlackForwarder', { webhookSecretArn: props.slackWebhookSecretArn, topics: [props.reportTopic.topic, this.alarmTopic] });
    }
    for (const cluster of props.clusters) {
      this.addDeadMansSwitch(cluster);
      this.addReportFailureAlarm(cluster.clusterName);
      this.monitorFunction(`take-snapshot-${cluster.clusterName}`, cluster.backup.function);
      this.monitorDeadLetterQueue(`take-snapshot-${cluster.clusterName}`, cluster.backup.deadLetterQueue);
      this.grantReportAccess(cluster.backup.function.role!, cluster.clusterName, props.bucket);
    }
    if (this.slackForwarder) {
      this.monitorFunction('slack-forwarder', this.slackForwarder.function);
      this.monitorDeadLetterQueue('slack-forwarder', this.slackForwarder.deadLetterQueue);
    }
    this.monitorTheRest();
    this.dashboard = buildBackupDashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-consul-ops`,
      clusterNames: props.clusters.map((c) => c.clusterName),
      alarms: this.alarms,
      ...this.dashboardFeatures(),
    });
  }

  /** Alarms on any error or throttle of `fn` (5-minute sums). Call it for every function a feature adds. */
  monitorFunction(label: string, fn: lambda.IFunction): void {
    if (this.monitored.has(fn)) return;
    this.monitored.add(fn);
    const period = Duration.minutes(5);
    this.addAlarm(`${label}-errors`, fn.metricErrors({ period, statistic: 'Sum' }), `The ${label} function failed (see its log group). Scheduled runs are retried; what still fails lands in its dead-letter queue.`);
    this.addAlarm(`${label}-throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), `The ${label} function was throttled: runs pile up (take-snapshot runs one at a time) or the account concurrency is exhausted.`);
  }

  /** Alarms as soon as `queue` holds a message. Call it for every dead-letter queue a feature adds. */
  monitorDeadLetterQueue(label: string, queue: sqs.IQueue): void {
    if (this.monitored.has(queue)) return;
    this.monitored.add(queue);
    this.addAlarm(
      `${label}-dead-letters`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      `Events of ${label} gave up after their retries and wait in ${queue.queueName}: read them, fix the cause, then redrive or delete them.`,
    );
  }

  /**
   * Lets `role` read and write its cluster's report state and full reports (`state/<cluster>/`, `reports/<cluster>/`),
   * as a policy of its own beside the snapshot permissions.
   */
  grantReportAccess(role: iam.IRole, clusterName: string, bucket: BackupBucket): iam.Policy {
    const prefixes = [REPORT_KEY_PREFIXES.state, REPORT_KEY_PREFIXES.reports].map((p) => `${p}${clusterName}/`);
    const policy = new iam.Policy(this, `ReportAccess-${clusterName}`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: [...REPORT_OBJECT_ACTIONS], resources: prefixes.map((p) => bucket.bucket.arnForObjects(`${p}*`)) }),
        new iam.PolicyStatement({
          actions: [...REPORT_LIST_ACTIONS],
          resources: [bucket.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${REPORT_KEY_PREFIXES.state}${clusterName}/*`] } },
        }),
        new iam.PolicyStatement({
          actions: [...REPORT_KEY_ACTIONS],
          resources: [bucket.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
        }),
      ],
    });
    const bucketId = Stack.of(bucket).getLogicalId(bucket.bucket.node.defaultChild as CfnElement);
    for (const prefix of prefixes) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Scoped to cluster ${clusterName}'s ${prefix} prefix: report keys are timestamped, so the prefix is the narrowest possible resource.`,
      });
    }
    return policy;
  }

  /**
   * The optional features the dashboard graphs, read from the enclosing ConsulOpsStack's `certChecks`,
   * `intentionAudits` and `rotations` maps (keyed by cluster name, all set before Monitoring is built); any other
   * stack has none of them.
   */
  private dashboardFeatures(): OpsDashboardWidgetsProps {
    const stack = Stack.of(this) as Partial<Pick<ConsulOpsStack, 'certChecks' | 'intentionAudits' | 'rotations'>>;
    return {
      certCheckClusters: [...(stack.certChecks?.keys() ?? [])],
      intentionAuditClusters: [...(stack.intentionAudits?.keys() ?? [])],
      rotatedSecrets: [...(stack.rotations ?? [])].map(([clusterName, rotation]) => ({ clusterName, secretArns: rotation.rotatedSecretArns })),
    };
  }

  /** Every function and dead-letter queue of the stack not monitored yet, labelled after its parent construct. */
  private monitorTheRest(): void {
    const label = (c: Construct) => (c.node.scope?.node.id ?? c.node.id).toLowerCase().replace(/[^a-z0-9-]+/g, '-');
    for (const c of Stack.of(this).node.findAll()) {
      if (c instanceof lambda.Function) this.monitorFunction(label(c), c);
      else if (c instanceof sqs.Queue && c.node.id.includes('DeadLetter')) this.monitorDeadLetterQueue(label(c), c);
    }
  }

  private createAlarmTopic(reports: ReportTopic): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'consul-ops alarms', masterKey: reports.encryptionKey, enforceSSL: true });
    // The topic policy replaces SNS's default one: let CloudWatch alarms of this account publish explicitly.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return topic;
  }

  private addDeadMansSwitch(cluster: MonitoredCluster): void {
    const gap = longestScheduleGap(cluster.schedule);
    const window = deadMansWindow(2 * gap.intervalMs);
    const hours = Math.round((window.period.toSeconds() * window.evaluationPeriods) / 360) / 10;
    if (gap.assumed) {
      Annotations.of(cluster.backup).addWarningV2('consul-ops:deadMansSwitchAssumesDaily', `Cluster ${cluster.clusterName}: cannot read the run interval of "${cluster.schedule}"; the no-backup alarm assumes daily runs (fires after ${hours} h).`);
    } else if (window.capped) {
      Annotations.of(cluster.backup).addWarningV2('consul-ops:deadMansSwitchCapped', `Cluster ${cluster.clusterName}: runs are more than 3.5 days apart; the no-backup alarm is capped at CloudWatch's 7-day evaluation range.`);
    }
    this.addAlarm(
      `${cluster.clusterName}-no-recent-backup`,
      snapshotMetric('BackupSuccess', cluster.clusterName, 'Sum', window.period),
      `No successful, verified backup of Consul cluster ${cluster.clusterName} in the last ${hours} h (schedule ${cluster.schedule}). Check the take-snapshot function's logs and the backup report e-mails; restore points are getting old.`,
      { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, evaluationPeriods: window.evaluationPeriods, treatMissingData: cloudwatch.TreatMissingData.BREACHING },
    );
  }

  private addReportFailureAlarm(clusterName: string): void {
    this.addAlarm(
      `${clusterName}-report-failed`,
      snapshotMetric('ReportFailure', clusterName, 'Sum', Duration.hours(1)),
      `The backup function of cluster ${clusterName} could not publish its report (see "report not published" in its logs): findings are not reaching e-mail or Slack.`,
    );
  }

  private addAlarm(name: string, metric: cloudwatch.IMetric, description: string, overrides: Partial<cloudwatch.CreateAlarmOptions> = {}): void {
    const alarm = new cloudwatch.Alarm(this, `Alarm-${name}`, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...overrides,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

const DAY_S = 86_400;

/**
 * Period and evaluation periods covering `windowMs`. CloudWatch allows at most 1 day of evaluation range for periods
 * under an hour and 7 days otherwise; windows up to a day use one period, longer ones whole days (every day must
 * lack a success), capped at 7.
 */
export function deadMansWindow(windowMs: number): { period: Duration; evaluationPeriods: number; capped: boolean } {
  const seconds = Math.max(60, Math.ceil(windowMs / 60_000) * 60);
  if (seconds <= DAY_S) return { period: Duration.seconds(seconds), evaluationPeriods: 1, capped: false };
  const days = Math.ceil(seconds / DAY_S);
  return { period: Duration.days(1), evaluationPeriods: Math.min(days, 7), capped: days > 7 };
}
