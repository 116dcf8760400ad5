import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { longestScheduleGap } from '../config/schedule-expression';
import { buildBackupDashboard, snapshotMetric } from './backup-dashboard';
import { METRICS_NAMESPACE, type ConsulFunction } from './consul-function';
import { createNotifyingAlarm } from './notifying-alarm';

/** Properties of {@link ClusterMonitoring}. */
export interface ClusterMonitoringProps {
  /** The deployment's stack name prefix: alarm and dashboard names start with it. */
  readonly stackNamePrefix: string;
  /** The cluster. */
  readonly clusterName: string;
  /** Every job of the cluster, each watched for errors, throttles, dead letters and report failures. */
  readonly jobs: readonly ConsulFunction[];
  /** The backup job and its schedule: the dead-man's switch allows twice its longest gap. */
  readonly backup: { readonly job: ConsulFunction; readonly schedule: string };
  /** Rotated token secrets, for the rotation graph. @default [] */
  readonly rotatedSecretArns?: readonly string[];
  /** Where alarms (and OK transitions) go. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * Alarms and the dashboard of one cluster. Per job it receives: errors and throttles (5 minutes), dead letters, and
 * `ReportFailure` (the job could not publish its report: `ConsulOps` namespace, dimensions `service` =
 * `consul-ops-<job>` and `Cluster`). Per cluster: a dead-man's switch on `BackupSuccess`, one composite alarm
 * (`<prefix>-<cluster>-health`, shown on the overview dashboard) and the dashboard `<prefix>-<cluster>`.
 */
export class ClusterMonitoring extends Construct {
  /** Every alarm of the cluster (the composite excluded). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** In alarm when any of {@link alarms} is. */
  readonly health: cloudwatch.CompositeAlarm;
  /** The cluster's dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  private readonly props: ClusterMonitoringProps;

  constructor(scope: Construct, id: string, props: ClusterMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.addDeadMansSwitch();
    for (const job of props.jobs) this.watchJob(job);
    this.health = new cloudwatch.CompositeAlarm(this, 'Health', {
      compositeAlarmName: clusterHealthAlarmName(props.stackNamePrefix, props.clusterName),
      alarmDescription: `Any consul-ops alarm of Consul cluster ${props.clusterName}; open the ${props.stackNamePrefix}-${props.clusterName} dashboard.`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...this.alarms),
    });
    const has = (job: string) => props.jobs.some((j) => j.job === job);
    this.dashboard = buildBackupDashboard(this, 'Dashboard', {
      dashboardName: `${props.stackNamePrefix}-${props.clusterName}`,
      clusterNames: [props.clusterName],
      alarms: this.alarms,
      certCheckClusters: has('check-certs') ? [props.clusterName] : [],
      intentionAuditClusters: has('audit-intentions') ? [props.clusterName] : [],
      rotatedSecrets: [{ clusterName: props.clusterName, secretArns: props.rotatedSecretArns ?? [] }],
    });
  }

  private watchJob(job: ConsulFunction): void {
    const period = Duration.minutes(5);
    const { clusterName } = this.props;
    this.addAlarm(`${job.job}-errors`, job.function.metricErrors({ period, statistic: 'Sum' }), `The ${job.job} function of cluster ${clusterName} failed (see its log group). Scheduled runs are retried; what still fails lands in its dead-letter queue.`);
    this.addAlarm(`${job.job}-throttles`, job.function.metricThrottles({ period, statistic: 'Sum' }), `The ${job.job} function of cluster ${clusterName} was throttled: runs pile up (take-snapshot and restore run one at a time) or the account concurrency is exhausted.`);
    if (job.deadLetterQueue) {
      this.addAlarm(
        `${job.job}-dead-letters`,
        job.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        `Events of ${job.job} (cluster ${clusterName}) gave up after their retries and wait in its dead-letter queue: read them, fix the cause, then redrive or delete them.`,
      );
    }
    this.addAlarm(
      `${job.job}-report-failed`,
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'ReportFailure', dimensionsMap: { service: job.serviceName, Cluster: clusterName }, statistic: 'Sum', period: Duration.hours(1) }),
      `The ${job.job} function of cluster ${clusterName} could not publish its report (see "report not published" in its logs): its findings are not reaching e-mail or Slack.`,
    );
  }

  private addDeadMansSwitch(): void {
    const { clusterName, backup } = this.props;
    const gap = longestScheduleGap(backup.schedule);
    const window = deadMansWindow(2 * gap.intervalMs);
    const hours = Math.round((window.period.toSeconds() * window.evaluationPeriods) / 360) / 10;
    if (gap.assumed) {
      Annotations.of(backup.job).addWarningV2('consul-ops:deadMansSwitchAssumesDaily', `Cluster ${clusterName}: cannot read the run interval of "${backup.schedule}"; the no-backup alarm assumes daily runs (fires after ${hours} h).`);
    } else if (window.capped) {
      Annotations.of(backup.job).addWarningV2('consul-ops:deadMansSwitchCapped', `Cluster ${clusterName}: runs are more than 3.5 days apart; the no-backup alarm is capped at CloudWatch's 7-day evaluation range.`);
    }
    this.addAlarm(
      'no-recent-backup',
      snapshotMetric('BackupSuccess', clusterName, 'Sum', window.period),
      `No successful, verified backup of Consul cluster ${clusterName} in the last ${hours} h (schedule ${backup.schedule}). Check the take-snapshot function's logs and the backup report e-mails; restore points are getting old.`,
      { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, evaluationPeriods: window.evaluationPeriods, treatMissingData: cloudwatch.TreatMissingData.BREACHING },
    );
  }

  private addAlarm(name: string, metric: cloudwatch.IMetric, description: string, overrides: Partial<cloudwatch.CreateAlarmOptions> = {}): void {
    const alarmName = `${this.props.stackNamePrefix}-${this.props.clusterName}-${name}`;
    this.alarms.push(createNotifyingAlarm(this, name, { alarmName, description, metric, topic: this.props.alarmTopic, overrides }));
  }

}

/** The name of a cluster's composite alarm: the overview dashboard refers to it by name. */
export function clusterHealthAlarmName(stackNamePrefix: string, clusterName: string): string {
  return `${stackNamePrefix}-${clusterName}-health`;
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
