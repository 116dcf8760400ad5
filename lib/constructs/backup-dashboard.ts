import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, jobServiceName } from './consul-function';
import { buildOpsDashboardWidgets, type OpsDashboardWidgetsProps } from './ops-dashboard-widgets';

/** The take-snapshot handler's `service` dimension (CloudWatch matches dimensions exactly: graphs name both). */
const SNAPSHOT_METRICS_SERVICE = jobServiceName('take-snapshot');

/** A take-snapshot metric of one cluster (dimensions `Cluster` and `service`). */
export function snapshotMetric(metricName: string, clusterName: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { Cluster: clusterName, service: SNAPSHOT_METRICS_SERVICE },
    statistic,
    period,
  });
}

/** Properties of {@link buildBackupDashboard}; the optional features it graphs come from {@link OpsDashboardWidgetsProps}. */
export interface BackupDashboardProps extends OpsDashboardWidgetsProps {
  readonly dashboardName: string;
  readonly clusterNames: readonly string[];
  /** Shown in the status widget; alarms pushed to this array later (before synth) appear too. */
  readonly alarms: cloudwatch.IAlarm[];
}

/**
 * One cluster's dashboard (also usable for a few clusters): alarm status, backup age (now − `LastSuccessTimestamp`,
 * by metric math), successes and failures, snapshot size and duration, and retention kept/deleted; then, for the
 * jobs the cluster runs, minimum certificate days left, intention drift findings and days since each token's last
 * rotation. At a few dozen metrics it stays far below CloudWatch's per-graph (500) and per-dashboard limits.
 */
export function buildBackupDashboard(scope: Construct, id: string, props: BackupDashboardProps): cloudwatch.Dashboard {
  const hour = Duration.hours(1);
  // The label only on graphs: an alarm metric with a label is rendered in the (metric math) `Metrics` form.
  const perCluster = (metricName: string, statistic: string) => props.clusterNames.map((c) => snapshotMetric(metricName, c, statistic, hour).with({ label: c }));
  const dashboard = new cloudwatch.Dashboard(scope, id, { dashboardName: props.dashboardName, defaultInterval: Duration.days(7) });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# consul-ops: ${props.clusterNames.join(', ')}\nBackup age is the time since the last verified backup; the *no-recent-backup* alarm fires at twice the schedule interval. Reports: e-mail (critical/high) and Slack; alarms: the alarm topic.`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 4 }));
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Backup age (hours since the last verified backup)',
      left: props.clusterNames.map((c, i) => backupAge(c, i, hour)),
      leftYAxis: { min: 0, label: 'hours', showUnits: false },
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Backups: successes and failures',
      left: perCluster('BackupSuccess', 'Sum'),
      right: perCluster('BackupFailure', 'Sum'),
      leftYAxis: { min: 0, label: 'successes', showUnits: false },
      rightYAxis: { min: 0, label: 'failures', showUnits: false },
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Snapshot size', left: perCluster('SnapshotBytes', 'Maximum'), leftYAxis: { min: 0 }, width: 8 }),
    new cloudwatch.GraphWidget({ title: 'Snapshot duration', left: perCluster('SnapshotDuration', 'Maximum'), leftYAxis: { min: 0 }, width: 8 }),
    new cloudwatch.GraphWidget({
      title: 'Retention: kept (left) and deleted (right)',
      left: perCluster('BackupsKept', 'Maximum'),
      right: perCluster('BackupsDeleted', 'Sum'),
      leftYAxis: { min: 0, showUnits: false },
      rightYAxis: { min: 0, showUnits: false },
      width: 8,
    }),
  );
  for (const row of buildOpsDashboardWidgets(props)) dashboard.addWidgets(...row);
  return dashboard;
}

/**
 * now − LastSuccessTimestamp in hours: `FILL(…, REPEAT)` carries the last success forward through periods without
 * a backup, `EPOCH` is each period's start, `PERIOD` moves it to the period's end (a backup inside the period is
 * then never "in the future").
 */
export function backupAge(clusterName: string, index: number, period: Duration): cloudwatch.MathExpression {
  // Metric ids are per graph: one per cluster.
  const id = `last${index}`;
  return new cloudwatch.MathExpression({
    expression: `(EPOCH(FILL(${id}, REPEAT)) + PERIOD(${id}) - FILL(${id}, REPEAT)) / 3600`,
    usingMetrics: { [id]: snapshotMetric('LastSuccessTimestamp', clusterName, 'Maximum', period) },
    label: clusterName,
    period,
  });
}
